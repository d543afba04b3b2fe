package adxl345

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// closer is a bus handle that counts its closes.
type closer struct {
	i2c.Bus
	closes int
}

func (c *closer) Close() error { c.closes++; return nil }

// env hands out one bus handle.
type env struct {
	bus *closer
	err error
}

func (e *env) OpenI2C(string) (i2c.BusCloser, error) {
	if e.err != nil {
		return nil, e.err
	}
	return e.bus, nil
}

func (e *env) OpenSerial(sensor.Serial) (sensor.Port, error) { return nil, errors.New("no serial") }
func (e *env) Pin(string) (gpio.PinIO, error)                { return nil, errors.New("no pins") }

func openSensor(t *testing.T, spec sensor.Spec, e sensor.Env) (sensor.Sensor, error) {
	t.Helper()
	f, err := sensor.Lookup("adxl345")
	if err != nil {
		t.Fatal(err)
	}
	return f(context.Background(), spec, e)
}

func TestSensor(t *testing.T) {
	bus := &closer{Bus: playback(t, newOps(0x1d, 0x0d, 0x0a), []i2ctest.IO{
		op(0x1d, []byte{0x32}, atRest...),
		op(0x1d, []byte{0x32}, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00), // X = 2048: beyond ±8 g
		op(0x1d, []byte{0x2d, 0x00}),
	})}
	spec := sensor.Spec{Name: "car", I2C: sensor.I2C{Bus: "1", Addr: 0x1d}, Params: map[string]string{"range": "8g", "rate": "800"}}
	s, err := openSensor(t, spec, &env{bus: bus})
	if err != nil {
		t.Fatalf("factory: %v", err)
	}
	before := time.Now()
	rs, err := s.Sense(context.Background())
	if err != nil {
		t.Fatalf("Sense: %v", err)
	}
	want := []struct {
		q telemetry.Quantity
		v float64
	}{{telemetry.AccelX, 0.191229675}, {telemetry.AccelY, -0.38245935}, {telemetry.AccelZ, 9.79095936}}
	for i, r := range rs {
		if r.Sensor != "car" || r.Quantity != want[i].q || !near(r.Value, want[i].v) || r.Quality != telemetry.Good || r.Time.Before(before) {
			t.Errorf("reading %d = %+v, want %s %v", i, r, want[i].q, want[i].v)
		}
	}
	rs, err = s.Sense(context.Background())
	if err != nil {
		t.Fatalf("Sense: %v", err)
	}
	if rs[0].Quality != telemetry.Suspect || !near(rs[0].Value, 2048*Scale) || rs[1].Quality != telemetry.Good {
		t.Errorf("out-of-range sample read as %+v", rs)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil || bus.closes != 1 {
		t.Errorf("second Close = %v, bus closed %d times", err, bus.closes)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Sense(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Sense with an ended ctx = %v", err)
	}
}

func TestSensorErrors(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		env    *env
		want   []string
		closed bool
	}{
		{"bad range", map[string]string{"range": "3g"}, &env{}, []string{`"car"`, "adxl345", "range", `"3g"`, `"2g" "4g" "8g" "16g"`}, false},
		{"bad rate", map[string]string{"rate": "100Hz"}, &env{}, []string{`"car"`, "rate", `"100Hz"`, `"6.25"`, `"3200"`}, false},
		{"unknown param", map[string]string{"g": "2"}, &env{}, []string{`"car"`, `"g"`, "range, rate"}, false},
		{"bus fails", nil, &env{err: errors.New("no bus 7")}, []string{`"car"`, "no bus 7"}, false},
		{"chip absent", nil, &env{}, []string{`"car"`, "adxl345", "DEVID"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &closer{Bus: &i2ctest.Playback{DontPanic: true}}
			if tt.env.err == nil {
				tt.env.bus = bus
			}
			s, err := openSensor(t, sensor.Spec{Name: "car", Params: tt.params}, tt.env)
			if err == nil {
				s.Close()
				t.Fatal("factory succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
			if tt.closed != (bus.closes == 1) {
				t.Errorf("bus closed %d times", bus.closes)
			}
		})
	}
}
