package bmp280

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Calibration sizes on the wire.
const (
	calibSize    = 26 // 0x88..0xA1: dig_T1..dig_P9, reserved, dig_H1
	calibHumSize = 7  // 0xE1..0xE7: dig_H2..dig_H6 (BME280)
)

// ErrCalibration means the trimming parameters read from the chip cannot
// be right (dig_T1 or dig_P1 zero, as from a bus that reads zeros).
var ErrCalibration = errors.New("bmp280: invalid calibration data")

// calib holds the chip's factory trimming parameters.
type calib struct {
	t1                             uint16
	t2, t3                         int16
	p1                             uint16
	p2, p3, p4, p5, p6, p7, p8, p9 int16
	h1, h3                         uint8
	h2, h4, h5                     int16
	h6                             int8
}

// parseCalib decodes calibration registers 0x88..0xA1 and, for a BME280,
// 0xE1..0xE7 (nil for a BMP280). Words are little-endian. dig_H4 and
// dig_H5 are 12-bit values packed around 0xE5 and, like Bosch's reference
// driver, taken as signed: dig_H4 = 0xE4<<4 | 0xE5&0x0F and
// dig_H5 = 0xE6<<4 | 0xE5>>4, the 0xE4 and 0xE6 bytes sign-extended.
func parseCalib(tp, h []byte) (calib, error) {
	if len(tp) != calibSize || (h != nil && len(h) != calibHumSize) {
		return calib{}, fmt.Errorf("bmp280: calibration of %d+%d bytes, want %d+%d", len(tp), len(h), calibSize, calibHumSize)
	}
	u := func(i int) uint16 { return binary.LittleEndian.Uint16(tp[i:]) }
	s := func(i int) int16 { return int16(u(i)) }
	c := calib{
		t1: u(0), t2: s(2), t3: s(4),
		p1: u(6), p2: s(8), p3: s(10), p4: s(12), p5: s(14), p6: s(16), p7: s(18), p8: s(20), p9: s(22),
	}
	if h != nil {
		c.h1 = tp[25]
		c.h2 = int16(binary.LittleEndian.Uint16(h))
		c.h3 = h[2]
		c.h4 = int16(int8(h[3]))<<4 | int16(h[4]&0x0f)
		c.h5 = int16(int8(h[5]))<<4 | int16(h[4]>>4)
		c.h6 = int8(h[6])
	}
	if c.t1 == 0 || c.p1 == 0 {
		return calib{}, fmt.Errorf("%w: dig_T1 %d, dig_P1 %d", ErrCalibration, c.t1, c.p1)
	}
	return c, nil
}

// The compensation formulas below are the datasheets' integer ones (BMP280
// §3.11.3 and §8.2, BME280 §4.2.3 and §8.2), written for Go's int32 and
// int64. The chip's ADC values are 20 bits for temperature and pressure,
// 16 bits for humidity.

// temperature returns the temperature in 0.01 °C and t_fine, which the
// pressure and humidity formulas need.
func (c *calib) temperature(adcT int32) (centi, tFine int32) {
	var1 := ((adcT>>3 - int32(c.t1)<<1) * int32(c.t2)) >> 11
	d := adcT>>4 - int32(c.t1)
	var2 := (((d * d) >> 12) * int32(c.t3)) >> 14
	tFine = var1 + var2
	return (tFine*5 + 128) >> 8, tFine
}

// pressure returns the pressure in Pa as unsigned Q24.8 (1/256 Pa), or 0
// when the calibration would divide by zero.
func (c *calib) pressure(adcP, tFine int32) uint32 {
	var1 := int64(tFine) - 128000
	var2 := var1 * var1 * int64(c.p6)
	var2 += (var1 * int64(c.p5)) << 17
	var2 += int64(c.p4) << 35
	var1 = (var1*var1*int64(c.p3))>>8 + (var1*int64(c.p2))<<12
	var1 = ((int64(1)<<47 + var1) * int64(c.p1)) >> 33
	if var1 == 0 {
		return 0
	}
	p := int64(1048576 - adcP)
	p = ((p<<31 - var2) * 3125) / var1
	var1 = (int64(c.p9) * (p >> 13) * (p >> 13)) >> 25
	var2 = (int64(c.p8) * p) >> 19
	return uint32((p+var1+var2)>>8 + int64(c.p7)<<4)
}

// humidity returns the relative humidity in % as unsigned Q22.10
// (1/1024 %), clamped to 0…100 %.
func (c *calib) humidity(adcH, tFine int32) uint32 {
	v := tFine - 76800
	x := (adcH<<14 - int32(c.h4)<<20 - int32(c.h5)*v + 16384) >> 15
	y := ((((v*int32(c.h6))>>10)*(((v*int32(c.h3))>>11)+32768))>>10 + 2097152) * int32(c.h2)
	v = x * ((y + 8192) >> 14)
	v -= ((((v >> 15) * (v >> 15)) >> 7) * int32(c.h1)) >> 4
	v = max(v, 0)
	v = min(v, 419430400)
	return uint32(v >> 12)
}
