package ads1115

import (
	"math"
	"sync"
	"time"

	"periph.io/x/conn/v3/physic"
)

// Loop currents a transmitter and its wiring produce.
const (
	OpenLoop     physic.ElectricCurrent = 0                          // a broken wire: no current
	ShortCurrent                        = 25 * physic.MilliAmpere    // a short across the transmitter, limited by the supply
	SaturateLow                         = 3800 * physic.MicroAmpere  // NE 43: the lowest measuring current
	SaturateHigh                        = 20500 * physic.MicroAmpere // NE 43: the highest measuring current
	AlarmLow                            = 3 * physic.MilliAmpere     // a typical NE 43 downscale failure signal (≤ 3.6 mA)
	AlarmHigh                           = 22500 * physic.MicroAmpere // a typical NE 43 upscale failure signal (≥ 21 mA)
	liveZero                            = 4 * physic.MilliAmpere
	span                                = 16 * physic.MilliAmpere
)

// Loop is a 4–20 mA loop through a shunt to GND: an Input whose voltage
// is the loop current times the shunt. Its methods are safe for
// concurrent use.
type Loop struct {
	shunt physic.ElectricResistance

	mu     sync.Mutex
	value  func(t time.Time) float64
	low    float64 // value at 4 mA
	high   float64 // value at 20 mA
	forced bool
	force  physic.ElectricCurrent
}

// NewLoop returns a loop through shunt whose transmitter measures value,
// with low at 4 mA and high at 20 mA.
func NewLoop(shunt physic.ElectricResistance, low, high float64, value func(t time.Time) float64) *Loop {
	return &Loop{shunt: shunt, low: low, high: high, value: value}
}

// Constant is a value that does not change.
func Constant(v float64) func(time.Time) float64 { return func(time.Time) float64 { return v } }

// Transmit sets what the transmitter measures.
func (l *Loop) Transmit(value func(t time.Time) float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.value = value
}

// Force makes the loop carry i whatever the transmitter measures: OpenLoop
// for a broken wire, ShortCurrent for a short, AlarmLow or AlarmHigh for
// a transmitter signalling its own failure.
func (l *Loop) Force(i physic.ElectricCurrent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forced, l.force = true, i
}

// Break opens the loop.
func (l *Loop) Break() { l.Force(OpenLoop) }

// Repair ends Force: the transmitter drives the loop again.
func (l *Loop) Repair() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forced = false
}

// Current returns the loop current at t: the transmitter's value mapped
// onto 4–20 mA and held within 3.8–20.5 mA, unless forced.
func (l *Loop) Current(t time.Time) physic.ElectricCurrent {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.forced {
		return l.force
	}
	frac := (l.value(t) - l.low) / (l.high - l.low)
	i := float64(liveZero) + frac*float64(span)
	i = math.Max(float64(SaturateLow), math.Min(float64(SaturateHigh), i))
	return physic.ElectricCurrent(math.Round(i))
}

// Voltage implements Input: the current times the shunt.
func (l *Loop) Voltage(t time.Time) physic.ElectricPotential {
	return physic.ElectricPotential(math.Round(float64(l.Current(t)) * float64(l.shunt) / 1e9))
}
