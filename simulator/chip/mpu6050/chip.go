package mpu6050

import (
	"encoding/binary"
	"math"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/simulator/chip"
)

// G is standard gravity, m/s².
const G = 9.80665

// Values are what the chip senses.
type Values struct {
	Accel       [3]float64 // X, Y, Z, m/s²
	Gyro        [3]float64 // X, Y, Z, °/s
	Temperature float64    // die temperature, °C
}

// Source gives what the chip senses at a time.
type Source func(t time.Time) Values

// Opts configures a Chip. The zero value means the wall clock.
type Opts struct {
	Now func() time.Time // nil means time.Now
}

// State is what the chip is doing and has done.
type State struct {
	Asleep     bool
	Clock      byte // PWR_MGMT_1 CLKSEL
	AccelRange int  // g
	GyroRange  int  // °/s
	DLPF       byte // CONFIG DLPF_CFG
	Resets     uint64
	Samples    uint64 // samples latched for reads
}

// Registers.
const (
	regConfig      = 0x1a
	regGyroConfig  = 0x1b
	regAccelConfig = 0x1c
	regIntStatus   = 0x3a
	regAccelXOutH  = 0x3b
	regGyroZOutL   = 0x48
	regExtSensLast = 0x60
	regPwrMgmt1    = 0x6b
	regWhoAmI      = 0x75
	nRegs          = 0x76
)

// Nominal sensitivities by full-scale setting.
var (
	accelCounts = [4]float64{16384, 8192, 4096, 2048} // per g
	gyroCounts  = [4]float64{131, 65.5, 32.8, 16.4}   // per °/s
)

// Chip is an emulated MPU-6050. Its methods are safe for concurrent use.
type Chip struct {
	src Source
	now func() time.Time

	mu      sync.Mutex
	regs    [nRegs]byte
	ptr     byte
	resets  uint64
	samples uint64
}

var _ chip.I2CDevice = (*Chip)(nil)

// New returns a chip in its power-on state that senses src. nil opts
// means defaults.
func New(src Source, opts *Opts) *Chip {
	c := &Chip{src: src, now: time.Now}
	if opts != nil && opts.Now != nil {
		c.now = opts.Now
	}
	c.powerOn()
	return c
}

func (c *Chip) powerOn() {
	c.regs = [nRegs]byte{}
	c.regs[regPwrMgmt1] = 0x40
	c.regs[regWhoAmI] = 0x68
}

// State returns a snapshot of the chip's state.
func (c *Chip) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return State{
		Asleep:     c.regs[regPwrMgmt1]&0x40 != 0,
		Clock:      c.regs[regPwrMgmt1] & 0x07,
		AccelRange: 2 << (c.regs[regAccelConfig] >> 3 & 3),
		GyroRange:  250 << (c.regs[regGyroConfig] >> 3 & 3),
		DLPF:       c.regs[regConfig] & 0x07,
		Resets:     c.resets,
		Samples:    c.samples,
	}
}

// Tx implements chip.I2CDevice.
func (c *Chip) Tx(w, r []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(w) > 0 {
		c.ptr = w[0]
		for _, v := range w[1:] {
			c.write(c.ptr, v)
			c.ptr++
		}
	}
	if len(r) == 0 {
		return nil
	}
	if end := int(c.ptr) + len(r); int(c.ptr) <= regGyroZOutL && end > regAccelXOutH && c.regs[regPwrMgmt1]&0x40 == 0 {
		c.latch(c.src(c.now()))
	}
	for i := range r {
		r[i] = 0
		if c.ptr < nRegs {
			r[i] = c.regs[c.ptr]
		}
		c.ptr++
	}
	return nil
}

// write stores v in reg as the chip would. The caller holds c.mu.
func (c *Chip) write(reg, v byte) {
	switch {
	case reg == regPwrMgmt1 && v&0x80 != 0:
		c.powerOn()
		c.resets++
	case reg >= regIntStatus && reg <= regExtSensLast, reg >= regWhoAmI:
	default:
		c.regs[reg] = v
	}
}

// latch converts v to counts and stores them in ACCEL_XOUT_H..GYRO_ZOUT_L.
// The caller holds c.mu.
func (c *Chip) latch(v Values) {
	afs := c.regs[regAccelConfig] >> 3 & 3
	fs := c.regs[regGyroConfig] >> 3 & 3
	counts := [7]float64{
		v.Accel[0] / G * accelCounts[afs], v.Accel[1] / G * accelCounts[afs], v.Accel[2] / G * accelCounts[afs],
		(v.Temperature - 36.53) * 340,
		v.Gyro[0] * gyroCounts[fs], v.Gyro[1] * gyroCounts[fs], v.Gyro[2] * gyroCounts[fs],
	}
	for i, n := range counts {
		binary.BigEndian.PutUint16(c.regs[regAccelXOutH+2*i:], uint16(i16(n)))
	}
	c.samples++
}

// i16 rounds x to the nearest int16, saturating, and turns NaN into 0.
func i16(x float64) int16 {
	switch {
	case math.IsNaN(x):
		return 0
	case x >= math.MaxInt16:
		return math.MaxInt16
	case x <= math.MinInt16:
		return math.MinInt16
	}
	return int16(math.Round(x))
}
