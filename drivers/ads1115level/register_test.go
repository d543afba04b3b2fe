package ads1115level

import (
	"context"
	"errors"
	"strings"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// riverSpec is the config of the sensor under test, but for its params.
var riverSpec = sensor.Spec{Name: "river", Driver: "ads1115level", I2C: sensor.I2C{Bus: "1", Addr: addr}}

func openSensor(t *testing.T, params map[string]string, e sensor.Env) (sensor.Sensor, error) {
	t.Helper()
	spec := riverSpec
	spec.Params = params
	return sensortest.Open(t, "ads1115level", spec, e)
}

func TestSensor(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		hi, lo byte
		q      telemetry.Quantity
		value  float64
		mA     float64
		qual   telemetry.Quality
	}{
		{"mid scale", map[string]string{"low": "0", "high": "10"}, 0x38, 0x40, telemetry.WaterLevel, 5, 12, telemetry.Good},
		{"datum offset and scale", map[string]string{"low": "0", "high": "10", "scale": "0.5", "offset": "2.25"}, 0x38, 0x40, telemetry.WaterLevel, 4.75, 12, telemetry.Good},
		{"under range", map[string]string{"low": "0", "high": "10"}, 0x11, 0x58, telemetry.WaterLevel, -0.1875, 3.7, telemetry.Suspect},
		{"broken loop", map[string]string{"low": "0", "high": "10"}, 0x00, 0x00, telemetry.WaterLevel, -2.5, 0, telemetry.Bad},
		{"short", map[string]string{"low": "0", "high": "10"}, 0x70, 0x80, telemetry.WaterLevel, 12.5, 24, telemetry.Bad},
		{"distance in mm", map[string]string{"low": "500", "high": "8500", "quantity": "distance"}, 0x5d, 0xc0, telemetry.Distance, 8500, 20, telemetry.Good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &sensortest.Bus{Bus: playback(t, []i2ctest.IO{opProbe}, conversion(tt.hi, tt.lo))}
			e := &sensortest.Env{Bus: bus}
			s, err := openSensor(t, tt.params, e)
			if err != nil {
				t.Fatal(err)
			}
			if len(e.AskedI2C) != 1 || e.AskedI2C[0] != "1" {
				t.Errorf("opened buses %q, want [1]", e.AskedI2C)
			}
			rs := sensortest.CheckSense(t, s, "river",
				sensortest.Want{Quantity: tt.q, Value: tt.value, Quality: tt.qual},
				sensortest.Want{Quantity: telemetry.LoopCurrent, Value: tt.mA, Quality: tt.qual})
			if rs[1].Time != rs[0].Time {
				t.Errorf("times %v, %v", rs[0].Time, rs[1].Time)
			}
			sensortest.CheckCloseOnce(t, s, func() int { return bus.Closes })
		})
	}
}

func TestParams(t *testing.T) {
	c, err := parseParams(sensor.Spec{Params: map[string]string{"low": "1", "high": "0"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.opts != (Opts{Shunt: 150 * physic.Ohm, Rate: 128}) || c.q != telemetry.WaterLevel || c.scale != 1 || c.offset != 0 || c.span != (Span{1, 0}) {
		t.Errorf("defaults %+v", c)
	}
	c, err = parseParams(sensor.Spec{Params: map[string]string{
		"low": "0", "high": "1e5", "quantity": "pressure", "channel": "2", "shunt_ohms": "100", "range_v": "2.048", "rate": "8",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if c.opts != (Opts{Channel: 2, Shunt: 100 * physic.Ohm, Range: 2048 * physic.MilliVolt, Rate: 8}) || c.q != telemetry.Pressure {
		t.Errorf("parsed %+v", c)
	}
}

func TestSensorErrors(t *testing.T) {
	lh := func(kv ...string) map[string]string {
		m := map[string]string{"low": "0", "high": "10"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	sensortest.RunErrorCases(t, "ads1115level", riverSpec, sensortest.NoChip, []sensortest.ErrorCase{
		{Name: "no low", Params: map[string]string{"high": "10"}, Want: []string{`sensor "river"`, "ads1115level", "param low is required", "4 mA"}},
		{Name: "no high", Params: map[string]string{"low": "0"}, Want: []string{"param high is required", "20 mA"}},
		{Name: "high equals low", Params: lh("high", "0"), Want: []string{`high="0"`, "other than low"}},
		{Name: "low not a number", Params: lh("low", "zero"), Want: []string{`low="zero"`, "a number"}},
		{Name: "NaN", Params: lh("offset", "NaN"), Want: []string{`offset="NaN"`}},
		{Name: "quantity", Params: lh("quantity", "event_trapped"), Want: []string{`quantity="event_trapped"`, "water_level", "distance"}},
		{Name: "loop current is not a value", Params: lh("quantity", "loop_current"), Want: []string{`quantity="loop_current"`}},
		{Name: "channel", Params: lh("channel", "4"), Want: []string{`channel="4"`, "0, 1, 2 or 3"}},
		{Name: "channel fraction", Params: lh("channel", "1.5"), Want: []string{`channel="1.5"`}},
		{Name: "shunt", Params: lh("shunt_ohms", "0.5"), Want: []string{`shunt_ohms="0.5"`, "1–1000"}},
		{Name: "shunt too big for any range", Params: lh("shunt_ohms", "500"), Want: []string{`shunt_ohms="500"`, "at most 279 Ω"}},
		{Name: "range", Params: lh("range_v", "5"), Want: []string{`range_v="5"`, "4.096"}},
		{Name: "rate", Params: lh("rate", "100"), Want: []string{`rate="100"`, "860"}},
		{Name: "scale", Params: lh("scale", "0"), Want: []string{`scale="0"`, "non-zero"}},
		{Name: "unknown", Params: lh("span", "10"), Want: []string{"unknown param span", "shunt_ohms"}},
	})
}

func TestSensorOpenErrors(t *testing.T) {
	e := &sensortest.Env{Err: errors.New("no /dev/i2c-1")}
	if _, err := openSensor(t, map[string]string{"low": "0", "high": "1"}, e); err == nil || !strings.Contains(err.Error(), `sensor "river": ads1115level: open I2C bus "1": no /dev/i2c-1`) {
		t.Errorf("bus fails: %v", err)
	}
	// Nobody answers the probe: the bus handle is closed again.
	e = sensortest.NoChip()
	_, err := openSensor(t, map[string]string{"low": "0", "high": "1"}, e)
	if err == nil || !strings.Contains(err.Error(), `sensor "river": ads1115level: probe 0x48`) || e.Bus.(*sensortest.Bus).Closes != 1 {
		t.Errorf("absent chip: %v; bus closed %d times", err, e.Bus.(*sensortest.Bus).Closes)
	}
}

func TestSenseHonoursContext(t *testing.T) {
	bus := &sensortest.Bus{Bus: playback(t, []i2ctest.IO{opProbe, opStart})}
	s, err := openSensor(t, map[string]string{"low": "0", "high": "1"}, &sensortest.Env{Bus: bus})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Sense(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Sense = %v", err)
	}
	if !strings.HasPrefix(s.String(), "river (ads1115level AIN0 at 0x48") {
		t.Errorf("String = %q", s.String())
	}
}
