package sds011

import (
	"bytes"
	"testing"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

func seeds(f *testing.F) {
	bad := bytes.Clone(knownFrame)
	bad[5] ^= 0x10
	f.Add(knownFrame)
	f.Add(cat(knownFrame, cleanFrame))
	f.Add(cat([]byte{0x00, 0xaa, 0xaa, 0xc0}, knownFrame))
	f.Add(cat(ackSleep, knownFrame, ackWork))
	f.Add(cat(bad, knownFrame))
	f.Add(cat(knownFrame[:3], knownFrame))
	f.Add(cat(knownFrame[4:], bad[:6], overFrame))
	f.Add(bytes.Repeat([]byte{0xaa, 0xc0}, 20))
	f.Add([]byte{})
}

// FuzzReader feeds arbitrary bytes to an active-mode Dev. It must never
// panic, and every frame it returns must be the 10 bytes it read last
// (nothing read past it) with a good checksum.
func FuzzReader(f *testing.F) {
	seeds(f)
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
// the 10-byte data frames with a good tail and checksum.
func FuzzParseFrame(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := ParseFrame(b)
		valid := len(b) == FrameSize && b[0] == 0xaa && b[1] == 0xc0 && b[9] == 0xab && b[8] == sum(b[2:8])
		if valid != (err == nil) {
			t.Fatalf("ParseFrame(% x) = %v, valid = %v", b, err, valid)
		}
	})
}

// FuzzDecode checks that the stream decoder never panics or fails on
// bytes, and that every value it emits comes from a data frame with a good
// checksum at the offset it gives.
func FuzzDecode(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		sensortest.FuzzDecoded(t, "sds011", data, nil, func(d sensor.Decoded) float64 {
			if d.Offset+FrameSize > int64(len(data)) {
				t.Fatalf("value at offset %d outside the input", d.Offset)
			}
			fr, err := ParseFrame(data[d.Offset : d.Offset+FrameSize])
			if err != nil {
				t.Fatalf("value %+v from a frame ParseFrame refuses: %v", d, err)
			}
			if d.Quantity == telemetry.PM10 {
				return float64(fr.PM10) / 10
			}
			return float64(fr.PM2_5) / 10
		})
	})
}
