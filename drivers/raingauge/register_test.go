package raingauge

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/i2c"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// env is a board with GPIO pins only.
type env map[string]gpio.PinIO

func (e env) OpenSerial(sensor.Serial) (sensor.Port, error) { return nil, errors.New("no serial") }
func (e env) OpenI2C(string) (i2c.BusCloser, error)         { return nil, errors.New("no i2c") }
func (e env) Pin(name string) (gpio.PinIO, error) {
	if p, ok := e[name]; ok {
		return p, nil
	}
	return nil, errors.New("no such pin")
}

func openSensor(t *testing.T, params map[string]string, e env) (sensor.Sensor, error) {
	t.Helper()
	f, err := sensor.Lookup("raingauge")
	if err != nil {
		t.Fatal(err)
	}
	spec := sensor.Spec{Name: "rain", Driver: "raingauge", Pins: map[string]string{"input": "GPIO17"}, Params: params}
	return f(context.Background(), spec, e)
}

func TestSensor(t *testing.T) {
	p := newPin(hi)
	s, err := openSensor(t, map[string]string{"bucket_mm": "0.5", "debounce": "20ms"}, env{"GPIO17": p})
	if err != nil {
		t.Fatal(err)
	}
	if p.P != gpio.PullUp {
		t.Errorf("pull %v, want the falling-edge default, up", p.P)
	}
	sense := func() float64 {
		t.Helper()
		before := time.Now()
		rs, err := s.Sense(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].Quantity != telemetry.Rainfall || rs[0].Sensor != "rain" || rs[0].Quality != telemetry.Good || rs[0].Time.Before(before) {
			t.Fatalf("readings %+v", rs)
		}
		return rs[0].Value
	}
	if v := sense(); v != 0 {
		t.Errorf("rain before tips = %v", v)
	}
	d := s.(*gauge).dev
	burst(t, d, p, closeBounce...)
	burst(t, d, p, openBounce...)
	burst(t, d, p, shortTip...)
	if v := sense(); v != 1.0 {
		t.Errorf("rain = %v mm, want 2 tips × 0.5 mm = 1.0", v)
	}
	if v := sense(); v != 0 {
		t.Errorf("rain with no new tips = %v", v)
	}
	if !strings.HasPrefix(s.String(), "rain (raingauge on GPIO17(17)") {
		t.Errorf("String = %q", s.String())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if p.P != gpio.PullNoChange {
		t.Errorf("edge detection still on after Close (pull %v)", p.P)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Sense(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Sense with ended ctx = %v", err)
	}
}

func TestSensorParams(t *testing.T) {
	tests := []struct {
		params map[string]string
		pull   gpio.Pull
		want   Opts
	}{
		{nil, gpio.PullUp, DefaultOpts},
		{map[string]string{"edge": "rising"}, gpio.PullDown, Opts{Bucket: DefaultBucket, Edge: gpio.RisingEdge, Pull: gpio.PullDown, Debounce: DefaultDebounce}},
		{map[string]string{"edge": "rising", "pull": "none", "bucket_mm": "0.1", "debounce": "5ms"}, gpio.Float,
			Opts{Bucket: 100000, Edge: gpio.RisingEdge, Pull: gpio.Float, Debounce: 5 * time.Millisecond}},
	}
	for _, tt := range tests {
		o, err := parseParams(sensor.Spec{Name: "rain", Params: tt.params})
		if err != nil {
			t.Errorf("%v: %v", tt.params, err)
			continue
		}
		if o.Bucket != tt.want.Bucket || o.Edge != tt.want.Edge || o.Pull != tt.want.Pull || o.Debounce != tt.want.Debounce {
			t.Errorf("%v: opts %+v, want %+v", tt.params, o, tt.want)
		}
	}
}

func TestSensorErrors(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		env    env
		want   []string
	}{
		{"bucket not a number", map[string]string{"bucket_mm": "a lot"}, nil, []string{`sensor "rain"`, "raingauge", `bucket_mm="a lot"`, "in mm"}},
		{"bucket zero", map[string]string{"bucket_mm": "0"}, nil, []string{`bucket_mm="0"`, "above 0"}},
		{"bad edge", map[string]string{"edge": "both"}, nil, []string{`edge="both"`, `"falling" or "rising"`}},
		{"bad pull", map[string]string{"pull": "strong"}, nil, []string{`pull="strong"`, `"up", "down" or "none"`}},
		{"bad debounce", map[string]string{"debounce": "50"}, nil, []string{`debounce="50"`, "duration"}},
		{"unknown param", map[string]string{"bucket": "0.2"}, nil, []string{"unknown param bucket", "bucket_mm"}},
		{"no such pin", nil, env{}, []string{`sensor "rain"`, "input=GPIO17", "no such pin"}},
		{"pin without edges", nil, env{"GPIO17": &gpiotest.Pin{N: "GPIO17"}}, []string{`sensor "rain"`, "raingauge:", "GPIO17"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := openSensor(t, tt.params, tt.env)
			if err == nil {
				s.Close()
				t.Fatal("factory succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}
