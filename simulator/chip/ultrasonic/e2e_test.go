package ultrasonic

import (
	"context"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	_ "github.com/xiuhua/xiuhua/drivers/ultrasonic" // registers "ultrasonic"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip"
	"github.com/xiuhua/xiuhua/simulator/chip/chiptest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// clock is a settable time for the chip: see chiptest.Clock.
type clock = chiptest.Clock

// tide is a Source whose water rises by the minute under a sensor
// mounted 5 m above the datum: the distance falls from 3 m.
func tide(t time.Time) Values {
	m := float64(t.Hour()*60 + t.Minute())
	return Values{Distance: 3000 - m}
}

// newRig serves a board with opts on a pty and returns the pty and a
// clock.
func newRig(t *testing.T, opts Opts) (*chip.PTY, *Chip, *clock) {
	t.Helper()
	clk := chiptest.NewClock(time.Date(2025, 6, 1, 7, 30, 0, 0, time.UTC))
	opts.Now = clk.Now
	c := New(tide, &opts)
	p := chiptest.ServeOnPTY(t, c.Serve)
	return p, c, clk
}

func TestRegisteredSensor(t *testing.T) {
	tests := []struct {
		name   string
		opts   Opts
		params map[string]string
	}{
		{"A02YYUW sending on its own", Opts{Period: 10 * time.Millisecond},
			map[string]string{"mounting_height_m": "5"}},
		{"JSN-SR04T triggered", Opts{Trigger: true},
			map[string]string{"mounting_height_m": "5", "trigger": "true"}},
		{"AJ-SR04M triggered, H+L checksum", Opts{Trigger: true, TriggerByte: 0x01, SumNoHeader: true},
			map[string]string{"mounting_height_m": "5", "trigger": "true", "trigger_byte": "0x01", "checksum": "sum-no-header", "samples": "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, clk := newRig(t, tt.opts)
			spec := sensor.Spec{Name: "river", Driver: "ultrasonic", Serial: sensor.Serial{Port: p.SlavePath}, Params: tt.params}
			s := sensortest.MustOpen(t, "ultrasonic", spec, board.New())
			defer s.Close()
			for range 3 {
				now := clk.Add(10 * time.Minute)
				// Frames built before the clock moved reach the pty within
				// a few periods, where Sense's flush discards them.
				time.Sleep(40 * time.Millisecond)
				rs, err := s.Sense(context.Background())
				if err != nil {
					t.Fatalf("Sense: %v", err)
				}
				d := float64(mm(tide(now).Distance))
				want := map[telemetry.Quantity]float64{telemetry.Distance: d, telemetry.WaterLevel: (5000 - d) / 1000}
				if len(rs) != 2 {
					t.Fatalf("Sense = %+v", rs)
				}
				for _, r := range rs {
					if r.Value != want[r.Quantity] || r.Quality != telemetry.Good || r.Sensor != "river" {
						t.Errorf("at %v: reading %+v, want %v", now.Format("15:04"), r, want[r.Quantity])
					}
				}
			}
		})
	}
}

// TestDecoderRoundTrip captures what the board sends and checks that the
// registered stream decoder reads back the distances it was given.
func TestDecoderRoundTrip(t *testing.T) {
	p, _, clk := newRig(t, Opts{Period: 2 * time.Millisecond})
	capture := chiptest.Capture(t, p.SlavePath, 0, 8*frameSize)
	d := float64(mm(tide(clk.Now()).Distance))
	want := map[telemetry.Quantity]float64{telemetry.Distance: d, telemetry.WaterLevel: (5200 - d) / 1000}
	if n := chiptest.DecodeCapture(t, "ultrasonic", map[string]string{"mounting_height_m": "5.2"}, capture, frameSize, want); n < 7 {
		t.Errorf("decoded %d frames from %d bytes", n, len(capture))
	}
}

// TestServeStopsOnPTY: with nobody reading the slave, the pty fills and
// the chip's writes block; ending ctx still stops Serve at once, with no
// goroutine left.
func TestServeStopsOnPTY(t *testing.T) {
	c := New(tide, &Opts{Period: 20 * time.Microsecond})
	chiptest.StopsOnPTY(t, c.Serve, chiptest.Stalled(
		func() uint64 { return c.State().Frames },
		func() uint64 { return c.State().Dropped }))
}
