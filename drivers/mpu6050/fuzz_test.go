package mpu6050

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzDecodeSample checks that decodeSample never panics, accepts exactly
// 14 bytes, and returns the big-endian counts scaled for the ranges, with
// the suspect marks the counts call for.
func FuzzDecodeSample(f *testing.F) {
	f.Add(level, uint8(0), uint8(0))
	f.Add([]byte{0x7f, 0xff, 0x00, 0x00, 0x40, 0x00, 0x40, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00}, uint8(1), uint8(2))
	f.Add(make([]byte, 14), uint8(3), uint8(3))
	f.Add(level[:13], uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, ar, gr uint8) {
		accelG := []int{2, 4, 8, 16}[ar%4]
		gyroDPS := []int{250, 500, 1000, 2000}[gr%4]
		s, err := decodeSample(b, accelG, gyroDPS)
		if (err == nil) != (len(b) == 14) {
			t.Fatalf("decodeSample(% x) = %v", b, err)
		}
		if err != nil {
			return
		}
		for i := range 7 {
			if raw := int16(binary.BigEndian.Uint16(b[2*i:])); s.Raw[i] != raw {
				t.Fatalf("value %d: raw %d from % x", i, s.Raw[i], b[2*i:2*i+2])
			}
		}
		for i := range 3 {
			a, g := s.Raw[AccelX+i], s.Raw[GyroX+i]
			if s.Accel[i] != float64(a)/accelScale[accelG]*G || s.Gyro[i] != float64(g)/gyroScale[gyroDPS] {
				t.Fatalf("axis %d: %v m/s², %v °/s from %d, %d", i, s.Accel[i], s.Gyro[i], a, g)
			}
			if s.Suspect[AccelX+i] != (a == math.MaxInt16 || a == math.MinInt16) || s.Suspect[GyroX+i] != (g == math.MaxInt16 || g == math.MinInt16) {
				t.Fatalf("axis %d: suspect %v from %d, %d", i, s.Suspect, a, g)
			}
		}
		c := s.Temperature.Celsius()
		if want := float64(s.Raw[Temp])/340 + 36.53; math.Abs(c-want) > 1e-9 || s.Suspect[Temp] != (want < -40 || want > 85) {
			t.Fatalf("temperature %v °C (suspect %v) from %d", c, s.Suspect[Temp], s.Raw[Temp])
		}
	})
}
