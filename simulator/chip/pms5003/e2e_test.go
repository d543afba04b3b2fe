package pms5003

import (
	"context"
	"testing"
	"time"

	drv "github.com/xiuhua/xiuhua/drivers/pms5003"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/drivers/tty"
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
	return Values{PM1: m / 20, PM2_5: m / 10, PM10: m / 7}
}

// atm is what the driver should read for v.
func atm(v Values) drv.Mass {
	return drv.Mass{PM1: u16(v.PM1), PM2_5: u16(v.PM2_5), PM10: u16(v.PM10)}
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

func (r *rig) open(t *testing.T, mode drv.Mode) *drv.Dev {
	t.Helper()
	port, err := tty.Open(r.pty.SlavePath, &tty.Opts{ReadTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { port.Close() })
	d, err := drv.New(port, &drv.Opts{Mode: mode})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d
}

func TestDriverPassive(t *testing.T) {
	r := newRig(t, 20*time.Millisecond) // streaming while the driver starts
	d := r.open(t, drv.Passive)
	for range 5 {
		now := r.clock.Add(7 * time.Minute)
		f, err := d.Read()
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if want := atm(dustDay(now)); f.Atm != want {
			t.Errorf("at %v read %+v, want %+v", now, f.Atm, want)
		}
	}
	if st := r.chip.State(); st.Active || st.Asleep {
		t.Errorf("chip %+v, want awake in passive mode", st)
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !r.chip.State().Asleep {
		if time.Now().After(deadline) {
			t.Fatal("chip did not go to sleep")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDriverActive(t *testing.T) {
	r := newRig(t, 20*time.Millisecond)
	d := r.open(t, drv.Active)
	old := atm(dustDay(r.clock.Now()))
	now := r.clock.Add(time.Hour)
	want := atm(dustDay(now))
	// A frame built before the clock moved may still be on its way; after
	// that, every frame carries the new air.
	seen := false
	for range 5 {
		f, err := d.Read()
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		switch f.Atm {
		case want:
			seen = true
		case old:
			if seen {
				t.Fatalf("read the old air %+v after the new", f.Atm)
			}
		default:
			t.Fatalf("read %+v, want %+v", f.Atm, want)
		}
	}
	if !seen {
		t.Errorf("never read the new air %+v", want)
	}
}

func TestRegisteredSensor(t *testing.T) {
	r := newRig(t, time.Hour)
	s := sensortest.MustOpen(t, "pms5003", sensor.Spec{Name: "dust", Serial: sensor.Serial{Port: r.pty.SlavePath}}, board.New())
	rs, err := s.Sense(context.Background())
	if err != nil {
		t.Fatalf("Sense: %v", err)
	}
	v := dustDay(r.clock.Now())
	want := map[telemetry.Quantity]float64{
		telemetry.PM1: float64(u16(v.PM1)), telemetry.PM2_5: float64(u16(v.PM2_5)), telemetry.PM10: float64(u16(v.PM10)),
	}
	for _, rd := range rs {
		if rd.Value != want[rd.Quantity] || rd.Sensor != "dust" {
			t.Errorf("reading %+v, want %v", rd, want[rd.Quantity])
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestServeStopsOnPTY: with nobody reading the slave, the pty fills and
// the chip's writes block; ending ctx still stops Serve at once, with no
// goroutine left.
func TestServeStopsOnPTY(t *testing.T) {
	c := New(dustDay, &Opts{Period: 200 * time.Microsecond})
	chiptest.StopsOnPTY(t, c.Serve, chiptest.Stalled(
		func() uint64 { return c.State().Frames },
		func() uint64 { return c.State().Dropped }))
}
