package edge_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/agent/edge"
	"github.com/xiuhua/xiuhua/telemetry"
)

// shuttle is n trips between floors 1 and 5, one every 30 s, in a glass
// falling 0.3 Pa/s: a typhoon's fall exaggerated (about 11 hPa an hour) so
// that six trips show what accumulates. With doors, each stop opens the
// door at the landing.
func shuttle(n int, doors bool) world {
	w := world{dur: time.Duration(n)*30*time.Second + 10*time.Second, drift: -0.3}
	h := 0.0
	for i := range n {
		to := 12.0
		if i%2 == 1 {
			to = 0
		}
		at := time.Duration(i)*30*time.Second + 2*time.Second
		w.moves = append(w.moves, move{at: at, from: h, to: to})
		if doors {
			w.changes = append(w.changes, landing(at+sec(13.25))...)
		}
		h = to
	}
	return w
}

func TestWeatherDrift(t *testing.T) {
	tests := []struct {
		name   string
		opts   *edge.Opts
		world  world
		floor  int
		height float64 // NaN: not exact
	}{
		// While the car rests its height is held: 120 Pa of weather (10 m
		// worth) changes nothing.
		{"rests 20 min through a weather change", &edge.Opts{InitialHeight: 12},
			world{dur: 20 * time.Minute, h0: 12, drift: -0.1, changes: []change{{0, door, 0}}}, 5, 12},
		// Weather during trips accumulates, about 0.36 m a trip, until the
		// floor is wrong.
		{"six trips, doors never open", nil, shuttle(6, false), 2, math.NaN()},
		// Each landing's door re-zeroes it.
		{"six trips, door opens at each landing", nil, shuttle(6, true), 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := edge.New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			res := feed(t, d, tt.world.readings())
			s := d.State()
			if len(res.events) != 0 || s.Floor != tt.floor || (!math.IsNaN(tt.height) && s.Height != tt.height) {
				t.Errorf("floor %d, height %v, events %v; want floor %d, height %v, no events", s.Floor, s.Height, res.events, tt.floor, tt.height)
			}
		})
	}
}

func TestRezeroAtLanding(t *testing.T) {
	w := world{dur: 20 * time.Second, moves: []move{up5}, drift: -0.05, changes: landing(sec(15.25))}
	d, err := edge.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	rs := w.readings()
	open := slices.IndexFunc(rs, func(r telemetry.Reading) bool { return r.Quantity == telemetry.DoorOpen && r.Value == 1 })
	feed(t, d, rs[:open])
	if s := d.State(); s.Moving || s.Floor != 5 || s.Height == 12 || math.Abs(s.Height-12) > 0.2 {
		t.Fatalf("before the door opens: %+v; want at rest near 12 m, the weather's drift not yet removed", s)
	}
	feed(t, d, rs[open:])
	if s := d.State(); s.Floor != 5 || s.Height != 12 {
		t.Errorf("after the door opens: floor %d, height %v; want floor 5 at 12 m", s.Floor, s.Height)
	}
}

// TestNoisySensors runs two trips through sensors with the flaws of real
// ones: an accelerometer with 0.05 m/s² of noise and a 0.2 m/s² offset (the
// ADXL345's resolution is 0.04 m/s²), a barometer with 1.3 Pa (11 cm) of
// noise (twice a BMP280 at Bosch's elevator setting), and a little weather.
func TestNoisySensors(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		w := world{dur: 60 * time.Second, moves: []move{up5, {at: 30 * time.Second, from: 12, to: 3}},
			noiseA: 0.05, biasA: 0.2, noiseP: 1.3, drift: 0.02, seed: seed}
		d, err := edge.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		res := feed(t, d, w.readings())
		if s := d.State(); len(res.events) != 0 || res.trips != 2 || s.Floor != 2 || math.Abs(s.Height-3) > 0.3 {
			t.Errorf("seed %d: %d trips, floor %d at %.3f m, events %v; want 2 trips, floor 2 near 3 m, none",
				seed, res.trips, s.Floor, s.Height, res.events)
		}
	}
}

// TestMaxTrip: without a barometer an accelerometer whose offset shifts
// mid-trip keeps the speed estimate from settling; MaxTrip still ends the
// trip, so that a trapped passenger is noticed.
func TestMaxTrip(t *testing.T) {
	w := world{dur: 190 * time.Second, moves: []move{up5}, biasStepAt: 10 * time.Second, biasStep: 0.03,
		changes: []change{{0, door, 0}, {time.Second, presence, 1}},
		drop:    func(r telemetry.Reading) bool { return r.Quantity == telemetry.Pressure }}
	d, err := edge.New(&edge.Opts{MaxTrip: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	res := feed(t, d, w.readings())
	s := d.State()
	if s.Moving || res.trips != 1 || len(res.events) != 1 || res.events[0].q != telemetry.EventTrapped {
		t.Fatalf("state %+v, %d trips, events %v; want one trip ended and a trapped passenger", s, res.trips, res.events)
	}
	// The trip ended at the first sample more than MaxTrip after it began.
	if want := 2*time.Second + accelDT + 30*time.Second + accelDT + 2*time.Minute; res.events[0].at != want {
		t.Errorf("trapped at %v, want %v", res.events[0].at, want)
	}
}

// TestInputs checks which readings the detector listens to.
func TestInputs(t *testing.T) {
	w := world{dur: 25 * time.Second, moves: []move{up5}}
	rs := w.readings()
	var mixed []telemetry.Reading
	for i, r := range rs {
		mixed = append(mixed, r)
		// Another car's accelerometer, a stale copy and a bad frame.
		other := r
		other.Sensor, other.Value = "accel2", g+3
		stale := r
		stale.Time, stale.Value = r.Time.Add(-time.Second), 0
		bad := r
		bad.Quality, bad.Value = telemetry.Bad, 1e6
		if i > 0 && r.Quantity == telemetry.AccelZ {
			mixed = append(mixed, other, stale, bad)
		}
	}
	d, err := edge.New(&edge.Opts{Sensors: []string{"accel", "baro"}})
	if err != nil {
		t.Fatal(err)
	}
	res := feed(t, d, mixed)
	if s := d.State(); s.Floor != 5 || res.trips != 1 || len(res.events) != 0 {
		t.Errorf("floor %d, %d trips, events %v; want floor 5, one trip, none", s.Floor, res.trips, res.events)
	}
}

func TestNew(t *testing.T) {
	if _, err := edge.New(nil); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	tests := []struct {
		opts  edge.Opts
		field string
	}{
		{edge.Opts{StartAccel: -1}, "StartAccel"},
		{edge.Opts{StoreyHeight: math.NaN()}, "StoreyHeight"},
		{edge.Opts{TrappedAfter: -time.Second}, "TrappedAfter"},
		{edge.Opts{MaxSpeed: math.Inf(1)}, "MaxSpeed"},
		{edge.Opts{AirTemperature: 20}, "AirTemperature"},
		{edge.Opts{StopSpeed: 0.2}, "StopSpeed"},
		{edge.Opts{MaxSpeed: 1, SpeedHysteresis: 1}, "SpeedHysteresis"},
		{edge.Opts{VibrationLimit: 0.1}, "VibrationHysteresis"},
		{edge.Opts{InitialHeight: math.NaN()}, "InitialHeight"},
		{edge.Opts{Sensors: []string{"accel", ""}}, "Sensors"},
		{edge.Opts{FloorHeights: []float64{0, 3, 3}}, "FloorHeights"},
		{edge.Opts{FloorHeights: []float64{-3, 3}}, "FloorHeights"},
		{edge.Opts{FloorHeights: []float64{0, 3}, FloorNumbers: []int{1}}, "FloorNumbers"},
		{edge.Opts{FloorHeights: []float64{0, 3}, FloorNumbers: []int{2, 1}}, "FloorNumbers"},
		{edge.Opts{FloorNumbers: []int{1, 2}}, "FloorNumbers"},
	}
	for _, tt := range tests {
		_, err := edge.New(&tt.opts)
		if err == nil || !strings.Contains(err.Error(), "Opts."+tt.field) || !strings.HasPrefix(err.Error(), "edge: ") {
			t.Errorf("New(%+v) = %v; want an error naming Opts.%s", tt.opts, err, tt.field)
		}
	}
}
