package adxl345

import (
	"encoding/binary"
	"testing"
)

// FuzzDecodeSample checks that decodeSample never panics, accepts exactly
// six bytes, and returns for each axis the little-endian count, that count
// times 3.9 mg in m/s², and whether it is at an end of the range or
// beyond it.
func FuzzDecodeSample(f *testing.F) {
	f.Add(atRest, uint8(0))
	f.Add([]byte{0x00, 0xfe, 0xff, 0x01, 0x00, 0x02}, uint8(0))
	f.Add([]byte{0xff, 0x0f, 0x00, 0xf0, 0x00, 0x10}, uint8(3))
	f.Add([]byte{0x00, 0x80, 0xff, 0x7f, 0x00, 0x00}, uint8(2))
	f.Add(atRest[:5], uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, r uint8) {
		rangeG := []int{2, 4, 8, 16}[r%4]
		s, err := decodeSample(b, rangeG)
		if (err == nil) != (len(b) == 6) {
			t.Fatalf("decodeSample(% x) = %v", b, err)
		}
		if err != nil {
			return
		}
		v := [3]float64{s.X, s.Y, s.Z}
		for i := range 3 {
			raw := int16(binary.LittleEndian.Uint16(b[2*i:]))
			if s.Raw[i] != raw || v[i] != float64(raw)*Scale {
				t.Fatalf("axis %d: %d, %v from % x", i, s.Raw[i], v[i], b[2*i:2*i+2])
			}
			if out := int(raw) <= -256*rangeG || int(raw) >= 256*rangeG-1; out != s.OutOfRange[i] {
				t.Fatalf("axis %d: count %d at ±%d g: OutOfRange = %v", i, raw, rangeG, s.OutOfRange[i])
			}
		}
	})
}
