package scenario

import (
	"math"
	"strings"
	"testing"
	"time"
)

func sec(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

func halt(m float64) *float64 { return &m }

// lift is tianlin-lift.yaml's car: up from floor 1 to 5 with two
// passengers, then a trip to floor 8 that halts 19.6 m up with one.
func lift() *Elevator {
	return &Elevator{StoreyM: 3, Trips: []Trip{
		{At: 2 * time.Second, To: 5, Passengers: 2},
		{At: 30 * time.Second, To: 8, Passengers: 1, Halt: halt(19.6), Rescue: 5 * time.Minute},
	}}
}

func TestElevatorTimeline(t *testing.T) {
	e := lift()
	if err := e.Check(); err != nil {
		t.Fatal(err)
	}
	// Trip 1: the door opens at 2 s and closes at 7 s, the car departs at
	// 8 s and runs 12 m: 1.25 s at 0.8 m/s² up to 1 m/s, 10.75 s
	// cruising, 1.25 s braking: it arrives at 21.25 s. The door opens at
	// 22.25 s and closes at 27.25 s. Trip 2 departs at 36 s and halts
	// 7.6 m higher at 36 + 1.25 + 7.6 = 44.85 s.
	cases := []struct {
		at   time.Duration
		want CarState
	}{
		{0, CarState{}},
		{sec(2.5), CarState{DoorOpen: true}},
		{sec(3.5), CarState{DoorOpen: true, Presence: Walking}},
		{sec(5.5), CarState{DoorOpen: true, Presence: Standing}},
		{sec(7.5), CarState{Presence: Standing}},
		{sec(8.5), CarState{Height: 0.1, Speed: 0.4, Accel: 0.8, Presence: Standing}},
		{sec(13), CarState{Height: 4.375, Speed: 1, Presence: Standing}},
		{sec(20.75), CarState{Height: 11.9, Speed: 0.4, Accel: -0.8, Presence: Standing}},
		{sec(22), CarState{Height: 12, Presence: Standing}},
		{sec(22.5), CarState{Height: 12, DoorOpen: true, Presence: Walking}},
		{sec(25), CarState{Height: 12, DoorOpen: true}},
		{sec(28), CarState{Height: 12}},
		{sec(44.35), CarState{Height: 19.5, Speed: 0.4, Accel: -0.8, Presence: Standing}},
		{sec(50), CarState{Height: 19.6, Presence: Standing, Trapped: true}},
		{sec(300), CarState{Height: 19.6, Presence: Standing, Trapped: true}},
		// The rescue at 344.85 s re-levels to floor 8 (21 m) at 0.3 m/s²
		// and 0.3 m/s: 1 s, 3.667 s, 1 s; the door opens at 351.5167 s.
		{sec(345.35), CarState{Height: 19.6375, Speed: 0.15, Accel: 0.3, Presence: Standing, Trapped: true}},
		{sec(352), CarState{Height: 21, DoorOpen: true, Presence: Walking}},
		{sec(360), CarState{Height: 21}},
	}
	for _, c := range cases {
		got := e.State(c.at)
		want := c.want
		if math.Abs(got.Height-want.Height) > 1e-9 || math.Abs(got.Speed-want.Speed) > 1e-9 || math.Abs(got.Accel-want.Accel) > 1e-9 {
			t.Errorf("at %v: height %.9g speed %.9g accel %.9g, want %v %v %v", c.at, got.Height, got.Speed, got.Accel, want.Height, want.Speed, want.Accel)
		}
		got.Height, got.Speed, got.Accel = want.Height, want.Speed, want.Accel
		if got != want {
			t.Errorf("at %v: %+v, want %+v", c.at, got, want)
		}
	}
	// Air pressure falls with height: p0·exp(−g·h/(R·T)), 20 °C.
	near(t, "pressure at the ground", e.Pressure(0), 101325)
	near(t, "pressure at the halt", e.Pressure(sec(50)), 101325*math.Exp(-9.80665*19.6/(287.05*293.15)))
	e.PressurePa, e.DriftPaPerHour, e.AirKelvin = 100000, -360, 273.15
	near(t, "pressure at the halt, cold, falling weather", e.Pressure(sec(50)), (100000-5)*math.Exp(-9.80665*19.6/(287.05*273.15)))
}

func TestElevatorCheck(t *testing.T) {
	for _, c := range []struct {
		trips []Trip
		err   string
	}{
		{[]Trip{{At: 0, To: 5}, {At: 10 * time.Second, To: 1}}, "trip 1 starts at 10s, before the previous one ends at 25.25s"},
		{[]Trip{{At: 0, To: 1}}, "trip 0 goes to floor 1, where the car already is"},
		{[]Trip{{At: 0, To: 5, Halt: halt(13)}}, "trip 0 halts at 13 m, not on its way from 0 m to floor 5 (12 m)"},
		{[]Trip{{At: 0, To: 5, Halt: halt(-1)}}, "trip 0 halts at -1 m, not on its way"},
		{[]Trip{{At: 0, To: 5, Halt: halt(7)}, {At: time.Hour, To: 1}}, "trip 1 follows a halt with no rescue"},
	} {
		e := &Elevator{Trips: c.trips}
		if err := e.Check(); err == nil || !strings.HasPrefix(err.Error(), c.err) {
			t.Errorf("%+v: %v, want %q", c.trips, err, c.err)
		}
	}
	// A car halted without rescue stays put with its passenger.
	e := &Elevator{Trips: []Trip{{At: 0, To: 5, Halt: halt(7), Passengers: 1}}}
	if s := e.State(24 * time.Hour); s.Height != 7 || !s.Trapped || s.DoorOpen || s.Presence != Standing {
		t.Errorf("a day later: %+v", s)
	}
}
