package ads1115level

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// Addresses the chip can be strapped to.
const (
	DefaultAddr uint16 = 0x48
	MaxAddr     uint16 = 0x4b
)

// Defaults used for zero Opts fields.
const (
	DefaultShunt = 150 * physic.Ohm
	DefaultRate  = 128 // samples per second, the chip's power-on rate
)

// Registers and configuration bits.
const (
	regConversion = 0x00
	regConfig     = 0x01

	cfgOS         = 0x8000 // start a conversion; reads 1 when idle
	cfgMuxSingle  = 0x4000 // AIN0 against GND; add channel<<12
	cfgModeSingle = 0x0100 // single-shot: power down after converting
	cfgCompOff    = 0x0003 // comparator disabled, ALERT/RDY high-impedance
)

// Ranges are the PGA full scales, in the order of their PGA codes.
var Ranges = [...]physic.ElectricPotential{
	6144 * physic.MilliVolt, 4096 * physic.MilliVolt, 2048 * physic.MilliVolt,
	1024 * physic.MilliVolt, 512 * physic.MilliVolt, 256 * physic.MilliVolt,
}

// Rates are the data rates in samples per second, in the order of their
// DR codes.
var Rates = [...]int{8, 16, 32, 64, 128, 250, 475, 860}

// rangeCurrent is the loop current the automatic range must hold: above
// NE 43's 21 mA failure threshold, so that the whole band is measurable.
const rangeCurrent = 22 * physic.MilliAmpere

// Opts configures a Dev. nil Opts means channel 0, DefaultShunt, the range
// chosen from the shunt and DefaultRate.
type Opts struct {
	// Channel is the input, 0–3, measured against GND.
	Channel int
	// Shunt is the resistance the loop current flows through; 0 means
	// DefaultShunt.
	Shunt physic.ElectricResistance
	// Range is the PGA full scale, one of Ranges; 0 means the smallest
	// that holds 22 mA × Shunt.
	Range physic.ElectricPotential
	// Rate is the data rate in samples/s, one of Rates; 0 means
	// DefaultRate.
	Rate int
}

// Stats counts what a Dev has read since New.
type Stats struct {
	Samples    uint64 // conversions read
	FaultsLow  uint64 // below 3.6 mA: open loop, broken wire, low alarm
	FaultsHigh uint64 // above 21 mA or saturated: short circuit, high alarm
	UnderRange uint64 // 3.6–3.8 mA
	OverRange  uint64 // 20.5–21 mA
}

// Dev is one 4–20 mA loop on one ADS1115 input. Its methods are safe for
// concurrent use; conversions on the same chip take turns, across Devs.
type Dev struct {
	c      i2c.Dev
	ch     int
	shunt  physic.ElectricResistance
	fs     physic.ElectricPotential
	rate   int
	start  [3]byte       // configuration write that starts a conversion
	conv   time.Duration // nominal conversion time, 1/rate
	chipMu *sync.Mutex
	wait   func(context.Context, time.Duration) error // sleep; tests replace it

	stats struct{ samples, faultsLow, faultsHigh, under, over atomic.Uint64 }
}

var _ conn.Resource = (*Dev)(nil)

// New checks opts and probes the chip at addr by reading its
// configuration register.
func New(bus i2c.Bus, addr uint16, opts *Opts) (*Dev, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if addr == 0 {
		addr = DefaultAddr
	}
	if addr < DefaultAddr || addr > MaxAddr {
		return nil, fmt.Errorf("ads1115level: address %#x is not 0x48–0x4b", addr)
	}
	if o.Channel < 0 || o.Channel > 3 {
		return nil, fmt.Errorf("ads1115level: channel %d is not 0–3", o.Channel)
	}
	if o.Shunt < 0 {
		return nil, fmt.Errorf("ads1115level: negative shunt %v", o.Shunt)
	}
	if o.Shunt == 0 {
		o.Shunt = DefaultShunt
	}
	pga := -1
	for i, r := range Ranges {
		if (o.Range == 0 && r >= voltage(rangeCurrent, o.Shunt)) || r == o.Range {
			pga = i // the ranges shrink: keep the last, smallest, match
		}
	}
	if pga < 0 {
		if o.Range != 0 {
			return nil, fmt.Errorf("ads1115level: range %v is not one of %v", o.Range, Ranges)
		}
		return nil, fmt.Errorf("ads1115level: 22 mA through %v is %v, beyond the largest range %v", o.Shunt, voltage(rangeCurrent, o.Shunt), Ranges[0])
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	dr := -1
	for i, r := range Rates {
		if r == o.Rate {
			dr = i
		}
	}
	if dr < 0 {
		return nil, fmt.Errorf("ads1115level: rate %d is not one of %v samples/s", o.Rate, Rates)
	}
	d := &Dev{
		c:  i2c.Dev{Bus: bus, Addr: addr},
		ch: o.Channel, shunt: o.Shunt, fs: Ranges[pga], rate: o.Rate,
		conv:   time.Second / time.Duration(o.Rate),
		chipMu: chipLock(bus, addr),
		wait:   sleep,
	}
	cfg := uint16(cfgOS|cfgMuxSingle|cfgModeSingle|cfgCompOff) | uint16(o.Channel)<<12 | uint16(pga)<<9 | uint16(dr)<<5
	d.start = [3]byte{regConfig, byte(cfg >> 8), byte(cfg)}
	if _, err := d.readReg(regConfig); err != nil {
		return nil, fmt.Errorf("ads1115level: probe %#x on %s: %w", addr, bus, err)
	}
	return d, nil
}

// voltage is i × r.
func voltage(i physic.ElectricCurrent, r physic.ElectricResistance) physic.ElectricPotential {
	return physic.ElectricPotential(math.Round(float64(i) * float64(r) / 1e9))
}

var chips struct {
	sync.Mutex
	m map[string]*sync.Mutex
}

// chipLock returns the lock that serialises conversions on the chip at
// addr on bus, shared by every Dev in the process.
func chipLock(bus i2c.Bus, addr uint16) *sync.Mutex {
	key := fmt.Sprintf("%s/%#x", bus, addr)
	chips.Lock()
	defer chips.Unlock()
	if chips.m == nil {
		chips.m = make(map[string]*sync.Mutex)
	}
	mu, ok := chips.m[key]
	if !ok {
		mu = new(sync.Mutex)
		chips.m[key] = mu
	}
	return mu
}

// Convert starts a single conversion, waits until the chip says it is
// done and returns the raw result. It gives up when ctx ends or after
// twice the conversion time plus 10 ms.
func (d *Dev) Convert(ctx context.Context) (int16, error) {
	d.chipMu.Lock()
	defer d.chipMu.Unlock()
	if err := d.c.Tx(d.start[:], nil); err != nil {
		return 0, fmt.Errorf("ads1115level: start conversion: %w", err)
	}
	// The OS bit may read 1 for ~25 µs after the write, before the chip
	// has powered up: look only after the nominal conversion time.
	if err := d.wait(ctx, d.conv); err != nil {
		return 0, err
	}
	poll := max(d.conv/16, 100*time.Microsecond)
	deadline := time.Now().Add(d.conv + 10*time.Millisecond)
	for {
		cfg, err := d.readReg(regConfig)
		if err != nil {
			return 0, fmt.Errorf("ads1115level: poll ready: %w", err)
		}
		if cfg&cfgOS != 0 {
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("ads1115level: conversion not done after %v (config %#04x)", 2*d.conv+10*time.Millisecond, cfg)
		}
		if err := d.wait(ctx, poll); err != nil {
			return 0, err
		}
	}
	raw, err := d.readReg(regConversion)
	if err != nil {
		return 0, fmt.Errorf("ads1115level: read conversion: %w", err)
	}
	return int16(raw), nil
}

func (d *Dev) readReg(reg byte) (uint16, error) {
	var b [2]byte
	if err := d.c.Tx([]byte{reg}, b[:]); err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint16(b[:]), nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Read converts once and returns the loop's voltage, current and NE 43
// status, counting the status in Stats.
func (d *Dev) Read(ctx context.Context) (Sample, error) {
	raw, err := d.Convert(ctx)
	if err != nil {
		return Sample{}, err
	}
	s := d.sample(raw)
	d.stats.samples.Add(1)
	switch s.Status {
	case FaultLow:
		d.stats.faultsLow.Add(1)
	case FaultHigh:
		d.stats.faultsHigh.Add(1)
	case UnderRange:
		d.stats.under.Add(1)
	case OverRange:
		d.stats.over.Add(1)
	}
	return s, nil
}

// sample turns a raw conversion into a Sample.
func (d *Dev) sample(raw int16) Sample {
	v := physic.ElectricPotential(int64(raw) * int64(d.fs) / 32768)
	i := physic.ElectricCurrent(math.Round(float64(v) / float64(d.shunt) * 1e9))
	st := Classify(i)
	switch raw {
	case math.MaxInt16:
		st = FaultHigh // at or beyond full scale: the current is unknown
	case math.MinInt16:
		st = FaultLow // reversed wiring
	}
	return Sample{Raw: raw, Voltage: v, Current: i, Status: st}
}

// Stats returns what the Dev has read since New.
func (d *Dev) Stats() Stats {
	return Stats{
		Samples: d.stats.samples.Load(), FaultsLow: d.stats.faultsLow.Load(), FaultsHigh: d.stats.faultsHigh.Load(),
		UnderRange: d.stats.under.Load(), OverRange: d.stats.over.Load(),
	}
}

// Range returns the PGA full scale in use.
func (d *Dev) Range() physic.ElectricPotential { return d.fs }

// Halt implements conn.Resource. In single-shot mode the chip powers
// down after each conversion, so there is nothing to stop.
func (d *Dev) Halt() error { return nil }

func (d *Dev) String() string {
	return fmt.Sprintf("ads1115level AIN%d at %#x on %s (%v shunt, ±%v, %d SPS)", d.ch, d.c.Addr, d.c.Bus, d.shunt, d.fs, d.rate)
}
