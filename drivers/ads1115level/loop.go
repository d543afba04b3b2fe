package ads1115level

import (
	"fmt"

	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/telemetry"
)

// NAMUR NE 43 thresholds, as REFERENCE.md gives them.
const (
	FaultBelow = 3600 * physic.MicroAmpere  // below: failure (open loop, low alarm)
	UnderBelow = 3800 * physic.MicroAmpere  // below, down to FaultBelow: under-range
	OverAbove  = 20500 * physic.MicroAmpere // above, up to FaultAbove: over-range
	FaultAbove = 21000 * physic.MicroAmpere // above: failure (short, high alarm)

	zero = 4 * physic.MilliAmpere  // live zero
	span = 16 * physic.MilliAmpere // 4 to 20 mA
)

// Status is a loop current's meaning under NAMUR NE 43.
type Status uint8

const (
	InRange    Status = iota // 3.8–20.5 mA: a measurement
	UnderRange               // 3.6–3.8 mA: below the measuring range
	OverRange                // 20.5–21 mA: above the measuring range
	FaultLow                 // below 3.6 mA: open loop, broken wire or the transmitter's low alarm
	FaultHigh                // above 21 mA: short circuit or the transmitter's high alarm
)

var statusNames = [...]string{InRange: "in range", UnderRange: "under range", OverRange: "over range",
	FaultLow: "loop fault low", FaultHigh: "loop fault high"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Quality maps a status to a reading's quality: faults are Bad, under-
// and over-range Suspect.
func (s Status) Quality() telemetry.Quality {
	switch s {
	case InRange:
		return telemetry.Good
	case UnderRange, OverRange:
		return telemetry.Suspect
	}
	return telemetry.Bad
}

// Fault reports whether the status is a loop failure.
func (s Status) Fault() bool { return s == FaultLow || s == FaultHigh }

// Classify returns the NE 43 status of a loop current. Exactly 3.6 or
// 21 mA counts as under- or over-range, not as a failure.
func Classify(i physic.ElectricCurrent) Status {
	switch {
	case i < FaultBelow:
		return FaultLow
	case i > FaultAbove:
		return FaultHigh
	case i < UnderBelow:
		return UnderRange
	case i > OverAbove:
		return OverRange
	}
	return InRange
}

// Sample is one conversion of the loop.
type Sample struct {
	Raw     int16                    // the conversion register
	Voltage physic.ElectricPotential // across the shunt
	Current physic.ElectricCurrent   // through the shunt
	Status  Status
}

// Span maps loop current linearly to the transmitter's value: Low at
// 4 mA, High at 20 mA. High may be below Low (a transmitter ranged
// downwards).
type Span struct{ Low, High float64 }

// Value returns the value at current i, extrapolating beyond 4–20 mA.
func (s Span) Value(i physic.ElectricCurrent) float64 {
	return s.Low + (s.High-s.Low)*float64(i-zero)/float64(span)
}

// MilliAmps returns i in mA.
func MilliAmps(i physic.ElectricCurrent) float64 {
	return float64(i) / float64(physic.MilliAmpere)
}
