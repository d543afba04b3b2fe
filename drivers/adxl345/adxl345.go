package adxl345

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// I2C addresses: ALT ADDRESS low (the default) or high.
const (
	DefaultAddr = 0x53
	AltAddr     = 0x1d
)

// Defaults for Opts fields left zero.
const (
	DefaultRange = 2                  // ±2 g
	DefaultRate  = 100 * physic.Hertz // the chip's power-on rate
)

// Opts configures a Dev. The zero value means address 0x53, ±2 g and
// 100 Hz.
type Opts struct {
	// Addr is the I2C address, DefaultAddr or AltAddr; 0 means DefaultAddr.
	Addr uint16
	// Range is the full scale in g: 2, 4, 8 or 16; 0 means DefaultRange.
	// Full resolution keeps 3.9 mg per count in every range.
	Range int
	// Rate is the output data rate: 6.25 Hz to 3200 Hz in powers of two
	// times 6.25 Hz; 0 means DefaultRate.
	Rate physic.Frequency
}

// Stats counts what a Dev has seen since New.
type Stats struct {
	Reads   uint64 // samples read
	Suspect uint64 // axes out of the configured range
}

// Dev is an ADXL345 on an I2C bus, measuring. Its methods are safe for
// concurrent use.
type Dev struct {
	d      *i2c.Dev
	rangeG int
	rate   physic.Frequency

	mu    sync.Mutex
	stats struct{ reads, suspect atomic.Uint64 }
}

var _ conn.Resource = (*Dev)(nil)

// New probes DEVID, puts the chip in standby, sets the data rate, full
// resolution and the range, then starts measuring and waits for the first
// sample (1/rate + 1.1 ms). nil opts means the zero Opts.
func New(bus i2c.Bus, opts *Opts) (*Dev, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Addr == 0 {
		o.Addr = DefaultAddr
	}
	if o.Range == 0 {
		o.Range = DefaultRange
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	rb, ok := rangeBits[o.Range]
	if !ok {
		return nil, fmt.Errorf("adxl345: range ±%d g, want 2, 4, 8 or 16", o.Range)
	}
	code, ok := rates[o.Rate]
	if !ok {
		return nil, fmt.Errorf("adxl345: rate %v, want 6.25 Hz × 2ⁿ up to 3200 Hz", o.Rate)
	}
	d := &Dev{d: &i2c.Dev{Bus: bus, Addr: o.Addr}, rangeG: o.Range, rate: o.Rate}
	var id [1]byte
	if err := d.d.Tx([]byte{regDevID}, id[:]); err != nil {
		return nil, fmt.Errorf("adxl345: read DEVID (probe at %s): %w", d.d, err)
	}
	if id[0] != devID {
		return nil, fmt.Errorf("%w: DEVID %#02x at %s, want %#02x", ErrProbe, id[0], d.d, devID)
	}
	// Configure in standby, as the datasheet recommends, then measure.
	for _, w := range []struct {
		name     string
		reg, val byte
	}{
		{"POWER_CTL (standby)", regPowerCtl, 0},
		{"BW_RATE", regBWRate, code},
		{"DATA_FORMAT", regDataFormat, fullRes | rb},
		{"POWER_CTL (measure)", regPowerCtl, measure},
	} {
		if err := d.write(w.name, w.reg, w.val); err != nil {
			return nil, err
		}
	}
	time.Sleep(o.Rate.Period() + 1100*time.Microsecond)
	return d, nil
}

// Read reads the three axes in one transaction, so that they belong to
// the same sample: the register address, a repeated start, then six
// bytes from DATAX0 on.
func (d *Dev) Read() (Sample, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var b [dataBytes]byte
	if err := d.d.Tx([]byte{regDataX0}, b[:]); err != nil {
		return Sample{}, fmt.Errorf("adxl345: read DATAX0..DATAZ1: %w", err)
	}
	s, err := decodeSample(b[:], d.rangeG)
	if err != nil {
		return Sample{}, err
	}
	d.stats.reads.Add(1)
	for _, o := range s.OutOfRange {
		if o {
			d.stats.suspect.Add(1)
		}
	}
	return s, nil
}

// Halt puts the chip in standby. It implements conn.Resource.
func (d *Dev) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.write("POWER_CTL (standby)", regPowerCtl, 0)
}

// Range returns the full scale in g.
func (d *Dev) Range() int { return d.rangeG }

// Stats returns counters of what the Dev has seen.
func (d *Dev) Stats() Stats {
	return Stats{Reads: d.stats.reads.Load(), Suspect: d.stats.suspect.Load()}
}

func (d *Dev) String() string {
	return fmt.Sprintf("adxl345 ±%dg %v on %s", d.rangeG, d.rate, d.d)
}

func (d *Dev) write(name string, reg, val byte) error {
	if err := d.d.Tx([]byte{reg, val}, nil); err != nil {
		return fmt.Errorf("adxl345: write %s: %w", name, err)
	}
	return nil
}
