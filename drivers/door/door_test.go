package door

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
	return &gpiotest.Pin{N: "GPIO27", Num: 27, EdgesChan: make(chan gpio.Level, 64)}
}

// burst sends levels as back-to-back edges (a bouncing contact), then
// waits until the line has been quiet long enough to settle.
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
	f, err := sensor.Lookup("door")
	if err != nil {
		t.Fatal(err)
	}
	return f(context.Background(), sensor.Spec{Name: "car_door", Pins: map[string]string{"input": "GPIO27"}, Params: params}, e)
}

func values(t *testing.T, s sensor.Sensor) []float64 {
	t.Helper()
	rs, err := s.Sense(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var v []float64
	for i, r := range rs {
		if r.Quantity != telemetry.DoorOpen || r.Sensor != "car_door" || r.Quality != telemetry.Good {
			t.Errorf("reading %+v", r)
		}
		if i > 0 && r.Time.Before(rs[i-1].Time) {
			t.Errorf("readings out of time order: %+v", rs)
		}
		v = append(v, r.Value)
	}
	return v
}

func TestSensor(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		steps  [][]gpio.Level // bursts between samples; nil means sample
		want   [][]float64    // door_open values per sample
	}{
		{
			"reed to ground, pull-up: high is open", map[string]string{"debounce": "20ms"},
			[][]gpio.Level{nil, {lo, hi, lo}, nil, {hi, lo, hi}, {lo}, nil, {hi, lo}, nil},
			// Opened and closed within one interval: both changes. A pulse
			// shorter than the debounce time: no change.
			[][]float64{{1}, {0}, {1, 0}, {0}},
		},
		{
			"open_level=low", map[string]string{"open_level": "low", "pull": "up", "debounce": "20ms"},
			[][]gpio.Level{nil, {lo}, nil},
			[][]float64{{0}, {1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPin()
			s, err := openSensor(t, tt.params, env{"GPIO27": p})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if p.P != gpio.PullUp {
				t.Errorf("pull %v, want up", p.P)
			}
			var got [][]float64
			for _, st := range tt.steps {
				if st == nil {
					got = append(got, values(t, s))
					continue
				}
				burst(t, s.(*contact).dev.in, p, st...)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("samples %v, want %v", got, tt.want)
			}
			for i := range got {
				if !equal(got[i], tt.want[i]) {
					t.Errorf("sample %d = %v, want %v (all: %v)", i, got[i], tt.want[i], got)
				}
			}
		})
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDev(t *testing.T) {
	p := newPin()
	d, err := New(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Open() {
		t.Error("pulled-up reed not open")
	}
	burst(t, d.in, p, lo)
	if d.Open() {
		t.Error("door open after the reed closed")
	}
	if s := d.String(); s != "door on GPIO27(27) (open when high)" {
		t.Errorf("String = %q", s)
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if _, err := New(&gpiotest.Pin{N: "GPIO4"}, nil); err == nil || !strings.HasPrefix(err.Error(), "door: ") {
		t.Errorf("New on a pin without edges = %v", err)
	}
}

func TestSensorErrors(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		env    env
		want   []string
	}{
		{"bad open_level", map[string]string{"open_level": "open"}, nil, []string{`sensor "car_door"`, "door", `open_level="open"`, `"high" or "low"`}},
		{"bad pull", map[string]string{"pull": "1"}, nil, []string{`pull="1"`, `"up", "down" or "none"`}},
		{"unknown param", map[string]string{"active_level": "high"}, nil, []string{"unknown param active_level", "open_level"}},
		{"no pin", nil, env{}, []string{`sensor "car_door"`, "input=GPIO27"}},
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

func TestCloseIsIdempotent(t *testing.T) {
	s, err := openSensor(t, nil, env{"GPIO27": newPin()})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.String(), "car_door (door on GPIO27") {
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
