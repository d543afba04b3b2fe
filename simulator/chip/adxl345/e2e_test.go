package adxl345

import (
	"context"
	"math"
	"testing"
	"time"

	drv "github.com/xiuhua/xiuhua/drivers/adxl345"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip/chiptest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// clock is a settable time for the chip: see chiptest.Clock.
type clock = chiptest.Clock

// trip is a lift car that accelerates up at 1.2 m/s² for two seconds,
// cruises, and brakes, with a little sway.
func trip(t time.Time) Values {
	s := float64(t.UnixMilli()%20000) / 1000
	a := 0.0
	switch {
	case s < 2:
		a = 1.2
	case s >= 12 && s < 14:
		a = -1.2
	}
	return Values{X: 0.05 * math.Sin(s), Y: -0.03, Z: G + a}
}

// readBack is what the driver reads for a: the emulator's count times the
// driver's 3.9 mg.
func readBack(a float64) float64 { return math.Round(a/G*CountsPerG) * drv.Scale }

func TestRegisteredSensor(t *testing.T) {
	clk := chiptest.NewClock(time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC))
	c := New(trip, &Opts{Now: clk.Now})
	b := board.New()
	b.I2C("1").Attach(0x1d, c)
	spec := sensor.Spec{Name: "car", Driver: "adxl345", I2C: sensor.I2C{Bus: "1", Addr: 0x1d}, Params: map[string]string{"range": "4g", "rate": "200"}}
	s := sensortest.MustOpen(t, "adxl345", spec, b)
	if st := c.State(); !st.Measuring || st.Range != 4 || !st.FullRes || st.Rate != 0x0b {
		t.Fatalf("chip %+v after the factory", st)
	}
	for range 8 {
		now := clk.Add(1700 * time.Millisecond)
		rs, err := s.Sense(context.Background())
		if err != nil {
			t.Fatalf("Sense: %v", err)
		}
		v := trip(now)
		want := map[telemetry.Quantity]float64{telemetry.AccelX: readBack(v.X), telemetry.AccelY: readBack(v.Y), telemetry.AccelZ: readBack(v.Z)}
		for _, r := range rs {
			if math.Abs(r.Value-want[r.Quantity]) > 1e-12 || r.Quality != telemetry.Good {
				t.Errorf("at %v: %+v, want %v", now.Format("05.000"), r, want[r.Quantity])
			}
			if real := map[telemetry.Quantity]float64{telemetry.AccelX: v.X, telemetry.AccelY: v.Y, telemetry.AccelZ: v.Z}[r.Quantity]; math.Abs(r.Value-real) > drv.Scale {
				t.Errorf("%s = %v, more than a count from %v", r.Quantity, r.Value, real)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if c.State().Measuring {
		t.Error("chip still measuring after Close")
	}
}

// TestBeyondRange: a shock beyond ±2 g saturates the chip; the driver
// marks the saturated axes.
func TestBeyondRange(t *testing.T) {
	c := New(func(time.Time) Values { return Values{X: 3 * G, Y: -3 * G, Z: G} }, nil)
	b := board.New()
	b.I2C("1").Attach(0x53, c)
	bus, _ := b.OpenI2C("1")
	d, err := drv.New(bus, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Read()
	if err != nil {
		t.Fatal(err)
	}
	if s.Raw != [3]int16{511, -512, 256} || s.OutOfRange != [3]bool{true, true, false} {
		t.Errorf("Read = %+v", s)
	}
	b.I2C("1").Attach(0x53, nil)
	if _, err := d.Read(); err == nil {
		t.Error("Read succeeded with the chip unplugged")
	}
}
