package mpu6050

import (
	"context"
	"math"
	"testing"
	"time"

	drv "github.com/xiuhua/xiuhua/drivers/mpu6050"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip/chiptest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// clock is a settable time for the chip: see chiptest.Clock.
type clock = chiptest.Clock

// sway is a lift car that sways and warms up as the minutes pass.
func sway(t time.Time) Values {
	s := float64(t.Second()) + float64(t.Nanosecond())/1e9
	return Values{
		Accel:       [3]float64{0.3 * math.Sin(s), -0.2 * math.Cos(s), G + 0.8*math.Sin(s/3)},
		Gyro:        [3]float64{12 * math.Sin(s/2), -3.5, 0.25 * s},
		Temperature: 20 + float64(t.Minute())/4,
	}
}

func TestRegisteredSensor(t *testing.T) {
	clk := chiptest.NewClock(time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC))
	c := New(sway, &Opts{Now: clk.Now})
	b := board.New()
	b.I2C("1").Attach(0x69, c)
	spec := sensor.Spec{Name: "car", Driver: "mpu6050", I2C: sensor.I2C{Bus: "1", Addr: 0x69},
		Params: map[string]string{"accel_range": "4g", "gyro_range": "500", "bandwidth": "21"}}
	s := sensortest.MustOpen(t, "mpu6050", spec, b)
	if st := c.State(); st.Asleep || st.Clock != 1 || st.AccelRange != 4 || st.GyroRange != 500 || st.DLPF != 4 || st.Resets != 1 {
		t.Fatalf("chip %+v after the factory", st)
	}
	// One count: 1/8192 g and 1/65.5 °/s; half a count is the rounding.
	tol := map[telemetry.Quantity]float64{
		telemetry.AccelX: G / 8192 / 2, telemetry.AccelY: G / 8192 / 2, telemetry.AccelZ: G / 8192 / 2,
		telemetry.GyroX: 1 / 65.5 / 2, telemetry.GyroY: 1 / 65.5 / 2, telemetry.GyroZ: 1 / 65.5 / 2,
		telemetry.Temperature: 1.0 / 340 / 2,
	}
	for range 6 {
		now := clk.Add(7*time.Minute + 1300*time.Millisecond)
		rs, err := s.Sense(context.Background())
		if err != nil {
			t.Fatalf("Sense: %v", err)
		}
		v := sway(now)
		want := map[telemetry.Quantity]float64{
			telemetry.AccelX: v.Accel[0], telemetry.AccelY: v.Accel[1], telemetry.AccelZ: v.Accel[2],
			telemetry.GyroX: v.Gyro[0], telemetry.GyroY: v.Gyro[1], telemetry.GyroZ: v.Gyro[2],
			telemetry.Temperature: v.Temperature,
		}
		if len(rs) != 7 {
			t.Fatalf("Sense gave %d readings", len(rs))
		}
		for _, r := range rs {
			if math.Abs(r.Value-want[r.Quantity]) > tol[r.Quantity]+1e-9 || r.Quality != telemetry.Good {
				t.Errorf("at %v: %s = %v (%v), want %v", now.Format("04:05.0"), r.Quantity, r.Value, r.Quality, want[r.Quantity])
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !c.State().Asleep {
		t.Error("chip awake after Close")
	}
}

// TestSaturation: a shock beyond the range reaches the driver as a
// saturated, suspect value.
func TestSaturation(t *testing.T) {
	c := New(func(time.Time) Values {
		return Values{Accel: [3]float64{0, 0, 3 * G}, Gyro: [3]float64{-300}, Temperature: 30}
	}, nil)
	b := board.New()
	b.I2C("1").Attach(0x68, c)
	bus, _ := b.OpenI2C("1")
	d, err := drv.New(bus, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Read()
	if err != nil {
		t.Fatal(err)
	}
	if want := [7]bool{drv.AccelZ: true, drv.GyroX: true}; s.Suspect != want || s.Raw[drv.AccelZ] != 32767 || s.Raw[drv.GyroX] != -32768 {
		t.Errorf("Read = %+v", s)
	}
}
