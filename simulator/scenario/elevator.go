package scenario

import (
	"cmp"
	"fmt"
	"math"
	"time"
)

// Physical constants of the elevator's world: the values agent/edge
// assumes, so that a detector fed by this scenario sees standard physics.
const (
	G           = 9.80665  // m/s², standard gravity
	AirR        = 287.05   // J/(kg·K), specific gas constant of dry air
	SeaLevelPa  = 101325.0 // Pa, standard pressure
	RoomKelvin  = 293.15   // K, 20 °C
	levelSpeed  = 0.3      // m/s, re-levelling after a rescue (at most 0.3 m/s with the doors open under EN 81-20)
	levelAccel  = 0.3      // m/s²
	doorDelay   = time.Second
	boardTime   = 2 * time.Second // passengers walk in or out this long: a moving target
	movingRange = 1.2             // m, radar distance to someone walking in or out
	stillRange  = 0.9             // m, radar distance to someone standing in the car
)

// Elevator is one car in its shaft: trips between floors, each with its
// door cycles and passengers, and possibly a trip that halts between
// floors with its passengers shut in (the trapped-passenger incident).
//
// A trip starting at At goes:
//
//	At                 the door opens at the origin landing
//	At+1s … At+3s      passengers walk in (a moving target), then stand still
//	At+Dwell           the door closes
//	At+Dwell+1s        the car departs: constant acceleration to Speed,
//	                   cruise, constant deceleration (a trapezoidal profile)
//	arrival+1s         the door opens; passengers walk out for 2 s
//	arrival+1s+Dwell   the door closes: the trip ends
//
// A trip with a Halt stops at that height instead, door shut, passengers
// standing still inside. After Rescue the car re-levels at 0.3 m/s to the
// nearest landing, where it opens and the passengers leave; without a
// Rescue it stays there to the end of the scenario.
type Elevator struct {
	StoreyM     float64 // m between landings; 0 means 3
	GroundFloor int     // number of the landing at height 0; 0 means 1
	StartFloor  int     // where the car rests at the start; 0 means GroundFloor
	Speed       float64 // rated speed, m/s; 0 means 1
	Accel       float64 // m/s²; 0 means 0.8
	Dwell       time.Duration
	// PressurePa is the air pressure at the ground landing; 0 means
	// 101325 Pa. DriftPaPerHour changes it with the weather.
	PressurePa     float64
	DriftPaPerHour float64
	// AirKelvin is the shaft's air temperature; 0 means 293.15 K.
	AirKelvin float64
	Trips     []Trip
}

// Trip is one journey of the car.
type Trip struct {
	At         time.Duration // when the door opens at the origin
	To         int           // destination floor
	Passengers int           // people riding; 0 is an empty car sent to a call
	// Halt, when not nil, is the height (m above the ground landing)
	// where the car stops between floors, door shut.
	Halt *float64
	// Rescue is how long after halting the car re-levels and opens; 0
	// means never within the scenario.
	Rescue time.Duration
}

// Presence is who the car's presence sensor sees.
type Presence uint8

const (
	Nobody   Presence = iota
	Walking           // passengers moving in or out: a moving target
	Standing          // passengers riding or trapped: a stationary target
)

// CarState is the car at an instant.
type CarState struct {
	Height   float64 // m above the ground landing
	Speed    float64 // m/s, up positive
	Accel    float64 // m/s², up positive, gravity excluded
	DoorOpen bool
	Presence Presence
	Trapped  bool // halted between floors with passengers inside, until the door opens at a landing
}

func (e *Elevator) storey() float64 { return cmp.Or(e.StoreyM, 3) }
func (e *Elevator) ground() int     { return cmp.Or(e.GroundFloor, 1) }
func (e *Elevator) dwell() time.Duration {
	return cmp.Or(e.Dwell, 5*time.Second)
}

// FloorHeight returns the height of floor f above the ground landing.
func (e *Elevator) FloorHeight(f int) float64 { return float64(f-e.ground()) * e.storey() }

// Pressure returns the air pressure in the car at since, Pa: the
// hypsometric equation over the car's height, p = p0·exp(−g·h/(R·T)).
func (e *Elevator) Pressure(since time.Duration) float64 {
	p0 := cmp.Or(e.PressurePa, SeaLevelPa) + e.DriftPaPerHour*since.Hours()
	return p0 * math.Exp(-G*e.State(since).Height/(AirR*e.kelvin()))
}

func (e *Elevator) kelvin() float64 { return cmp.Or(e.AirKelvin, RoomKelvin) }

// Check reports the first trip that cannot be made: one that starts
// before the previous ended, goes nowhere, or halts outside its journey.
func (e *Elevator) Check() error {
	_, err := e.legs()
	return err
}

// State returns the car at since. Before the first trip it rests at
// StartFloor with its door shut.
func (e *Elevator) State(since time.Duration) CarState {
	legs, _ := e.legs()
	h := e.FloorHeight(cmp.Or(e.StartFloor, e.ground()))
	for _, l := range legs {
		if since < l.at {
			break
		}
		if s, ok := l.state(since); ok {
			return s
		}
		h = l.restAt
	}
	return CarState{Height: h}
}

// leg is one trip laid out in time.
type leg struct {
	at, close1, depart time.Duration // door opens at origin, closes, car departs
	move               profile
	halted             bool
	relevel            profile // after a rescue
	relevelAt          time.Duration
	open2, close2      time.Duration // door at the destination; close2 < 0: never
	passengers         int
	restAt             float64 // where the car rests once the leg is over
	end                time.Duration
}

// legs lays the trips out in time, or says which cannot be made.
func (e *Elevator) legs() ([]leg, error) {
	legs := make([]leg, 0, len(e.Trips))
	h := e.FloorHeight(cmp.Or(e.StartFloor, e.ground()))
	end := time.Duration(math.MinInt64)
	speed, accel := cmp.Or(e.Speed, 1), cmp.Or(e.Accel, 0.8)
	for i, t := range e.Trips {
		if end == math.MaxInt64 {
			return legs, fmt.Errorf("trip %d follows a halt with no rescue", i)
		}
		if t.At < end {
			return legs, fmt.Errorf("trip %d starts at %v, before the previous one ends at %v", i, t.At, end)
		}
		l := leg{at: t.At, close1: t.At + e.dwell(), passengers: t.Passengers}
		l.depart = l.close1 + doorDelay
		to := e.FloorHeight(t.To)
		stop := to
		if t.Halt != nil {
			stop = *t.Halt
			if (stop-h)*(to-h) <= 0 || math.Abs(stop-h) >= math.Abs(to-h) {
				return legs, fmt.Errorf("trip %d halts at %v m, not on its way from %v m to floor %d (%v m)", i, stop, h, t.To, to)
			}
		} else if to == h {
			return legs, fmt.Errorf("trip %d goes to floor %d, where the car already is", i, t.To)
		}
		l.move = newProfile(l.depart, h, stop, speed, accel)
		arrive := l.move.end()
		switch {
		case t.Halt == nil:
			l.open2 = arrive + doorDelay
			l.restAt = to
		case t.Rescue > 0:
			l.halted = true
			l.relevelAt = arrive + t.Rescue
			landing := e.FloorHeight(e.ground() + int(math.Round(stop/e.storey())))
			l.relevel = newProfile(l.relevelAt, stop, landing, levelSpeed, levelAccel)
			l.open2 = l.relevel.end() + doorDelay
			l.restAt = landing
		default:
			l.halted = true
			l.relevelAt, l.open2, l.close2, l.end = math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64
			l.restAt = stop
			legs = append(legs, l)
			end = l.end
			continue
		}
		l.close2 = l.open2 + e.dwell()
		l.end = l.close2
		legs = append(legs, l)
		end, h = l.end, l.restAt
	}
	return legs, nil
}

// state returns the car during the leg, or false once the leg is over.
func (l *leg) state(since time.Duration) (CarState, bool) {
	if since >= l.end {
		return CarState{}, false
	}
	s := CarState{}
	switch {
	case since < l.depart:
		s.Height = l.move.from
	case !l.halted || since < l.relevelAt:
		s.Height, s.Speed, s.Accel = l.move.at(since)
	default:
		s.Height, s.Speed, s.Accel = l.relevel.at(since)
	}
	s.DoorOpen = since < l.close1 || since >= l.open2
	if l.passengers > 0 {
		switch {
		case since < l.at+doorDelay:
		case since < l.at+doorDelay+boardTime:
			s.Presence = Walking
		case since < l.open2:
			s.Presence = Standing
		case since < l.open2+boardTime:
			s.Presence = Walking
		}
	}
	s.Trapped = l.halted && l.passengers > 0 && since >= l.move.end() && since < l.open2
	return s, true
}

// profile is a trapezoidal speed profile from one height to another:
// constant acceleration to vmax (or less, on a short run), cruise,
// constant deceleration.
type profile struct {
	start     time.Duration
	from, to  float64
	vmax, acc float64
	ta, tc    float64 // s: accelerating, cruising
	dir       float64 // +1 up, −1 down
	total     float64 // s
	distance  float64 // m
}

func newProfile(start time.Duration, from, to, vmax, acc float64) profile {
	p := profile{start: start, from: from, to: to, acc: acc, dir: math.Copysign(1, to-from), distance: math.Abs(to - from)}
	p.ta = vmax / acc
	if vmax*p.ta > p.distance { // never reaches vmax
		vmax = math.Sqrt(p.distance * acc)
		p.ta = vmax / acc
	}
	p.vmax = vmax
	p.tc = (p.distance - vmax*p.ta) / vmax
	p.total = 2*p.ta + p.tc
	return p
}

// end is when the car comes to rest.
func (p profile) end() time.Duration { return p.start + time.Duration(math.Round(p.total*1e9)) }

// at returns height, speed and acceleration at since.
func (p profile) at(since time.Duration) (h, v, a float64) {
	tau := (since - p.start).Seconds()
	var s float64
	switch {
	case tau <= 0:
		return p.from, 0, 0
	case tau < p.ta:
		s, v, a = p.acc*tau*tau/2, p.acc*tau, p.acc
	case tau < p.ta+p.tc:
		s, v = p.vmax*p.ta/2+p.vmax*(tau-p.ta), p.vmax
	case tau < p.total:
		r := p.total - tau
		s, v, a = p.distance-p.acc*r*r/2, p.acc*r, -p.acc
	default:
		return p.to, 0, 0
	}
	return p.from + p.dir*s, p.dir * v, p.dir * a
}
