package pir

import (
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

var hi, lo = gpio.High, gpio.Low

// pins are a board's GPIO pins by name.
type pins = map[string]gpio.PinIO

func newPin() *gpiotest.Pin {
	return &gpiotest.Pin{N: "GPIO22", Num: 22, EdgesChan: make(chan gpio.Level, 64)}
}

// burst sends levels as back-to-back edges (a bouncing contact), then
// waits until the input has seen the line go quiet.
var burst = sensortest.Burst

// pirSpec is the config of the sensor under test, but for its params.
var pirSpec = sensor.Spec{Name: "car_pir", Pins: map[string]string{"input": "GPIO22"}}

func openSensor(t *testing.T, params map[string]string, on pins) (sensor.Sensor, error) {
	t.Helper()
	spec := pirSpec
	spec.Params = params
	return sensortest.Open(t, "pir", spec, &sensortest.Env{Pins: on})
}

// sense takes a sample and returns its presence values, checking their
// quality.
func sense(t *testing.T, s sensor.Sensor, q telemetry.Quality) []float64 {
	t.Helper()
	return sensortest.SenseValues(t, s, telemetry.Presence, "car_pir", q)
}

func TestSensor(t *testing.T) {
	p := newPin()
	s, err := openSensor(t, map[string]string{"debounce": "20ms", "warmup": "0s"}, pins{"GPIO22": p})
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
	s, err := openSensor(t, map[string]string{"active_level": "low", "pull": "up"}, pins{"GPIO22": p})
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
	sensortest.RunErrorCases(t, "pir", pirSpec, nil, []sensortest.ErrorCase{
		{Name: "bad active_level", Params: map[string]string{"active_level": "on"}, Want: []string{`sensor "car_pir"`, "pir", `active_level="on"`, `"high" or "low"`}},
		{Name: "bad warmup", Params: map[string]string{"warmup": "-1s"}, Want: []string{`warmup="-1s"`, "0s to 10m0s"}},
		{Name: "unknown param", Params: map[string]string{"hold": "2s"}, Want: []string{"unknown param hold", "warmup"}},
		{Name: "no pin", Want: []string{`sensor "car_pir"`, "input=GPIO22"}},
	})
}

func TestClose(t *testing.T) {
	s, err := openSensor(t, nil, pins{"GPIO22": newPin()})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.String(), "car_pir (pir on GPIO22") {
		t.Errorf("String = %q", s.String())
	}
	sensortest.CheckCloseOnce(t, s, nil)
	sensortest.CheckSenseCanceled(t, s)
}
