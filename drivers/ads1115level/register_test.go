package ads1115level

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// countingBus is a Playback that counts Close calls.
type countingBus struct {
	*i2ctest.Playback
	closes int
}

func (b *countingBus) Close() error { b.closes++; return b.Playback.Close() }

// env hands out one I2C bus and remembers which was asked for.
type env struct {
	bus   *countingBus
	err   error
	asked []string
}

func (e *env) OpenSerial(sensor.Serial) (sensor.Port, error) { return nil, errors.New("no serial") }
func (e *env) Pin(string) (gpio.PinIO, error)                { return nil, errors.New("no pins") }
func (e *env) OpenI2C(name string) (i2c.BusCloser, error) {
	e.asked = append(e.asked, name)
	if e.err != nil {
		return nil, e.err
	}
	return e.bus, nil
}

func openSensor(t *testing.T, params map[string]string, e sensor.Env) (sensor.Sensor, error) {
	t.Helper()
	f, err := sensor.Lookup("ads1115level")
	if err != nil {
		t.Fatal(err)
	}
	spec := sensor.Spec{Name: "river", Driver: "ads1115level", I2C: sensor.I2C{Bus: "1", Addr: addr}, Params: params}
	return f(context.Background(), spec, e)
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
			bus := &countingBus{Playback: playback(t, []i2ctest.IO{opProbe}, conversion(tt.hi, tt.lo))}
			e := &env{bus: bus}
			s, err := openSensor(t, tt.params, e)
			if err != nil {
				t.Fatal(err)
			}
			if len(e.asked) != 1 || e.asked[0] != "1" {
				t.Errorf("opened buses %q, want [1]", e.asked)
			}
			before := time.Now()
			rs, err := s.Sense(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 2 {
				t.Fatalf("readings %+v", rs)
			}
			want := []telemetry.Reading{
				{Sensor: "river", Quantity: tt.q, Value: tt.value, Quality: tt.qual, Time: rs[0].Time},
				{Sensor: "river", Quantity: telemetry.LoopCurrent, Value: tt.mA, Quality: tt.qual, Time: rs[0].Time},
			}
			for i := range rs {
				if rs[i] != want[i] {
					t.Errorf("reading %d = %+v, want %+v", i, rs[i], want[i])
				}
			}
			if rs[0].Time.Before(before) || rs[1].Time != rs[0].Time {
				t.Errorf("times %v, %v", rs[0].Time, rs[1].Time)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil || bus.closes != 1 {
				t.Errorf("second Close = %v; bus closed %d times", err, bus.closes)
			}
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
	tests := []struct {
		name   string
		params map[string]string
		want   []string
	}{
		{"no low", map[string]string{"high": "10"}, []string{`sensor "river"`, "ads1115level", "param low is required", "4 mA"}},
		{"no high", map[string]string{"low": "0"}, []string{"param high is required", "20 mA"}},
		{"high equals low", lh("high", "0"), []string{`high="0"`, "other than low"}},
		{"low not a number", lh("low", "zero"), []string{`low="zero"`, "a number"}},
		{"NaN", lh("offset", "NaN"), []string{`offset="NaN"`}},
		{"quantity", lh("quantity", "event_trapped"), []string{`quantity="event_trapped"`, "water_level", "distance"}},
		{"loop current is not a value", lh("quantity", "loop_current"), []string{`quantity="loop_current"`}},
		{"channel", lh("channel", "4"), []string{`channel="4"`, "0, 1, 2 or 3"}},
		{"channel fraction", lh("channel", "1.5"), []string{`channel="1.5"`}},
		{"shunt", lh("shunt_ohms", "0.5"), []string{`shunt_ohms="0.5"`, "1–1000"}},
		{"shunt too big for any range", lh("shunt_ohms", "500"), []string{`shunt_ohms="500"`, "at most 279 Ω"}},
		{"range", lh("range_v", "5"), []string{`range_v="5"`, "4.096"}},
		{"rate", lh("rate", "100"), []string{`rate="100"`, "860"}},
		{"scale", lh("scale", "0"), []string{`scale="0"`, "non-zero"}},
		{"unknown", lh("span", "10"), []string{"unknown param span", "shunt_ohms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &env{bus: &countingBus{Playback: playback(t)}}
			s, err := openSensor(t, tt.params, e)
			if err == nil {
				s.Close()
				t.Fatal("factory succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
			if len(e.asked) != 0 {
				t.Errorf("opened the bus for a bad config")
			}
		})
	}
}

func TestSensorOpenErrors(t *testing.T) {
	e := &env{err: errors.New("no /dev/i2c-1")}
	if _, err := openSensor(t, map[string]string{"low": "0", "high": "1"}, e); err == nil || !strings.Contains(err.Error(), `sensor "river": ads1115level: open I2C bus "1": no /dev/i2c-1`) {
		t.Errorf("bus fails: %v", err)
	}
	// Nobody answers the probe: the bus handle is closed again.
	bus := &countingBus{Playback: &i2ctest.Playback{DontPanic: true}}
	_, err := openSensor(t, map[string]string{"low": "0", "high": "1"}, &env{bus: bus})
	if err == nil || !strings.Contains(err.Error(), `sensor "river": ads1115level: probe 0x48`) || bus.closes != 1 {
		t.Errorf("absent chip: %v; bus closed %d times", err, bus.closes)
	}
}

func TestSenseHonoursContext(t *testing.T) {
	bus := &countingBus{Playback: playback(t, []i2ctest.IO{opProbe, opStart})}
	s, err := openSensor(t, map[string]string{"low": "0", "high": "1"}, &env{bus: bus})
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
