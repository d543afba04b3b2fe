package pir

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

var hi, lo = gpio.High, gpio.Low

type env map[string]gpio.PinIO

func (e env) OpenSerial(sensor.Serial) (sensor.Port, error) { return nil, errors.New("no serial") }
func (e env) OpenI2C(string) (i2c.BusCloser, error)         { return nil, errors.New("no i2c") }
func (e env) Pin(name string) (gpio.PinIO, error) {
	if p, ok := e[name]; ok {
		return p, nil
	}
	return nil, errors.New("no such pin")
}

func newPin() *gpiotest.Pin {
	return &gpiotest.Pin{N: "GPIO22", Num: 22, EdgesChan: make(chan gpio.Level, 64)}
}

// burst sends levels as back-to-back edges (a bouncing contact), then
// waits until the input has seen the line go quiet.
func burst(t *testing.T, in interface{ Bursts() uint64 }, p *gpiotest.Pin, ls ...gpio.Level) {
	t.Helper()
	n := in.Bursts()
	for _, l := range ls {
		p.EdgesChan <- l
	}
	deadline := time.Now().Add(10 * time.Second)
	for in.Bursts() == n {
		if time.Now().After(deadline) {
			t.Fatalf("burst %v did not settle", ls)
		}
		time.Sleep(time.Millisecond)
	}
}

func openSensor(t *testing.T, params map[string]string, e env) (sensor.Sensor, error) {
	t.Helper()
	f, err := sensor.Lookup("pir")
	if err != nil {
		t.Fatal(err)
	}
	return f(context.Background(), sensor.Spec{Name: "car_pir", Pins: map[string]string{"input": "GPIO22"}, Params: params}, e)
}

func sense(t *testing.T, s sensor.Sensor, q telemetry.Quality) []float64 {
	t.Helper()
	rs, err := s.Sense(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var v []float64
	for _, r := range rs {
		if r.Quantity != telemetry.Presence || r.Sensor != "car_pir" || r.Quality != q {
			t.Errorf("reading %+v, want presence of car_pir, quality %v", r, q)
		}
		v = append(v, r.Value)
	}
	return v
}

func TestSensor(t *testing.T) {
	p := newPin()
	s, err := openSensor(t, map[string]string{"debounce": "20ms", "warmup": "0s"}, env{"GPIO22": p})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if p.P != gpio.PullDown {
		t.Errorf("pull %v, want down", p.P)
	}
	if v := sense(t, s, telemetry.Good); len(v) != 1 || v[0] != 0 {
		t.Errorf("idle = %v, want [0]", v)
	}
	// A 2 s AM312 pulse, squeezed: it begins and ends between samples.
	in := s.(*motion).dev.in
	burst(t, in, p, hi)
	burst(t, in, p, lo)
	if v := sense(t, s, telemetry.Good); len(v) != 2 || v[0] != 1 || v[1] != 0 {
		t.Errorf("pulse between samples = %v, want [1 0]", v)
	}
	burst(t, in, p, hi)
	if v := sense(t, s, telemetry.Good); len(v) != 1 || v[0] != 1 {
		t.Errorf("motion = %v, want [1]", v)
	}
	if v := sense(t, s, telemetry.Good); len(v) != 1 || v[0] != 1 {
		t.Errorf("motion continues = %v, want [1]", v)
	}
}

func TestWarmup(t *testing.T) {
	p := newPin()
	s, err := openSensor(t, map[string]string{"active_level": "low", "pull": "up"}, env{"GPIO22": p})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v := sense(t, s, telemetry.Warming); len(v) != 1 || v[0] != 0 {
		t.Errorf("idle while warming = %v, want [0]", v)
	}
	d := s.(*motion).dev
	if d.Warm() || d.Motion() {
		t.Errorf("Warm = %v, Motion = %v right after opening", d.Warm(), d.Motion())
	}
	burst(t, d.in, p, lo)
	if !d.Motion() {
		t.Error("active-low input low, but no motion")
	}
	clock := time.Now().Add(2 * DefaultWarmup)
	d.now = func() time.Time { return clock }
	if !d.Warm() {
		t.Error("not warm after the warm-up time")
	}
}

func TestDev(t *testing.T) {
	if _, err := New(newPin(), &Opts{Warmup: -time.Second}); err == nil {
		t.Error("negative warmup accepted")
	}
	if _, err := New(&gpiotest.Pin{N: "GPIO4"}, nil); err == nil || !strings.HasPrefix(err.Error(), "pir: ") {
		t.Errorf("New on a pin without edges = %v", err)
	}
	d, err := New(newPin(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := d.String(); s != "pir on GPIO22(22) (motion when high)" {
		t.Errorf("String = %q", s)
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
}

func TestSensorErrors(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		env    env
		want   []string
	}{
		{"bad active_level", map[string]string{"active_level": "on"}, nil, []string{`sensor "car_pir"`, "pir", `active_level="on"`, `"high" or "low"`}},
		{"bad warmup", map[string]string{"warmup": "-1s"}, nil, []string{`warmup="-1s"`, "0s to 10m0s"}},
		{"unknown param", map[string]string{"hold": "2s"}, nil, []string{"unknown param hold", "warmup"}},
		{"no pin", nil, env{}, []string{`sensor "car_pir"`, "input=GPIO22"}},
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

func TestClose(t *testing.T) {
	s, err := openSensor(t, nil, env{"GPIO22": newPin()})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.String(), "car_pir (pir on GPIO22") {
		t.Errorf("String = %q", s.String())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Sense(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Sense with ended ctx = %v", err)
	}
}
