package mpu6050

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"periph.io/x/conn/v3/physic"
)

// Registers and values (register map RM-MPU-6000A-00 rev. 4.2).
const (
	regConfig      = 0x1a // DLPF_CFG bits 2:0
	regGyroConfig  = 0x1b // FS_SEL bits 4:3
	regAccelConfig = 0x1c // AFS_SEL bits 4:3
	regAccelXOutH  = 0x3b // 14 bytes: accel X, Y, Z, temp, gyro X, Y, Z
	regPwrMgmt1    = 0x6b
	regWhoAmI      = 0x75

	whoAmI      = 0x68
	deviceReset = 0x80 // PWR_MGMT_1 DEVICE_RESET
	sleepBit    = 0x40 // PWR_MGMT_1 SLEEP
	clkPLLGyroX = 0x01 // PWR_MGMT_1 CLKSEL: PLL with the X gyro as reference
	burstBytes  = 14
)

// G is standard gravity, m/s² per g.
const G = 9.80665

// ErrProbe means the chip at the address is not an MPU-6050.
var ErrProbe = errors.New("mpu6050: not an MPU-6050")

// Indices into Sample.Raw and Sample.Suspect, in burst order.
const (
	AccelX = iota
	AccelY
	AccelZ
	Temp
	GyroX
	GyroY
	GyroZ
)

// Sample is one burst read of the accelerometer, the temperature sensor
// and the gyroscope, all from the same sampling instant.
type Sample struct {
	Accel       [3]float64 // X, Y, Z, m/s²
	Gyro        [3]float64 // X, Y, Z, °/s
	Temperature physic.Temperature
	Raw         [7]int16 // as read: accel X, Y, Z, temperature, gyro X, Y, Z
	// Suspect marks values that are not to be trusted, indexed like Raw:
	// accelerometer and gyroscope counts at ±32767/−32768 (the output
	// saturated, the true value is at the end of the range or beyond), and
	// a temperature outside the chip's −40…85 °C operating range.
	Suspect [7]bool
}

// Scales for each full-scale setting (product specification rev. 3.4,
// Tables 6.1 and 6.2): counts per g and counts per °/s.
var (
	accelScale = map[int]float64{2: 16384, 4: 8192, 8: 4096, 16: 2048}
	gyroScale  = map[int]float64{250: 131, 500: 65.5, 1000: 32.8, 2000: 16.4}
	accelSel   = map[int]byte{2: 0, 4: 1, 8: 2, 16: 3}
	gyroSel    = map[int]byte{250: 0, 500: 1, 1000: 2, 2000: 3}
	// dlpf maps the accelerometer bandwidth in Hz to DLPF_CFG.
	dlpf = map[int]byte{260: 0, 184: 1, 94: 2, 44: 3, 21: 4, 10: 5, 5: 6}
)

// decodeSample turns the 14-byte burst from ACCEL_XOUT_H (big-endian
// two's complement) into a Sample for a chip set to ±accelG g and
// ±gyroDPS °/s, which must be keys of accelScale and gyroScale.
func decodeSample(b []byte, accelG, gyroDPS int) (Sample, error) {
	if len(b) != burstBytes {
		return Sample{}, fmt.Errorf("mpu6050: %d data bytes, want %d", len(b), burstBytes)
	}
	var s Sample
	for i := range s.Raw {
		s.Raw[i] = int16(binary.BigEndian.Uint16(b[2*i:]))
	}
	for i := range 3 {
		a, g := s.Raw[AccelX+i], s.Raw[GyroX+i]
		s.Accel[i] = float64(a) / accelScale[accelG] * G
		s.Gyro[i] = float64(g) / gyroScale[gyroDPS]
		s.Suspect[AccelX+i] = a == math.MaxInt16 || a == math.MinInt16
		s.Suspect[GyroX+i] = g == math.MaxInt16 || g == math.MinInt16
	}
	c := float64(s.Raw[Temp])/340 + 36.53
	s.Temperature = physic.ZeroCelsius + physic.Temperature(math.Round(c*float64(physic.Celsius)))
	s.Suspect[Temp] = c < -40 || c > 85
	return s, nil
}
