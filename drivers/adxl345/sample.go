package adxl345

import (
	"encoding/binary"
	"errors"
	"fmt"

	"periph.io/x/conn/v3/physic"
)

// Registers and values (datasheet Table 19).
const (
	regDevID      = 0x00
	regBWRate     = 0x2c
	regPowerCtl   = 0x2d
	regDataFormat = 0x31
	regDataX0     = 0x32 // DATAX0..DATAZ1: 0x32..0x37

	devID     = 0xe5
	measure   = 0x08 // POWER_CTL Measure bit
	fullRes   = 0x08 // DATA_FORMAT FULL_RES bit
	dataBytes = 6
)

// Standard gravity, m/s² per g.
const G = 9.80665

// Scale is the full-resolution sensitivity: 3.9 mg per count in every
// range (datasheet Table 1, typical).
const Scale = 0.0039 * G // m/s² per count

// ErrProbe means the chip at the address is not an ADXL345.
var ErrProbe = errors.New("adxl345: not an ADXL345")

// Sample is one reading of the three axes.
type Sample struct {
	X, Y, Z float64  // acceleration, m/s²
	Raw     [3]int16 // the counts read, 3.9 mg each
	// OutOfRange marks axes whose count is at an end of the configured
	// range or beyond it. In full resolution the chip gives 10 bits at
	// ±2 g up to 13 bits at ±16 g, sign-extended: a count beyond them
	// means a corrupted transfer, and a count at an end means the chip
	// saturated, the true acceleration being there or beyond.
	OutOfRange [3]bool
}

// Suspect reports whether any axis is out of range.
func (s Sample) Suspect() bool { return s.OutOfRange != [3]bool{} }

// decodeSample turns DATAX0..DATAZ1 (little-endian, right-justified,
// sign-extended) into a Sample for a chip set to ±rangeG g in full
// resolution.
func decodeSample(b []byte, rangeG int) (Sample, error) {
	if len(b) != dataBytes {
		return Sample{}, fmt.Errorf("adxl345: %d data bytes, want %d", len(b), dataBytes)
	}
	limit := int(256 * rangeG) // counts at full scale: 512 at ±2 g … 4096 at ±16 g
	var s Sample
	v := [3]*float64{&s.X, &s.Y, &s.Z}
	for i := range 3 {
		raw := int16(binary.LittleEndian.Uint16(b[2*i:]))
		s.Raw[i] = raw
		*v[i] = float64(raw) * Scale
		s.OutOfRange[i] = int(raw) <= -limit || int(raw) >= limit-1
	}
	return s, nil
}

// rangeBits maps a range in g to DATA_FORMAT's Range field.
var rangeBits = map[int]byte{2: 0, 4: 1, 8: 2, 16: 3}

// Rates maps each output data rate the driver offers to BW_RATE's Rate
// field (datasheet Table 7; normal power). Rates above 800 Hz need a
// 400 kHz I2C clock.
var rates = map[physic.Frequency]byte{
	6250 * physic.MilliHertz:  0x06,
	12500 * physic.MilliHertz: 0x07,
	25 * physic.Hertz:         0x08,
	50 * physic.Hertz:         0x09,
	100 * physic.Hertz:        0x0a,
	200 * physic.Hertz:        0x0b,
	400 * physic.Hertz:        0x0c,
	800 * physic.Hertz:        0x0d,
	1600 * physic.Hertz:       0x0e,
	3200 * physic.Hertz:       0x0f,
}
