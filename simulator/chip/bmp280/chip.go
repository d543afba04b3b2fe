package bmp280

import (
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/simulator/chip"
)

// Values are what the chip measures.
type Values struct {
	Pressure    float64 // Pa
	Temperature float64 // °C
	Humidity    float64 // % (BME280 only)
}

// Source gives what the chip sees at a time.
type Source func(t time.Time) Values

// Opts configures a Chip. The zero value means a BMP280 with
// DefaultCalibration on the wall clock.
type Opts struct {
	BME280      bool         // a BME280 (chip ID 0x60, humidity) rather than a BMP280 (0x58)
	Calibration *Calibration // nil means DefaultCalibration
	Now         func() time.Time
}

// State is what the chip is doing and has done.
type State struct {
	Mode         byte // ctrl_meas mode bits: 0 sleep, 1 or 2 forced (until done), 3 normal
	CtrlMeas     byte
	CtrlHum      byte
	Config       byte
	Measurements uint64 // conversions done
	Resets       uint64 // soft resets (0xB6 to 0xE0)
}

// Registers.
const (
	regCalib    = 0x88
	regChipID   = 0xd0
	regReset    = 0xe0
	regCalibHum = 0xe1
	regCtrlHum  = 0xf2
	regStatus   = 0xf3
	regCtrlMeas = 0xf4
	regConfig   = 0xf5
	regPress    = 0xf7
	regHumLSB   = 0xfe
)

// Chip is an emulated BMP280 or BME280 on an I2C bus (attach it at 0x76
// or 0x77). Its methods are safe for concurrent use.
type Chip struct {
	src Source
	now func() time.Time
	bme bool
	cal Calibration

	mu     sync.Mutex
	regs   [256]byte
	ptr    byte
	meas   uint64
	resets uint64
}

var _ chip.I2CDevice = (*Chip)(nil)

// New returns a chip in its power-on state that measures src. nil opts
// means defaults.
func New(src Source, opts *Opts) *Chip {
	var o Opts
	if opts != nil {
		o = *opts
	}
	c := &Chip{src: src, now: o.Now, bme: o.BME280, cal: DefaultCalibration}
	if c.now == nil {
		c.now = time.Now
	}
	if o.Calibration != nil {
		c.cal = *o.Calibration
	}
	c.powerOn()
	return c
}

// powerOn sets the registers as after power-on or a soft reset. The
// caller holds c.mu, or has the only reference.
func (c *Chip) powerOn() {
	c.regs = [256]byte{}
	tp, h := c.cal.registers()
	copy(c.regs[regCalib:], tp[:])
	c.regs[regChipID] = 0x58
	if c.bme {
		c.regs[regChipID] = 0x60
		copy(c.regs[regCalibHum:], h[:])
	} else {
		c.regs[regCalib+25] = 0 // 0xA1 is dig_H1 on a BME280 only
	}
	// Results not yet measured read 0x80000 (and 0x8000 for humidity).
	c.regs[regPress], c.regs[regPress+3] = 0x80, 0x80
	if c.bme {
		c.regs[regHumLSB-1] = 0x80
	}
}

// State returns a snapshot of the chip's state.
func (c *Chip) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return State{
		Mode: c.regs[regCtrlMeas] & 3, CtrlMeas: c.regs[regCtrlMeas], CtrlHum: c.regs[regCtrlHum],
		Config: c.regs[regConfig], Measurements: c.meas, Resets: c.resets,
	}
}

// Tx implements chip.I2CDevice. A write is (register, value) pairs; a
// lone or trailing register address sets where a read starts. A read
// auto-increments.
func (c *Chip) Tx(w, r []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(w) >= 2 {
		c.write(w[0], w[1])
		w = w[2:]
	}
	if len(w) == 1 {
		c.ptr = w[0]
	}
	if len(r) == 0 {
		return nil
	}
	// Normal mode converts continuously: a read of the results gets a
	// fresh one (the standby time and the IIR filter are not emulated).
	if c.regs[regCtrlMeas]&3 == 3 && int(c.ptr)+len(r) > regPress {
		c.measure()
	}
	for i := range r {
		r[i] = c.regs[c.ptr]
		c.ptr++
	}
	return nil
}

// write stores v in reg as the chip would. The caller holds c.mu.
func (c *Chip) write(reg, v byte) {
	switch reg {
	case regReset:
		if v == 0xb6 {
			c.powerOn()
			c.resets++
		}
	case regCtrlHum:
		if c.bme {
			c.regs[reg] = v & 7
		}
	case regConfig:
		c.regs[reg] = v
	case regCtrlMeas:
		c.regs[reg] = v
		if m := v & 3; m == 1 || m == 2 {
			// Forced mode: one conversion, then back to sleep. The
			// conversion completes at once, so status never shows
			// "measuring".
			c.measure()
			c.regs[reg] &^= 3
		}
	}
}

// measure converts the Source's values at the current settings into the
// result registers. The caller holds c.mu.
func (c *Chip) measure() {
	v := c.src(c.now())
	osT, osP, osH := c.regs[regCtrlMeas]>>5, c.regs[regCtrlMeas]>>2&7, c.regs[regCtrlHum]&7
	adcT, adcP, adcH := c.cal.raw(v, min(max(osT, 1), 5), min(max(osP, 1), 5))
	put20 := func(at int, x int32) {
		c.regs[at], c.regs[at+1], c.regs[at+2] = byte(x>>12), byte(x>>4), byte(x<<4)
	}
	if osT == 0 {
		adcT = 0x80000
	}
	if osP == 0 || osT == 0 {
		adcP = 0x80000
	}
	put20(regPress, adcP)
	put20(regPress+3, adcT)
	if c.bme {
		if osH == 0 || osT == 0 {
			adcH = 0x8000
		}
		c.regs[regHumLSB-1], c.regs[regHumLSB] = byte(adcH>>8), byte(adcH)
	}
	c.meas++
}
