package edge

import (
	"math"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// doorState is what the door contact last said.
type doorState uint8

const (
	doorUnknown doorState = iota // no reading yet
	doorClosed
	doorOpen
)

// open records which events have begun and not yet ended.
type open struct {
	trapped, doorMoving, overspeed, vibration, ebike bool
}

// check raises and ends events from the state as of t. Conditions that
// must last (trapped, e-bike) begin at the instant their duration was met,
// which may lie before t: the detector learns of it at the first reading
// at or after that instant. The others begin and end at t.
func (d *Detector) check(t time.Time) {
	ev := &d.open
	speed := math.Abs(d.m.v)

	d.toggle(&ev.doorMoving, telemetry.EventDoorOpenMoving, d.door == doorOpen && speed > d.o.DoorSpeed, t)

	switch {
	case !ev.overspeed && speed > d.o.MaxSpeed:
		d.toggle(&ev.overspeed, telemetry.EventOverspeed, true, t)
	case ev.overspeed && speed < d.o.MaxSpeed-d.o.SpeedHysteresis:
		d.toggle(&ev.overspeed, telemetry.EventOverspeed, false, t)
	}

	if d.vib.ready {
		switch {
		case !ev.vibration && d.vib.rms > d.o.VibrationLimit:
			d.toggle(&ev.vibration, telemetry.EventVibration, true, t)
		case ev.vibration && d.vib.rms < d.o.VibrationLimit-d.o.VibrationHysteresis:
			d.toggle(&ev.vibration, telemetry.EventVibration, false, t)
		}
	}

	// Trapped needs a stopped car to begin, but only the door opening or
	// the car emptying ends it: a car moved by a rescuer still holds its
	// passenger.
	switch {
	case ev.trapped:
		if d.door != doorClosed || d.presence == 0 {
			d.toggle(&ev.trapped, telemetry.EventTrapped, false, t)
		}
	case !d.m.moving && d.door == doorClosed && d.presence > 0:
		since := latest(d.stopSince, d.doorSince, d.presenceSince)
		if at := since.Add(d.o.TrappedAfter); !t.Before(at) {
			d.toggle(&ev.trapped, telemetry.EventTrapped, true, at)
		}
	}

	switch {
	case ev.ebike && !d.ebike:
		d.toggle(&ev.ebike, telemetry.EventEBike, false, t)
	case !ev.ebike && d.ebike:
		if at := d.ebikeSince.Add(d.o.EBikeAfter); !t.Before(at) {
			d.toggle(&ev.ebike, telemetry.EventEBike, true, at)
		}
	}
}

// toggle emits q's begin or end at when *on differs from want.
func (d *Detector) toggle(on *bool, q telemetry.Quantity, want bool, at time.Time) {
	if *on == want {
		return
	}
	*on = want
	v := 0.0
	if want {
		v = 1
	}
	d.emit(q, v, at)
}

func latest(ts ...time.Time) time.Time {
	var l time.Time
	for _, t := range ts {
		if t.After(l) {
			l = t
		}
	}
	return l
}

// openEvents lists the events in progress in a fixed order.
func (d *Detector) openEvents() []telemetry.Quantity {
	var qs []telemetry.Quantity
	for _, e := range []struct {
		on bool
		q  telemetry.Quantity
	}{
		{d.open.trapped, telemetry.EventTrapped},
		{d.open.doorMoving, telemetry.EventDoorOpenMoving},
		{d.open.overspeed, telemetry.EventOverspeed},
		{d.open.vibration, telemetry.EventVibration},
		{d.open.ebike, telemetry.EventEBike},
	} {
		if e.on {
			qs = append(qs, e.q)
		}
	}
	return qs
}
