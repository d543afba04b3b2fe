package adxl345

import (
	"encoding/binary"
	"math"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/simulator/chip"
)

// G is standard gravity, m/s².
const G = 9.80665

// CountsPerG is the full-resolution sensitivity the emulator gives.
const CountsPerG = 256

// Values are the acceleration along the chip's axes, m/s².
type Values struct {
	X, Y, Z float64
}

// Source gives the acceleration the chip feels at a time.
type Source func(t time.Time) Values

// Opts configures a Chip. The zero value means the wall clock.
type Opts struct {
	Now func() time.Time // nil means time.Now
}

// State is what the chip is doing and has done.
type State struct {
	Measuring bool // POWER_CTL Measure bit
	Range     int  // full scale, g
	FullRes   bool
	Rate      byte   // BW_RATE rate code
	Samples   uint64 // samples latched for reads
}

// Registers.
const (
	regDevID      = 0x00
	regBWRate     = 0x2c
	regPowerCtl   = 0x2d
	regIntSource  = 0x30
	regDataFormat = 0x31
	regDataX0     = 0x32
	regDataZ1     = 0x37
	regFIFOStatus = 0x39
	nRegs         = 0x3a
)

// Chip is an emulated ADXL345. Its methods are safe for concurrent use.
type Chip struct {
	src Source
	now func() time.Time

	mu      sync.Mutex
	regs    [nRegs]byte
	ptr     byte
	samples uint64
}

var _ chip.I2CDevice = (*Chip)(nil)

// New returns a chip in its power-on state that feels src. nil opts means
// defaults.
func New(src Source, opts *Opts) *Chip {
	c := &Chip{src: src, now: time.Now}
	if opts != nil && opts.Now != nil {
		c.now = opts.Now
	}
	c.regs[regDevID] = 0xe5
	c.regs[regBWRate] = 0x0a
	c.regs[regIntSource] = 0x02
	return c
}

// State returns a snapshot of the chip's state.
func (c *Chip) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.regs[regDataFormat]
	return State{
		Measuring: c.regs[regPowerCtl]&0x08 != 0,
		Range:     2 << (f & 3),
		FullRes:   f&0x08 != 0,
		Rate:      c.regs[regBWRate] & 0x0f,
		Samples:   c.samples,
	}
}

// Tx implements chip.I2CDevice.
func (c *Chip) Tx(w, r []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(w) > 0 {
		c.ptr = w[0]
		for _, v := range w[1:] {
			if writable(c.ptr) {
				c.regs[c.ptr] = v
			}
			c.ptr++
		}
	}
	if len(r) == 0 {
		return nil
	}
	if end := int(c.ptr) + len(r); int(c.ptr) <= regDataZ1 && end > regDataX0 && c.regs[regPowerCtl]&0x08 != 0 {
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

func writable(reg byte) bool {
	switch {
	case reg == regDevID, reg >= 0x01 && reg <= 0x1c, reg == regIntSource,
		reg >= regDataX0 && reg <= regDataZ1, reg >= regFIFOStatus:
		return false
	}
	return true
}

// latch converts v to counts in the current data format and stores them
// in DATAX0..DATAZ1. The caller holds c.mu.
func (c *Chip) latch(v Values) {
	f := c.regs[regDataFormat]
	rng := 2 << (f & 3)
	bits := 10
	perG := 1024 / float64(2*rng) // 10 bits across the range
	if f&0x08 != 0 {
		bits = 10 + int(f&3)
		perG = CountsPerG
	}
	lo, hi := -(1 << (bits - 1)), 1<<(bits-1)-1
	for i, a := range [3]float64{v.X, v.Y, v.Z} {
		n := math.Round(a / G * perG)
		if math.IsNaN(n) {
			n = 0
		}
		n = math.Max(float64(lo), math.Min(float64(hi), n))
		x := uint16(int16(n))
		if f&0x04 != 0 { // left-justified: MSB of the value in bit 15
			x <<= 16 - bits
		}
		binary.LittleEndian.PutUint16(c.regs[regDataX0+2*i:], x)
	}
	c.samples++
}
