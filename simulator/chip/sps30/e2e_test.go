package sps30

import (
	"context"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	drv "github.com/xiuhua/xiuhua/drivers/sps30"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/telemetry"
)

// f32 is what a value becomes on the wire.
func f32(x float64) float64 { return float64(float32(x)) }

func TestRegisteredSensor(t *testing.T) {
	c, clk := newChip()
	b := board.New()
	b.I2C("1").Attach(0x69, c)
	spec := sensor.Spec{Name: "dust", Driver: "sps30", I2C: sensor.I2C{Bus: "1", Addr: 0x69}, Params: map[string]string{"clean_interval": "48h"}}
	s := sensortest.MustOpen(t, "sps30", spec, b)
	if st := c.State(); !st.Measuring || st.Format != 0x03 || st.CleanInterval != 172800 || st.Resets != 1 {
		t.Fatalf("chip %+v after the factory", st)
	}
	for range 3 {
		now := clk.Add(7 * time.Minute)
		rs, err := s.Sense(context.Background())
		if err != nil {
			t.Fatalf("Sense: %v", err)
		}
		v := byMinute(now)
		want := map[telemetry.Quantity]float64{
			telemetry.PM1: f32(v.PM1), telemetry.PM2_5: f32(v.PM2_5), telemetry.PM4: f32(v.PM4), telemetry.PM10: f32(v.PM10),
		}
		if len(rs) != 4 {
			t.Fatalf("Sense gave %d readings", len(rs))
		}
		for _, r := range rs {
			if r.Value != want[r.Quantity] || r.Quality != telemetry.Good || r.Sensor != "dust" {
				t.Errorf("at %v: %+v, want %v", now.Format("15:04"), r, want[r.Quantity])
			}
		}
	}
	if err := s.(drv.FanCleaner).FanClean(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st := c.State(); st.Measuring || st.Cleanings != 1 || st.Refused != 0 {
		t.Errorf("chip %+v after Close", st)
	}
}

func TestDriver(t *testing.T) {
	c, clk := newChip()
	b := board.New()
	b.I2C("1").Attach(0x69, c)
	bus, err := b.OpenI2C("1")
	if err != nil {
		t.Fatal(err)
	}
	d, err := drv.New(bus, &drv.Opts{CleanInterval: drv.NoAutoClean, ReadyTimeout: 300 * time.Millisecond, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if d.Serial() != DefaultSerial {
		t.Errorf("Serial = %q", d.Serial())
	}
	if iv, err := d.AutoCleanInterval(); err != nil || iv != 0 {
		t.Errorf("AutoCleanInterval = %v, %v", iv, err)
	}
	now := clk.Add(time.Second)
	m, err := d.Read(context.Background())
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	v := byMinute(now)
	if m.NC10 != f32(v.NC10) || m.TypicalSize != f32(v.TypicalSize) || m.PM10 != f32(v.PM10) {
		t.Errorf("Read = %+v, want %+v", m, v)
	}
	// No new measurement: Read gives up after its timeout.
	if _, err := d.Read(context.Background()); err == nil {
		t.Error("second Read without a new measurement succeeded")
	}
	if st := d.Stats(); st.Reads != 1 || st.NotReady != 1 || st.CRCErrors != 0 {
		t.Errorf("Stats = %+v", st)
	}
	// Unplugged: the probe fails like a NACK.
	b.I2C("1").Attach(0x69, nil)
	if _, err := drv.New(bus, nil); err == nil {
		t.Error("New succeeded with no chip")
	}
}
