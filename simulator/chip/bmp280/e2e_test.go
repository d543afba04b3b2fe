package bmp280

import (
	"context"
	"math"
	"testing"
	"time"

	drv "github.com/xiuhua/xiuhua/drivers/bmp280"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip/chiptest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// clock is a settable time for the chip: see chiptest.Clock.
type clock = chiptest.Clock

// lift is a barometer in a lift car that climbs a 3 m storey a minute
// (about 36 Pa) while the afternoon warms and dries.
func lift(t time.Time) Values {
	m := float64(t.Hour()*60 + t.Minute())
	return Values{Pressure: 101325 - 36*math.Mod(m, 30), Temperature: 10 + m/60, Humidity: 90 - m/20}
}

func TestRegisteredSensor(t *testing.T) {
	tests := []struct {
		name   string
		bme    bool
		params map[string]string
		tolP   float64
	}{
		{"BMP280 at 4x", false, nil, 0.4},
		{"BME280 at 16x", true, map[string]string{"oversampling": "16x"}, 0.1},
		{"BMP280 at 1x", false, map[string]string{"oversampling": "1x"}, 1.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := chiptest.NewClock(time.Date(2025, 6, 1, 13, 0, 0, 0, time.UTC))
			c := New(lift, &Opts{BME280: tt.bme, Now: clk.Now})
			b := board.New()
			b.I2C("1").Attach(0x77, c)
			spec := sensor.Spec{Name: "baro", Driver: "bmp280", I2C: sensor.I2C{Bus: "1", Addr: 0x77}, Params: tt.params}
			s := sensortest.MustOpen(t, "bmp280", spec, b)
			for range 5 {
				now := clk.Add(7 * time.Minute)
				rs, err := s.Sense(context.Background())
				if err != nil {
					t.Fatalf("Sense: %v", err)
				}
				v := lift(now)
				want := map[telemetry.Quantity][2]float64{
					telemetry.Pressure:    {v.Pressure, tt.tolP},
					telemetry.Temperature: {v.Temperature, 0.01},
					telemetry.Humidity:    {v.Humidity, 0.01},
				}
				n := 2
				if tt.bme {
					n = 3
				}
				if len(rs) != n {
					t.Fatalf("Sense gave %d readings, want %d", len(rs), n)
				}
				for _, r := range rs {
					w := want[r.Quantity]
					if math.Abs(r.Value-w[0]) > w[1] || r.Quality != telemetry.Good {
						t.Errorf("at %v: %s = %v (%v), want %v ± %v", now.Format("15:04"), r.Quantity, r.Value, r.Quality, w[0], w[1])
					}
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if st := c.State(); st.Mode != 0 || st.Measurements != 5 {
				t.Errorf("chip %+v after Close", st)
			}
		})
	}
}

// TestOutOfRange: air the chip cannot be in reaches the driver marked.
func TestOutOfRange(t *testing.T) {
	c := New(func(time.Time) Values { return Values{Pressure: 25000, Temperature: 90} }, nil)
	b := board.New()
	b.I2C("1").Attach(0x76, c)
	bus, _ := b.OpenI2C("1")
	d, err := drv.New(bus, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Sense(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !s.PressureSuspect || !s.TemperatureSuspect {
		t.Errorf("Sense = %+v: %v, %v", s, s.Pressure, s.Temperature)
	}
}
