package edge_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/agent/edge"
	"github.com/xiuhua/xiuhua/telemetry"
)

const (
	door     = telemetry.DoorOpen
	presence = telemetry.Presence
	ebike    = telemetry.EBike
)

// up5 is the reference trip: floor 1 to floor 5 (12 m) from t = 2 s,
// accelerating at 0.8 m/s² to 1 m/s. It arrives at 15.25 s.
var up5 = move{at: 2 * time.Second, from: 0, to: 12}

// landing is a stop at a landing: the door opens 1 s after arrival and
// closes 4 s later.
func landing(arrive time.Duration) []change {
	return []change{{arrive + time.Second, door, 1}, {arrive + 5*time.Second, door, 0}}
}

func TestDetector(t *testing.T) {
	// Amplitude of a square-wave burst whose RMS over a 100-sample window
	// crosses 1 m/s² at its 50th sample and falls below 0.8 m/s² when 31
	// of its samples are left in the window.
	amp := math.Sqrt(100 / 49.5)

	tests := []struct {
		name  string
		opts  *edge.Opts
		world func(t *testing.T) (world, []event)
		floor int // at the end
		trips int // trips that began; a jolt is none
	}{
		{"normal trip with weather drift", nil, func(*testing.T) (world, []event) {
			w := world{dur: 25 * time.Second, moves: []move{up5}, drift: -0.05,
				changes: append([]change{{0, door, 0}, {500 * time.Millisecond, presence, 1}, {20 * time.Second, presence, 0}},
					landing(sec(15.25))...)}
			return w, nil
		}, 5, 1},
		{"trapped at a landing", nil, func(*testing.T) (world, []event) {
			// In at 2 s; the door closes at 4 s, opens at 60 s, closes at
			// 65 s and stays closed: trapped from 185 s until it opens.
			w := world{dur: 210 * time.Second, changes: []change{
				{time.Second, door, 1}, {2 * time.Second, presence, 1}, {4 * time.Second, door, 0},
				{60 * time.Second, door, 1}, {65 * time.Second, door, 0}, {200 * time.Second, door, 1},
			}}
			return w, []event{{telemetry.EventTrapped, 1, 185 * time.Second}, {telemetry.EventTrapped, 0, 200 * time.Second}}
		}, 1, 0},
		{"trapped between floors", nil, func(t *testing.T) (world, []event) {
			// The car halts 7.8 m up with its door shut; the car stops
			// when its speed falls below StopSpeed, after the door and
			// the passenger: that instant starts the clock.
			w := world{dur: 150 * time.Second, moves: []move{{at: 2 * time.Second, to: 7.8}},
				changes: []change{{0, door, 0}, {time.Second, presence, 2}, {145 * time.Second, presence, 0}}}
			stop := w.firstSample(t, 4*time.Second, 0.05, func(v float64) bool { return v < 0.05 })
			return w, []event{{telemetry.EventTrapped, 1, stop + 2*time.Minute}, {telemetry.EventTrapped, 0, 145 * time.Second}}
		}, 4, 1},
		{"door opens while cruising", nil, func(*testing.T) (world, []event) {
			w := world{dur: 25 * time.Second, moves: []move{up5},
				changes: append([]change{{0, door, 0}, {6 * time.Second, door, 1}, {sec(7.5), door, 0}}, landing(sec(15.25))...)}
			return w, []event{{telemetry.EventDoorOpenMoving, 1, 6 * time.Second}, {telemetry.EventDoorOpenMoving, 0, sec(7.5)}}
		}, 5, 1},
		{"car leaves with its door open", nil, func(t *testing.T) (world, []event) {
			w := world{dur: 15 * time.Second, moves: []move{{at: 2 * time.Second, to: 6}},
				changes: []change{{0, door, 0}, {time.Second, door, 1}, {12 * time.Second, door, 0}}}
			begin := w.firstSample(t, 2*time.Second, 0.3, func(v float64) bool { return v > 0.3 })
			end := w.firstSample(t, begin, 0.3, func(v float64) bool { return v <= 0.3 })
			return w, []event{{telemetry.EventDoorOpenMoving, 1, begin}, {telemetry.EventDoorOpenMoving, 0, end}}
		}, 3, 1},
		{"over-speed", nil, func(t *testing.T) (world, []event) {
			w := world{dur: 35 * time.Second, moves: []move{{at: 2 * time.Second, to: 29.9, vmax: 1.5}}}
			begin := w.firstSample(t, 2*time.Second, 1.15, func(v float64) bool { return v > 1.15 })
			end := w.firstSample(t, begin+5*time.Second, 1.10, func(v float64) bool { return v < 1.10 })
			return w, []event{{telemetry.EventOverspeed, 1, begin}, {telemetry.EventOverspeed, 0, end}}
		}, 11, 1},
		{"vibration burst at rest", nil, func(*testing.T) (world, []event) {
			w := world{dur: 15 * time.Second, bursts: []burst{{at: 5 * time.Second, n: 150, amp: amp}}}
			last := 5*time.Second + 149*accelDT
			return w, []event{{telemetry.EventVibration, 1, 5*time.Second + 49*accelDT},
				{telemetry.EventVibration, 0, last + (100-31)*accelDT}}
		}, 1, 0},
		{"e-bike, after a flicker", nil, func(*testing.T) (world, []event) {
			w := world{dur: 35 * time.Second, changes: []change{
				{3 * time.Second, ebike, 1}, {sec(4.5), ebike, 0}, {10 * time.Second, ebike, 1}, {30 * time.Second, ebike, 0},
			}}
			return w, []event{{telemetry.EventEBike, 1, 12 * time.Second}, {telemetry.EventEBike, 0, 30 * time.Second}}
		}, 1, 0},
		{"accelerometer upside down", &edge.Opts{InvertAccel: true}, func(*testing.T) (world, []event) {
			return world{dur: 25 * time.Second, moves: []move{up5}, invertA: true}, nil
		}, 5, 1},
		{"accelerometer silent mid-trip", nil, func(*testing.T) (world, []event) {
			w := world{dur: 25 * time.Second, moves: []move{up5}, drop: func(r telemetry.Reading) bool {
				return r.Quantity == telemetry.AccelZ && r.Time.After(t0.Add(5*time.Second)) && r.Time.Before(t0.Add(9*time.Second))
			}}
			return w, nil
		}, 5, 1},
		{"no barometer", nil, func(*testing.T) (world, []event) {
			w := world{dur: 25 * time.Second, moves: []move{up5},
				drop: func(r telemetry.Reading) bool { return r.Quantity == telemetry.Pressure }}
			return w, nil
		}, 5, 1},
		{"irregular storeys and a basement",
			&edge.Opts{FloorHeights: []float64{-3.5, 0, 4.5, 7.5, 10.5}, FloorNumbers: []int{-1, 1, 2, 3, 5}},
			func(*testing.T) (world, []event) {
				return world{dur: 40 * time.Second, moves: []move{{at: 2 * time.Second, to: 10.5}, {at: 20 * time.Second, from: 10.5, to: -3.5}}}, nil
			}, -1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, want := tt.world(t)
			d, err := edge.New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			res := feed(t, d, w.readings())
			if !slices.Equal(res.events, want) {
				t.Errorf("events:\n got %v\nwant %v", res.events, want)
			}
			s := d.State()
			if s.Floor != tt.floor || s.Moving || len(s.Open) != 0 {
				t.Errorf("state at the end: floor %d, moving %v, open %v; want floor %d at rest, none open", s.Floor, s.Moving, s.Open, tt.floor)
			}
			if res.trips != tt.trips {
				t.Errorf("%d trips, want %d", res.trips, tt.trips)
			}
			if f := res.lastFloor(); f != float64(tt.floor) {
				t.Errorf("last Floor reading %v, want %d", f, tt.floor)
			}
		})
	}
}
