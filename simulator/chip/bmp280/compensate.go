package bmp280

import (
	"encoding/binary"
	"math"
)

// Calibration is a chip's factory trimming, as the datasheets name it.
type Calibration struct {
	T1                             uint16
	T2, T3                         int16
	P1                             uint16
	P2, P3, P4, P5, P6, P7, P8, P9 int16
	H1, H3                         uint8
	H2, H4, H5                     int16 // H4 and H5 are 12-bit
	H6                             int8
}

// DefaultCalibration is the BMP280 datasheet's worked example (§3.12),
// with humidity trimming from a BME280 in the field.
var DefaultCalibration = Calibration{
	T1: 27504, T2: 26435, T3: -1000,
	P1: 36477, P2: -10685, P3: 3024, P4: 2855, P5: 140, P6: -7, P7: 15500, P8: -14600, P9: 6000,
	H1: 75, H2: 362, H3: 0, H4: 313, H5: 50, H6: 30,
}

// registers lays the trimming out as the chip's 0x88..0xA1 and
// 0xE1..0xE7 hold it.
func (c Calibration) registers() (tp [26]byte, h [7]byte) {
	words := []uint16{c.T1, uint16(c.T2), uint16(c.T3), c.P1, uint16(c.P2), uint16(c.P3), uint16(c.P4),
		uint16(c.P5), uint16(c.P6), uint16(c.P7), uint16(c.P8), uint16(c.P9)}
	for i, w := range words {
		binary.LittleEndian.PutUint16(tp[2*i:], w)
	}
	tp[25] = c.H1
	binary.LittleEndian.PutUint16(h[:], uint16(c.H2))
	h[2] = c.H3
	h[3] = byte(c.H4 >> 4)
	h[4] = byte(c.H4&0x0f) | byte(c.H5&0x0f)<<4
	h[5] = byte(c.H5 >> 4)
	h[6] = byte(c.H6)
	return tp, h
}

// The datasheets' integer compensation (BMP280 §3.11.3, BME280 §4.2.3),
// which the emulator inverts to find the ADC values a Source's values
// call for.

func (c *Calibration) tFine(adcT int32) int32 {
	var1 := ((adcT>>3 - int32(c.T1)<<1) * int32(c.T2)) >> 11
	d := adcT>>4 - int32(c.T1)
	return var1 + (((d*d)>>12)*int32(c.T3))>>14
}

// pressure is in 1/256 Pa.
func (c *Calibration) pressure(adcP, tFine int32) int64 {
	var1 := int64(tFine) - 128000
	var2 := var1*var1*int64(c.P6) + (var1*int64(c.P5))<<17 + int64(c.P4)<<35
	var1 = (var1*var1*int64(c.P3))>>8 + (var1*int64(c.P2))<<12
	var1 = ((int64(1)<<47 + var1) * int64(c.P1)) >> 33
	if var1 == 0 {
		return 0
	}
	p := ((int64(1048576-adcP)<<31 - var2) * 3125) / var1
	var1 = (int64(c.P9) * (p >> 13) * (p >> 13)) >> 25
	var2 = (int64(c.P8) * p) >> 19
	return (p+var1+var2)>>8 + int64(c.P7)<<4
}

// humidity is in 1/1024 %.
func (c *Calibration) humidity(adcH, tFine int32) int64 {
	v := tFine - 76800
	x := (adcH<<14 - int32(c.H4)<<20 - int32(c.H5)*v + 16384) >> 15
	y := ((((v*int32(c.H6))>>10)*(((v*int32(c.H3))>>11)+32768))>>10 + 2097152) * int32(c.H2)
	v = x * ((y + 8192) >> 14)
	v -= ((((v >> 15) * (v >> 15)) >> 7) * int32(c.H1)) >> 4
	return int64(min(max(v, 0), 419430400) >> 12)
}

// nearest returns the k in [0, n) whose f(k) is closest to target, for f
// monotonic in k (rising or falling).
func nearest(n int, target float64, f func(k int) float64) int {
	rising := f(n-1) >= f(0)
	lo, hi := 0, n-1
	for lo < hi { // first k with f(k) at or past target
		mid := (lo + hi) / 2
		if v := f(mid); rising && v >= target || !rising && v <= target {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo > 0 && math.Abs(f(lo-1)-target) <= math.Abs(f(lo)-target) {
		return lo - 1
	}
	return lo
}

// raw finds the ADC values that compensate back to v: temperature and
// pressure on the grid their oversampling resolves (16 bits at 1× up to
// 20 at 16×: the low bits read 0), humidity on 16 bits.
func (c *Calibration) raw(v Values, osT, osP byte) (adcT, adcP, adcH int32) {
	shiftT, shiftP := 5-int(osT), 5-int(osP)
	// T in 0.01 °C is (t_fine·5 + 128) >> 8, so aim t_fine at T·5120.
	kT := nearest(1<<(20-shiftT), v.Temperature*5120, func(k int) float64 { return float64(c.tFine(int32(k << shiftT))) })
	adcT = int32(kT << shiftT)
	tf := c.tFine(adcT)
	kP := nearest(1<<(20-shiftP), v.Pressure*256, func(k int) float64 { return float64(c.pressure(int32(k<<shiftP), tf)) })
	adcP = int32(kP << shiftP)
	adcH = int32(nearest(1<<16, v.Humidity*1024, func(k int) float64 { return float64(c.humidity(int32(k), tf)) }))
	return adcT, adcP, adcH
}
