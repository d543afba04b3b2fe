package edge

import (
	"fmt"
	"math"
	"time"
)

// Opts configures a Detector. The zero value of every field means the
// default written beside it, so New(nil) and New(&Opts{}) are the same
// detector: a 1 m/s car in a building of 3 m storeys whose ground landing is
// floor 1.
type Opts struct {
	// Name is the Sensor of every reading the detector returns. "" means
	// "edge".
	Name string
	// Sensors, when not empty, names the sensors whose readings feed the
	// detector; readings of any other sensor are ignored. Empty means every
	// sensor, which suits an agent that watches one car.
	Sensors []string

	// StoreyHeight is the rise between consecutive landings, m, used when
	// FloorHeights is nil. 0 means 3.
	StoreyHeight float64
	// GroundFloor is the number of the landing at height 0. 0 means 1 (the
	// Chinese convention: the ground landing is 1楼). To number it 0, list
	// FloorNumbers, which override it.
	GroundFloor int
	// FloorHeights, when set, lists the height of every landing above the
	// ground landing, m, bottom to top (basements negative). nil means
	// uniform storeys of StoreyHeight without a top or bottom.
	FloorHeights []float64
	// FloorNumbers, when set, numbers the landings of FloorHeights, in the
	// same order (skipped numbers allowed: many buildings have no floor 4).
	// nil numbers them consecutively so that the landing at height 0 is
	// GroundFloor; FloorHeights must then contain 0.
	FloorNumbers []int
	// InitialHeight is where the car rests when the detector starts, m above
	// the ground landing. 0 means the ground landing. The barometer measures
	// only changes of height, so a wrong start is off by whole storeys until
	// corrected here: the agent should persist the last floor.
	InitialHeight float64
	// LandingTolerance is how close to a landing, m, the estimated height
	// must be for the detector to snap to that landing when the car rests
	// with its door open. 0 means 1.
	LandingTolerance float64

	// InvertAccel is set when the accelerometer's Z axis points down, so
	// that it reads −g at rest.
	InvertAccel bool
	// StartAccel is the vertical acceleration, gravity and static bias
	// removed, m/s², above which a car at rest starts a trip. 0 means 0.3.
	StartAccel float64
	// StartRate is the barometric climb or descent rate, m/s, above which a
	// car at rest starts a trip (for gentle starts, or without an
	// accelerometer). 0 means 0.3.
	StartRate float64
	// MovingSpeed is the speed, m/s, a trip must exceed for MovingAfter for
	// the car to count as moving; a lesser kick (a jump, a bump of the car,
	// sensor noise) is a jolt and leaves the car stopped. 0 means 0.1.
	MovingSpeed float64
	// MovingAfter: see MovingSpeed. 0 means 0.5 s.
	MovingAfter time.Duration
	// StopSpeed is the speed, m/s, below which a trip may end. 0 means 0.05.
	StopSpeed float64
	// StopBand is how far, m, the estimated height may wander while the
	// speed stays below StopSpeed and the car still counts as steady.
	// 0 means 0.1.
	StopBand float64
	// StopAfter is how long speed and height must stay steady for a trip to
	// end. The car is taken to have stopped when they became steady.
	// 0 means 1 s.
	StopAfter time.Duration
	// MaxTrip bounds a trip whose speed estimate cannot settle (a drifting
	// accelerometer without a barometer): once a trip is this long, it
	// ends when the acceleration has stayed below StartAccel for StopAfter.
	// 0 means 5 min.
	MaxTrip time.Duration
	// FusionTau is the time constant of the complementary filter: motion
	// faster than this comes from the accelerometer, slower from the
	// barometer. 0 means 1 s.
	FusionTau time.Duration
	// BiasTau is the time constant of the accelerometer's static reading
	// (gravity and offset), averaged while the car rests. 0 means 10 s.
	BiasTau time.Duration
	// BaroTau is the time constant of the barometric rate tracker. 0 means
	// 1 s.
	BaroTau time.Duration
	// AirTemperature is the shaft's air temperature, K, which sets the
	// pressure-to-height scale (about 11.8 Pa per metre at 293 K) until a
	// Temperature reading arrives. 0 means 293.15 K (20 °C).
	AirTemperature float64
	// MaxGap is the longest silence of the accelerometer or the barometer,
	// beyond which the detector stops integrating across it and, during a
	// trip, carries on with the other sensor. 0 means 0.5 s.
	MaxGap time.Duration

	// TrappedAfter is how long the car must stay stopped with its door
	// closed and someone inside before EventTrapped begins. 0 means 2 min.
	TrappedAfter time.Duration
	// DoorSpeed is the speed, m/s, above which an open door raises
	// EventDoorOpenMoving. It stays above re-levelling speeds (at most
	// 0.3 m/s with the doors open under EN 81-20). 0 means 0.3.
	DoorSpeed float64
	// MaxSpeed is the speed, m/s, above which EventOverspeed begins: the
	// rated speed × 1.15. 0 means 1.15 (a 1 m/s car).
	MaxSpeed float64
	// SpeedHysteresis is how far, m/s, below MaxSpeed the speed must fall
	// for EventOverspeed to end. 0 means 0.05.
	SpeedHysteresis float64
	// VibrationWindow is the sliding window over which vibration is the RMS
	// of acceleration about its mean. 0 means 2 s.
	VibrationWindow time.Duration
	// VibrationLimit is the RMS, m/s², above which EventVibration begins.
	// It must stay above what a normal start gives: a step of acceleration a
	// inside the window reads up to a/2. 0 means 1.
	VibrationLimit float64
	// VibrationHysteresis is how far, m/s², below VibrationLimit the RMS
	// must fall for EventVibration to end. 0 means 0.2.
	VibrationHysteresis float64
	// EBikeAfter is how long the e-bike detector must report an e-bike
	// before EventEBike begins. 0 means 2 s.
	EBikeAfter time.Duration

	// Every is the cadence of Speed, Floor and Vibration readings during a
	// trip. 0 means 1 s.
	Every time.Duration
	// IdleEvery is their cadence while the car rests. 0 means 1 min.
	IdleEvery time.Duration
}

// withDefaults returns a copy of o with zero fields set to their defaults,
// or an error naming the first field that is out of range.
func (o *Opts) withDefaults() (Opts, error) {
	var c Opts
	if o != nil {
		c = *o
		c.Sensors = append([]string(nil), o.Sensors...)
		c.FloorHeights = append([]float64(nil), o.FloorHeights...)
		c.FloorNumbers = append([]int(nil), o.FloorNumbers...)
	}
	if c.Name == "" {
		c.Name = "edge"
	}
	if c.GroundFloor == 0 {
		c.GroundFloor = 1
	}
	floats := []struct {
		name string
		p    *float64
		def  float64
	}{
		{"StoreyHeight", &c.StoreyHeight, 3},
		{"LandingTolerance", &c.LandingTolerance, 1},
		{"StartAccel", &c.StartAccel, 0.3},
		{"StartRate", &c.StartRate, 0.3},
		{"MovingSpeed", &c.MovingSpeed, 0.1},
		{"StopSpeed", &c.StopSpeed, 0.05},
		{"StopBand", &c.StopBand, 0.1},
		{"AirTemperature", &c.AirTemperature, 293.15},
		{"DoorSpeed", &c.DoorSpeed, 0.3},
		{"MaxSpeed", &c.MaxSpeed, 1.15},
		{"SpeedHysteresis", &c.SpeedHysteresis, 0.05},
		{"VibrationLimit", &c.VibrationLimit, 1},
		{"VibrationHysteresis", &c.VibrationHysteresis, 0.2},
	}
	for _, f := range floats {
		switch v := *f.p; {
		case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
			return c, fmt.Errorf("edge: Opts.%s must be a positive number, got %v", f.name, v)
		case v == 0:
			*f.p = f.def
		}
	}
	durations := []struct {
		name string
		p    *time.Duration
		def  time.Duration
	}{
		{"MovingAfter", &c.MovingAfter, 500 * time.Millisecond},
		{"StopAfter", &c.StopAfter, time.Second},
		{"MaxTrip", &c.MaxTrip, 5 * time.Minute},
		{"FusionTau", &c.FusionTau, time.Second},
		{"BiasTau", &c.BiasTau, 10 * time.Second},
		{"BaroTau", &c.BaroTau, time.Second},
		{"MaxGap", &c.MaxGap, 500 * time.Millisecond},
		{"TrappedAfter", &c.TrappedAfter, 2 * time.Minute},
		{"VibrationWindow", &c.VibrationWindow, 2 * time.Second},
		{"EBikeAfter", &c.EBikeAfter, 2 * time.Second},
		{"Every", &c.Every, time.Second},
		{"IdleEvery", &c.IdleEvery, time.Minute},
	}
	for _, f := range durations {
		switch {
		case *f.p < 0:
			return c, fmt.Errorf("edge: Opts.%s must be positive, got %v", f.name, *f.p)
		case *f.p == 0:
			*f.p = f.def
		}
	}
	switch {
	case math.IsNaN(c.InitialHeight) || math.IsInf(c.InitialHeight, 0):
		return c, fmt.Errorf("edge: Opts.InitialHeight must be finite, got %v", c.InitialHeight)
	case c.AirTemperature < 200 || c.AirTemperature > 350:
		return c, fmt.Errorf("edge: Opts.AirTemperature is in kelvin and must lie in [200, 350], got %v", c.AirTemperature)
	case c.StopSpeed >= c.MovingSpeed:
		return c, fmt.Errorf("edge: Opts.StopSpeed (%v m/s) must be below MovingSpeed (%v m/s)", c.StopSpeed, c.MovingSpeed)
	case c.SpeedHysteresis >= c.MaxSpeed:
		return c, fmt.Errorf("edge: Opts.SpeedHysteresis (%v m/s) must be below MaxSpeed (%v m/s)", c.SpeedHysteresis, c.MaxSpeed)
	case c.VibrationHysteresis >= c.VibrationLimit:
		return c, fmt.Errorf("edge: Opts.VibrationHysteresis (%v m/s²) must be below VibrationLimit (%v m/s²)",
			c.VibrationHysteresis, c.VibrationLimit)
	}
	for i, s := range c.Sensors {
		if s == "" {
			return c, fmt.Errorf("edge: Opts.Sensors[%d] is empty", i)
		}
	}
	return c, nil
}
