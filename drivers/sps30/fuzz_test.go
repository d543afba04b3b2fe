package sps30

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// FuzzDecodeWords checks that decodeWords never panics and accepts exactly
// the replies made of whole words whose CRCs match, returning their data
// bytes in order.
func FuzzDecodeWords(f *testing.F) {
	f.Add(valuesReply)
	f.Add(serialReply)
	f.Add(readyYes)
	f.Add(interval168h)
	f.Add(with(valuesReply, 2, 0x79))
	f.Add(valuesReply[:59])
	f.Add(bytes.Repeat([]byte{0xff}, 9))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeWords(b)
		valid := len(b)%3 == 0
		for i := 0; valid && i < len(b); i += 3 {
			valid = CRC(b[i:i+2]) == b[i+2]
		}
		if valid != (err == nil) {
			t.Fatalf("decodeWords(% x) = %v, valid = %v", b, err, valid)
		}
		if err != nil {
			if len(b)%3 == 0 && !errors.Is(err, ErrCRC) {
				t.Fatalf("decodeWords(% x) = %v, want ErrCRC", b, err)
			}
			return
		}
		if len(d) != len(b)/3*2 {
			t.Fatalf("decodeWords gave %d bytes from %d", len(d), len(b))
		}
		for i := range len(d) / 2 {
			if d[2*i] != b[3*i] || d[2*i+1] != b[3*i+1] {
				t.Fatalf("word %d: % x from % x", i, d[2*i:2*i+2], b[3*i:3*i+2])
			}
		}
	})
}

// FuzzParseValues feeds arbitrary bytes, fixed up to carry good CRCs half
// of the time, to parseValues. It must never panic, and every value it
// returns must be the float32 its bytes encode.
func FuzzParseValues(f *testing.F) {
	f.Add(valuesReply, false)
	f.Add(with(valuesReply, 35, 0x00), false)
	f.Add(bytes.Repeat([]byte{0x7f, 0xc0, 0x00}, 20), true) // NaNs
	f.Add(bytes.Repeat([]byte{0xff, 0x80, 0x00}, 20), true) // -Inf
	f.Add(make([]byte, 60), true)
	f.Add(valuesReply[:30], true)
	f.Fuzz(func(t *testing.T, b []byte, fix bool) {
		b = bytes.Clone(b)
		if fix {
			for i := 0; i+2 < len(b); i += 3 {
				b[i+2] = CRC(b[i : i+2])
			}
		}
		m, err := parseValues(b)
		if err != nil {
			return
		}
		got := [10]float64{m.PM1, m.PM2_5, m.PM4, m.PM10, m.NC0_5, m.NC1, m.NC2_5, m.NC4, m.NC10, m.TypicalSize}
		for i, v := range got {
			raw := []byte{b[6*i], b[6*i+1], b[6*i+3], b[6*i+4]}
			want := math.Float32frombits(binary.BigEndian.Uint32(raw))
			if !(float32(v) == want || math.IsNaN(v) && want != want) {
				t.Fatalf("value %d = %v, bytes % x say %v", i, v, raw, want)
			}
		}
		_ = m.Suspect()
	})
}

// FuzzParseSerial checks that parseSerial never panics and returns only
// non-empty printable ASCII.
func FuzzParseSerial(f *testing.F) {
	f.Add(serialReply)
	f.Add(bytes.Repeat([]byte{0, 0, 0x81}, 16))
	f.Add([]byte{0x41, 0x07, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseSerial(b)
		if err != nil {
			return
		}
		if s == "" || len(s) > len(b)/3*2 {
			t.Fatalf("parseSerial(% x) = %q", b, s)
		}
		for _, c := range []byte(s) {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("parseSerial(% x) = %q", b, s)
			}
		}
	})
}
