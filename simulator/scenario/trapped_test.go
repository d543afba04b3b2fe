package scenario

import (
	"context"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/xiuhua/xiuhua/agent/edge"
	"github.com/xiuhua/xiuhua/telemetry"
)

// TestTrappedThroughDrivers plays tianlin-lift's car through the real
// elevator drivers and the agent's edge detector, sampling as the demo's
// agent does (accelerometer every 100 ms, barometer and door every
// 200 ms; the radar every 2 s, to keep the test short) on a stepped clock. The detector must see
// one trip up to floor 5, then a trip that halts at 19.6 m with the door
// shut and a passenger standing inside, and raise the trapped-passenger
// event TrappedAfter after the halt, and nothing else.
func TestTrappedThroughDrivers(t *testing.T) {
	if testing.Short() {
		t.Skip("steps 70 s of a lift through the drivers")
	}
	// 4× oversampling (Bosch's elevator setting; ±0.4 Pa) rather than the
	// rig's 16×, whose 40 ms conversions would make the test slow.
	rt := mountTest(t, "lift-chips.yaml", map[string]map[string]string{"door": {"debounce": "20ms"}, "baro": {"oversampling": "4x"}})
	lift := rt.rig.Scenario().Elevator
	const trappedAfter = 20 * time.Second
	det, err := edge.New(&edge.Opts{StoreyHeight: 3, TrappedAfter: trappedAfter})
	if err != nil {
		t.Fatal(err)
	}
	t0 := rt.rig.Clock().Wall0
	var events []telemetry.Reading
	trips := 0
	moving := false
	feed := func(name string, at time.Duration) {
		rs, err := rt.sensors[name].Sense(context.Background())
		if err != nil {
			t.Fatalf("%s at %v: %v", name, at, err)
		}
		for _, r := range rs {
			r.Time = t0.Add(at) // the sampler's time: the rig's clock, not the driver's
			for _, o := range det.Observe(r) {
				if o.Quantity.IsEvent() {
					events = append(events, o)
				}
			}
		}
	}
	const step = 100 * time.Millisecond
	door := false
	for at := time.Duration(0); at <= 70*time.Second; at += step {
		rt.clk.Set(t0.Add(at))
		if s := lift.State(at); s.DoorOpen != door {
			door = s.DoorOpen
			rt.pin("GPIO22", gpio.Level(door))
		}
		feed("accel", at)
		if at%(200*time.Millisecond) == 0 {
			feed("baro", at)
			feed("door", at)
		}
		if at%(2*time.Second) == 0 {
			time.Sleep(150 * time.Millisecond) // a radar report of this instant
			feed("radar", at)
		}
		if m := det.State().Moving; m != moving {
			moving = m
			if m {
				trips++
			}
		}
	}
	// The car halts at 44.85 s (TestElevatorTimeline); the detector dates
	// a stop when the speed fell below 0.05 m/s, which the profile's
	// braking reaches 62.5 ms before the halt, and learns of it 1 s later
	// (StopAfter). Between the 100 ms samples that puts the halt it
	// perceives between 44.7 and 45 s.
	if len(events) != 1 || events[0].Quantity != telemetry.EventTrapped || events[0].Value != 1 {
		t.Fatalf("events %+v, want one trapped-passenger begin", events)
	}
	if at := events[0].Time.Sub(t0); at < sec(44.7)+trappedAfter || at > sec(45)+trappedAfter {
		t.Errorf("trapped at +%v, want 44.7–45 s + %v", at, trappedAfter)
	}
	st := det.State()
	if trips != 2 || st.Moving || st.Floor != 8 || st.DoorOpen || st.Presence != 2 {
		t.Errorf("%d trips, detector %+v; want 2 trips, resting nearest floor 8 (21 m), door shut, someone standing", trips, st)
	}
}
