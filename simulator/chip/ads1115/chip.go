package ads1115

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/simulator/chip"
)

// Registers, and config bits.
const (
	RegConversion = 0x00
	RegConfig     = 0x01
	RegLoThresh   = 0x02
	RegHiThresh   = 0x03

	PowerOnConfig = 0x8583

	cfgOS   = 0x8000
	cfgMode = 0x0100 // 1: single-shot
)

// powerUp is how long the chip takes to wake for a single-shot
// conversion.
const powerUp = 25 * time.Microsecond

// fullScales are the PGA full scales by PGA code; codes 6 and 7 are
// ±0.256 V too.
var fullScales = [8]physic.ElectricPotential{
	6144 * physic.MilliVolt, 4096 * physic.MilliVolt, 2048 * physic.MilliVolt, 1024 * physic.MilliVolt,
	512 * physic.MilliVolt, 256 * physic.MilliVolt, 256 * physic.MilliVolt, 256 * physic.MilliVolt,
}

// rates are the data rates in samples/s by DR code.
var rates = [8]int{8, 16, 32, 64, 128, 250, 475, 860}

// Input is what an analog input sees: its voltage against GND at a time.
type Input interface {
	Voltage(t time.Time) physic.ElectricPotential
}

// Volts is a constant voltage.
type Volts physic.ElectricPotential

// Voltage implements Input.
func (v Volts) Voltage(time.Time) physic.ElectricPotential { return physic.ElectricPotential(v) }

// Opts configures a Chip. The zero value means the wall clock and an
// oscillator on its nominal frequency.
type Opts struct {
	// Now is the chip's clock; nil means time.Now.
	Now func() time.Time
	// Slow stretches conversions: 0.11 makes them take 11% longer, as
	// on a chip whose data rate is 10% low, the datasheet's limit.
	// Negative values count as 0.
	Slow float64
}

// State counts what the chip has done.
type State struct {
	Config        uint16 // the config register as written (OS as last written)
	Conversions   uint64 // single-shot conversions started
	BusyReads     uint64 // config reads that found a conversion running
	StaleReads    uint64 // conversion reads during a conversion (the previous result)
	IgnoredStarts uint64 // OS=1 writes during a conversion
}

// Chip is an emulated ADS1115. It implements chip.I2CDevice; its methods
// are safe for concurrent use.
type Chip struct {
	now  func() time.Time
	slow float64

	mu       sync.Mutex
	inputs   [4]Input
	pointer  byte
	regs     [4]uint16 // conversion, config, lo, hi
	busy     bool      // a single-shot conversion is running
	done     time.Time // when it ends
	sampling uint16    // config it was started with
	state    State
}

var _ chip.I2CDevice = (*Chip)(nil)

// New returns a chip in its power-on state with nothing on its inputs
// (0 V). nil opts means defaults.
func New(opts *Opts) *Chip {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := &Chip{now: o.Now, slow: max(o.Slow, 0)}
	c.regs = [4]uint16{0, PowerOnConfig, 0x8000, 0x7fff}
	return c
}

// SetInput connects in to AINn (0–3); nil means 0 V.
func (c *Chip) SetInput(n int, in Input) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inputs[n] = in
}

// State returns what the chip has done.
func (c *Chip) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.state
	s.Config = c.regs[RegConfig]
	return s
}

// Tx implements chip.I2CDevice: w[0] sets the pointer, w[1:3] the
// register it selects; r is filled from that register.
func (c *Chip) Tx(w, r []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.finish(now)
	if len(w) > 0 {
		if w[0] > RegHiThresh {
			return fmt.Errorf("ads1115: pointer %#02x: the chip NACKs it", w[0])
		}
		c.pointer = w[0]
	}
	if len(w) >= 3 {
		c.write(binary.BigEndian.Uint16(w[1:3]), now)
	}
	if len(r) > 0 {
		v := c.read(now)
		for i := range r {
			r[i] = byte(v >> (8 * (1 - i%2)))
		}
	}
	return nil
}

// write sets the register the pointer selects. The caller holds c.mu.
func (c *Chip) write(v uint16, now time.Time) {
	switch c.pointer {
	case RegConversion:
		return // read-only
	case RegConfig:
		if c.busy {
			// OS has no effect while converting; the other bits are
			// taken, and apply to the next conversion.
			if v&cfgOS != 0 {
				c.state.IgnoredStarts++
			}
			c.regs[RegConfig] = v
			return
		}
		c.regs[RegConfig] = v
		if v&cfgOS != 0 && v&cfgMode != 0 {
			c.busy, c.sampling = true, v
			c.done = now.Add(powerUp + c.conversionTime(v))
			c.state.Conversions++
		}
	default:
		c.regs[c.pointer] = v
	}
}

// read returns the register the pointer selects. The caller holds c.mu.
func (c *Chip) read(now time.Time) uint16 {
	switch c.pointer {
	case RegConfig:
		v := c.regs[RegConfig] &^ cfgOS
		if c.busy {
			c.state.BusyReads++
		} else if c.regs[RegConfig]&cfgMode != 0 {
			v |= cfgOS // single-shot and idle
		}
		return v
	case RegConversion:
		if c.regs[RegConfig]&cfgMode == 0 {
			return uint16(c.code(c.regs[RegConfig], now)) // continuous
		}
		if c.busy {
			c.state.StaleReads++
		}
	}
	return c.regs[c.pointer]
}

// finish ends a conversion whose time is up. The caller holds c.mu.
func (c *Chip) finish(now time.Time) {
	if c.busy && !now.Before(c.done) {
		c.regs[RegConversion] = uint16(c.code(c.sampling, c.done))
		c.busy = false
	}
}

// conversionTime is 1/DR, stretched by Opts.Slow.
func (c *Chip) conversionTime(cfg uint16) time.Duration {
	dr := rates[cfg>>5&7]
	return time.Duration(float64(time.Second) * (1 + c.slow) / float64(dr))
}

// code is the conversion result for the inputs cfg's MUX selects, at t.
// The caller holds c.mu.
func (c *Chip) code(cfg uint16, t time.Time) int16 {
	in := func(n int) physic.ElectricPotential {
		if c.inputs[n] == nil {
			return 0
		}
		return c.inputs[n].Voltage(t)
	}
	var v physic.ElectricPotential
	switch mux := cfg >> 12 & 7; mux {
	case 0:
		v = in(0) - in(1)
	case 1:
		v = in(0) - in(3)
	case 2:
		v = in(1) - in(3)
	case 3:
		v = in(2) - in(3)
	default:
		v = in(int(mux - 4))
	}
	fs := fullScales[cfg>>9&7]
	x := math.Round(float64(v) / float64(fs) * 32768)
	return int16(math.Max(math.MinInt16, math.Min(math.MaxInt16, x)))
}
