package ld2410

import (
	"context"
	"testing"
	"time"

	_ "github.com/xiuhua/xiuhua/drivers/ld2410" // registers "ld2410"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip"
	"github.com/xiuhua/xiuhua/simulator/chip/chiptest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// clock is a settable time for the chip: see chiptest.Clock.
type clock = chiptest.Clock

// ride is a Source for an elevator car: empty, then someone walks in,
// stands still, and is joined by someone moving, minute by minute.
func ride(t time.Time) Values {
	switch t.Minute() % 4 {
	case 1:
		return Values{Moving: 1.2}
	case 2:
		return Values{Stationary: 0.8}
	case 3:
		return Values{Moving: 1.6, Stationary: 0.75}
	}
	return Values{}
}

// want is what the registered sensor should say about v.
func want(v Values) map[telemetry.Quantity]float64 {
	mv, st := cm(v.Moving), cm(v.Stationary)
	w := map[telemetry.Quantity]float64{}
	switch {
	case mv > 0 && st > 0:
		w[telemetry.Presence], w[telemetry.Distance] = 3, float64(min(mv, st))*10
	case mv > 0:
		w[telemetry.Presence], w[telemetry.Distance] = 1, float64(mv)*10
	case st > 0:
		w[telemetry.Presence], w[telemetry.Distance] = 2, float64(st)*10
	default:
		w[telemetry.Presence] = 0
	}
	return w
}

func newRig(t *testing.T, period time.Duration) (*chip.PTY, *Chip, *clock) {
	t.Helper()
	clk := chiptest.NewClock(time.Date(2025, 6, 1, 7, 30, 0, 0, time.UTC))
	c := New(ride, &Opts{Period: period, Now: clk.Now})
	p := chiptest.ServeOnPTY(t, c.Serve)
	return p, c, clk
}

// TestRegisteredSensor opens the radar through the registry at its
// factory 256000 baud, which a pseudo-terminal takes as any other rate.
func TestRegisteredSensor(t *testing.T) {
	p, c, clk := newRig(t, 10*time.Millisecond)
	spec := sensor.Spec{Name: "car", Driver: "ld2410", Serial: sensor.Serial{Port: p.SlavePath}}
	s := sensortest.MustOpen(t, "ld2410", spec, board.New())
	defer s.Close()
	if st := c.State(); st.Config || st.Acks != 3 {
		t.Errorf("radar %+v after the probe, want out of configuration mode", st)
	}
	for range 4 {
		now := clk.Add(time.Minute)
		// Reports built before the clock moved reach the pty within a
		// few periods, where Sense's flush discards them.
		time.Sleep(40 * time.Millisecond)
		rs, err := s.Sense(context.Background())
		if err != nil {
			t.Fatalf("Sense: %v", err)
		}
		w := want(ride(now))
		if len(rs) != len(w) {
			t.Fatalf("at %v: Sense = %+v, want %v", now.Format("15:04"), rs, w)
		}
		for _, r := range rs {
			if v, ok := w[r.Quantity]; !ok || r.Value != v || r.Quality != telemetry.Good || r.Sensor != "car" {
				t.Errorf("at %v: reading %+v, want %v", now.Format("15:04"), r, w)
			}
		}
	}
}

// TestDecoderRoundTrip captures what the radar sends and checks that the
// registered stream decoder reads back the targets it was given.
func TestDecoderRoundTrip(t *testing.T) {
	p, _, clk := newRig(t, 2*time.Millisecond)
	clk.Add(time.Minute) // 07:31: both targets
	const size = 23
	capture := chiptest.Capture(t, p.SlavePath, 256000, 6*size)
	w := want(ride(clk.Now()))
	if w[telemetry.Presence] != 3 || w[telemetry.Distance] != 750 {
		t.Fatalf("test set-up: want %v", w)
	}
	if n := chiptest.DecodeCapture(t, "ld2410", nil, capture, size, w); n < 5 {
		t.Errorf("decoded %d reports from %d bytes", n, len(capture))
	}
}

// TestServeStopsOnPTY: with nobody reading the slave, the pty fills and
// the chip's writes block; ending ctx still stops Serve at once, with no
// goroutine left.
func TestServeStopsOnPTY(t *testing.T) {
	c := New(ride, &Opts{Period: 20 * time.Microsecond})
	chiptest.StopsOnPTY(t, c.Serve, chiptest.Stalled(
		func() uint64 { return c.State().Reports },
		func() uint64 { return c.State().Dropped }))
}
