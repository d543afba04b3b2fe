package ads1115

import (
	"context"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	_ "github.com/xiuhua/xiuhua/drivers/ads1115level" // registers "ads1115level"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/telemetry"
)

func openLevel(t *testing.T, b *board.Board, addr uint16, params map[string]string) (sensor.Sensor, error) {
	t.Helper()
	spec := sensor.Spec{Name: "river", Driver: "ads1115level", I2C: sensor.I2C{Bus: "1", Addr: addr}, Params: params}
	return sensortest.Open(t, "ads1115level", spec, b)
}

func sense(t *testing.T, s sensor.Sensor) map[telemetry.Quantity]telemetry.Reading {
	t.Helper()
	rs, err := s.Sense(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[telemetry.Quantity]telemetry.Reading{}
	for _, r := range rs {
		m[r.Quantity] = r
	}
	return m
}

// TestDriver reads a tide gauge's 4–20 mA transmitter through the real
// driver, on a chip whose oscillator is as slow as the datasheet allows:
// the driver must wait for the ready bit, never read a stale result.
func TestDriver(t *testing.T) {
	b := board.New()
	c := New(&Opts{Slow: 0.11})
	b.I2C("1").Attach(0x49, c)
	tide := 2.5
	loop := NewLoop(150*physic.Ohm, 0, 10, func(time.Time) float64 { return tide })
	c.SetInput(1, loop)

	s, err := openLevel(t, b, 0x49, map[string]string{"low": "0", "high": "10", "channel": "1", "offset": "1.5"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, level := range []float64{2.5, 5, 7.25, 10} {
		tide = level
		r := sense(t, s)
		// 16 mA over 4–20 mA is 19200 codes at 150 Ω, ±4.096 V: these
		// levels fall exactly on codes.
		if got := r[telemetry.WaterLevel]; got.Value != level+1.5 || got.Quality != telemetry.Good {
			t.Errorf("tide %v m: water_level %+v, want %v", level, got, level+1.5)
		}
		if got, want := r[telemetry.LoopCurrent].Value, 4+16*level/10; got != want {
			t.Errorf("tide %v m: loop_current %v mA, want %v", level, got, want)
		}
	}
	if st := c.State(); st.StaleReads != 0 || st.Conversions != 4 || st.Config != 0xd383 {
		t.Errorf("chip %+v: want 4 conversions, no stale reads, config 0xd383", st)
	}

	loop.Break()
	r := sense(t, s)
	if lc := r[telemetry.LoopCurrent]; lc.Value != 0 || lc.Quality != telemetry.Bad || r[telemetry.WaterLevel].Quality != telemetry.Bad {
		t.Errorf("broken loop: %+v", r)
	}
	loop.Force(3700 * physic.MicroAmpere)
	if r := sense(t, s); r[telemetry.WaterLevel].Quality != telemetry.Suspect || r[telemetry.LoopCurrent].Value != 3.7 {
		t.Errorf("under range: %+v", r)
	}
	loop.Force(ShortCurrent)
	if r := sense(t, s); r[telemetry.LoopCurrent].Quality != telemetry.Bad || r[telemetry.LoopCurrent].Value != 25 {
		t.Errorf("short: %+v", r)
	}
	loop.Repair()
	if r := sense(t, s); r[telemetry.WaterLevel].Quality != telemetry.Good {
		t.Errorf("repaired: %+v", r)
	}
}

func TestDriverAbsentChip(t *testing.T) {
	b := board.New()
	b.I2C("1") // the bus exists, nothing is on it
	_, err := openLevel(t, b, 0x48, map[string]string{"low": "0", "high": "10"})
	if err == nil || !strings.Contains(err.Error(), `sensor "river": ads1115level: probe 0x48 on emulated-i2c-1`) {
		t.Errorf("factory = %v", err)
	}
}
