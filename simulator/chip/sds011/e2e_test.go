package sds011

import (
	"context"
	"testing"
	"time"

	_ "github.com/xiuhua/xiuhua/drivers/sds011" // registers "sds011"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip"
	"github.com/xiuhua/xiuhua/simulator/chip/chiptest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// clock is a settable time for the chip: see chiptest.Clock.
type clock = chiptest.Clock

// dustDay is a Source whose air changes by the minute.
func dustDay(t time.Time) Values {
	m := float64(t.Hour()*60 + t.Minute())
	return Values{PM2_5: m / 10, PM10: m / 7}
}

// want is what the driver should read for v, in µg/m³.
func want(v Values) map[telemetry.Quantity]float64 {
	return map[telemetry.Quantity]float64{
		telemetry.PM2_5: float64(tenths(v.PM2_5)) / 10,
		telemetry.PM10:  float64(tenths(v.PM10)) / 10,
	}
}

// rig is a chip served on a pty, with a clock.
type rig struct {
	pty   *chip.PTY
	chip  *Chip
	clock *clock
}

func newRig(t *testing.T, period time.Duration) *rig {
	t.Helper()
	clk := chiptest.NewClock(time.Date(2025, 6, 1, 7, 30, 0, 0, time.UTC))
	c := New(dustDay, &Opts{Period: period, Now: clk.Now})
	p := chiptest.ServeOnPTY(t, c.Serve)
	return &rig{pty: p, chip: c, clock: clk}
}

func (r *rig) open(t *testing.T, params map[string]string) sensor.Sensor {
	t.Helper()
	spec := sensor.Spec{Name: "dust", Driver: "sds011", Serial: sensor.Serial{Port: r.pty.SlavePath}, Params: params}
	s := sensortest.MustOpen(t, "sds011", spec, board.New())
	return s
}

func TestRegisteredSensor(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		active bool
	}{
		{"query", nil, false},
		{"active", map[string]string{"mode": "active"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 20*time.Millisecond) // streaming while the driver starts
			s := r.open(t, tt.params)
			if st := r.chip.State(); st.Active != tt.active || st.Asleep || st.Period != 0 {
				t.Errorf("chip %+v after the factory", st)
			}
			for range 3 {
				now := r.clock.Add(7 * time.Minute)
				// Frames built before the clock moved reach the pty within
				// a few periods, where Sense's flush discards them.
				time.Sleep(60 * time.Millisecond)
				rs, err := s.Sense(context.Background())
				if err != nil {
					t.Fatalf("Sense: %v", err)
				}
				w := want(dustDay(now))
				if len(rs) != len(w) {
					t.Fatalf("Sense = %+v", rs)
				}
				for _, rd := range rs {
					if rd.Value != w[rd.Quantity] || rd.Sensor != "dust" || rd.Quality != telemetry.Warming {
						t.Errorf("at %v: reading %+v, want %v, warming", now, rd, w[rd.Quantity])
					}
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if !r.chip.State().Asleep {
				t.Error("Close left the chip awake")
			}
		})
	}
}

// TestDecoderRoundTrip captures what the chip sends and checks that the
// registered stream decoder reads back the values the chip was given.
func TestDecoderRoundTrip(t *testing.T) {
	r := newRig(t, 5*time.Millisecond)
	capture := chiptest.Capture(t, r.pty.SlavePath, 0, 6*frameSize)
	if n := chiptest.DecodeCapture(t, "sds011", nil, capture, frameSize, want(dustDay(r.clock.Now()))); n < 5 {
		t.Errorf("decoded %d frames from %d bytes", n, len(capture))
	}
}

// TestServeStopsOnPTY: with nobody reading the slave, the pty fills and
// the chip's writes block; ending ctx still stops Serve at once, with no
// goroutine left.
func TestServeStopsOnPTY(t *testing.T) {
	c := New(dustDay, &Opts{Period: 20 * time.Microsecond})
	chiptest.StopsOnPTY(t, c.Serve, chiptest.Stalled(
		func() uint64 { return c.State().Frames },
		func() uint64 { return c.State().Dropped }))
}
