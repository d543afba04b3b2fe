package edge

import (
	"math"
	"slices"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Inputs the detector uses, indexed for per-input ordering.
const (
	inAccel = iota
	inPressure
	inTemperature
	inDoor
	inPresence
	inEBike
	nInputs
)

func inputOf(q telemetry.Quantity) int {
	switch q {
	case telemetry.AccelZ:
		return inAccel
	case telemetry.Pressure:
		return inPressure
	case telemetry.Temperature:
		return inTemperature
	case telemetry.DoorOpen:
		return inDoor
	case telemetry.Presence:
		return inPresence
	case telemetry.EBike:
		return inEBike
	}
	return -1
}

// Detector derives one car's motion, floor and events from its sensors'
// readings. It is not safe for concurrent use: one goroutine feeds it.
type Detector struct {
	o       Opts
	sensors map[string]bool // nil: any sensor
	land    landings
	m       motion
	vib     window

	door          doorState
	doorSince     time.Time
	presence      int
	presenceSince time.Time
	ebike         bool
	ebikeSince    time.Time
	stopSince     time.Time // when the car last came to rest
	open          open

	now        time.Time           // latest reading time
	last       [nInputs]time.Time  // latest reading time of each input
	nextReport time.Time           // when Speed, Floor and Vibration are due; zero: now
	lastOut    time.Time           // latest time stamped on an output
	out        []telemetry.Reading // outputs of the reading in hand
}

// New returns a detector for a car at rest at opts.InitialHeight. nil opts
// means every default (see Opts). An out-of-range option is an error that
// names the field.
func New(opts *Opts) (*Detector, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	land, err := newLandings(&o)
	if err != nil {
		return nil, err
	}
	d := &Detector{o: o, land: land, vib: window{span: o.VibrationWindow}}
	if len(o.Sensors) > 0 {
		d.sensors = make(map[string]bool, len(o.Sensors))
		for _, s := range o.Sensors {
			d.sensors[s] = true
		}
	}
	d.m.sign = 1
	if o.InvertAccel {
		d.m.sign = -1
	}
	d.m.tempK = o.AirTemperature
	d.m.h = o.InitialHeight
	return d, nil
}

// Observe takes one reading of the car's sensors and returns what it
// derived, stamped with event time and in time order: events as they begin
// and end, and Speed, Floor and Vibration at the configured cadence and
// whenever a trip starts or stops. It returns nil when there is nothing.
//
// Feed every reading in time order. A reading older than the previous one
// of its quantity is dropped, as are readings of other quantities or
// sensors, of Bad or Suspect quality, or with a non-finite value.
func (d *Detector) Observe(r telemetry.Reading) []telemetry.Reading {
	in := inputOf(r.Quantity)
	if in < 0 || r.Time.IsZero() || r.Quality >= telemetry.Suspect ||
		math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
		return nil
	}
	if d.sensors != nil && !d.sensors[r.Sensor] {
		return nil
	}
	t := r.Time
	if prev := d.last[in]; !prev.IsZero() && (t.Before(prev) || t.Equal(prev) && (in == inAccel || in == inPressure)) {
		return nil
	}
	d.last[in] = t
	if d.now.IsZero() {
		d.stopSince = t
	}
	if t.After(d.now) {
		d.now = t
	}

	d.check(t) // durations that were met before this reading changes anything
	switch in {
	case inAccel:
		d.accel(r.Value, t)
	case inPressure:
		d.pressure(r.Value, t)
	case inTemperature:
		if r.Value > -60 && r.Value < 85 {
			d.m.tempK = r.Value + 273.15
		}
	case inDoor:
		s := doorClosed
		if r.Value >= 0.5 {
			s = doorOpen
		}
		if s != d.door {
			d.door, d.doorSince = s, t
			d.rezero()
		}
	case inPresence:
		p := int(math.Max(0, math.Min(3, math.Round(r.Value))))
		if (p > 0) != (d.presence > 0) {
			d.presenceSince = t
		}
		d.presence = p
	case inEBike:
		if on := r.Value >= 0.5; on != d.ebike {
			d.ebike, d.ebikeSince = on, t
		}
	}
	d.check(t)
	d.report(t)

	if len(d.out) == 0 {
		return nil
	}
	out := slices.Clone(d.out)
	d.out = d.out[:0]
	return out
}

// report emits Speed, Floor and Vibration when they are due. Reports fall
// on multiples of the cadence so that a fleet's reports line up.
func (d *Detector) report(t time.Time) {
	if t.Before(d.nextReport) {
		return
	}
	floor, _ := d.land.nearest(d.m.h)
	d.emit(telemetry.Speed, d.m.v, t)
	d.emit(telemetry.Floor, float64(floor), t)
	if d.vib.ready {
		d.emit(telemetry.Vibration, d.vib.rms, t)
	}
	every := d.o.IdleEvery
	if d.m.moving {
		every = d.o.Every
	}
	d.nextReport = t.Truncate(every).Add(every)
}

// emit queues one output. Outputs never go back in time, even when a
// reading of one sensor arrives a little behind another's.
func (d *Detector) emit(q telemetry.Quantity, v float64, at time.Time) {
	if at.Before(d.lastOut) {
		at = d.lastOut
	}
	d.lastOut = at
	d.out = append(d.out, telemetry.Reading{Sensor: d.o.Name, Quantity: q, Value: v, Time: at})
}

// State is a snapshot of what the detector believes about the car.
type State struct {
	Time      time.Time            // event time of the latest reading used
	Moving    bool                 // a trip is in progress (its speed exceeded Opts.MovingSpeed)
	Since     time.Time            // when that trip began, or when the car last came to rest
	Speed     float64              // m/s, positive up; 0 at rest
	Height    float64              // m above the ground landing
	Floor     int                  // number of the landing nearest Height
	DoorOpen  bool                 // the door contact's latest reading; false before any
	Presence  int                  // 0 nobody, 1 moving, 2 stationary, 3 both (LD2410); PIR 0 or 1
	EBike     bool                 // the e-bike detector's latest reading
	Vibration float64              // m/s², RMS about the mean over the latest window; 0 until one is full
	Open      []telemetry.Quantity // events begun and not yet ended, in a fixed order
}

// State returns the detector's view of the car as of the latest reading.
func (d *Detector) State() State {
	s := State{
		Time:      d.now,
		Moving:    d.m.moving,
		Since:     d.stopSince,
		Speed:     d.m.v,
		Height:    d.m.h,
		DoorOpen:  d.door == doorOpen,
		Presence:  d.presence,
		EBike:     d.ebike,
		Vibration: d.vib.rms,
		Open:      d.openEvents(),
	}
	if s.Moving {
		s.Since = d.m.tripStart
	}
	s.Floor, _ = d.land.nearest(d.m.h)
	return s
}
