package pms5003

import (
	"bytes"
	"testing"
)

// FuzzReader feeds arbitrary bytes to an active-mode Dev. It must never
// panic, and every frame it returns must be the 32 bytes it read last
// (nothing read past it) with a valid check.
func FuzzReader(f *testing.F) {
	bad := bytes.Clone(knownFrame)
	bad[20] ^= 0x10
	f.Add(knownFrame)
	f.Add(cat(knownFrame, cleanFrame))
	f.Add(cat([]byte{0x00, 0x42, 0x42, 0x4d}, knownFrame))
	f.Add(cat(ackSleep, knownFrame, ackPassive))
	f.Add(cat(bad, knownFrame))
	f.Add(cat(knownFrame[:4], knownFrame))
	f.Add(cat(knownFrame[10:], bad[:20], knownFrame))
	f.Add([]byte{0x42, 0x4d, 0xff, 0xff, 0x42, 0x4d, 0x00, 0x04})
	f.Add(bytes.Repeat([]byte{0x42, 0x4d}, 40))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &stream{Data: data}
		d := devOn(s, Active)
		d.maxSkip = 64
		for range 64 {
			got, err := d.Read()
			if err != nil {
				return
			}
			read := s.Consumed()
			if len(read) < FrameSize {
				t.Fatalf("frame from only %d bytes", len(read))
			}
			raw := read[len(read)-FrameSize:]
			if !checkOK(raw) {
				t.Fatalf("returned a frame with a bad check: % x", raw)
			}
			want, err := ParseFrame(raw)
			if err != nil {
				t.Fatalf("returned %+v from bytes ParseFrame refuses: %v", got, err)
			}
			if got != want {
				t.Fatalf("returned %+v, the bytes say %+v", got, want)
			}
		}
	})
}

// FuzzParseFrame checks that ParseFrame never panics and accepts exactly
// the 32-byte frames with the right start, length and check.
func FuzzParseFrame(f *testing.F) {
	f.Add(knownFrame)
	f.Add(cleanFrame)
	f.Add(ackPassive)
	f.Add(knownFrame[:31])
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := ParseFrame(b)
		valid := len(b) == FrameSize && b[0] == 0x42 && b[1] == 0x4d && b[2] == 0 && b[3] == 28 && checkOK(b)
		if valid != (err == nil) {
			t.Fatalf("ParseFrame(% x) = %v, valid = %v", b, err, valid)
		}
	})
}
