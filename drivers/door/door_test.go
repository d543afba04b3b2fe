package door

import (
	"slices"
	"strings"
	"testing"

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
	return &gpiotest.Pin{N: "GPIO27", Num: 27, EdgesChan: make(chan gpio.Level, 64)}
}

// burst sends levels as back-to-back edges (a bouncing contact), then
// waits until the input has seen the line go quiet.
var burst = sensortest.Burst

// doorSpec is the config of the sensor under test, but for its params.
var doorSpec = sensor.Spec{Name: "car_door", Pins: map[string]string{"input": "GPIO27"}}

func openSensor(t *testing.T, params map[string]string, on pins) (sensor.Sensor, error) {
	t.Helper()
	spec := doorSpec
	spec.Params = params
	return sensortest.Open(t, "door", spec, &sensortest.Env{Pins: on})
}

// values takes a sample and returns its door_open values.
func values(t *testing.T, s sensor.Sensor) []float64 {
	t.Helper()
	return sensortest.SenseValues(t, s, telemetry.DoorOpen, "car_door", telemetry.Good)
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
			s, err := openSensor(t, tt.params, pins{"GPIO27": p})
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
				if !slices.Equal(got[i], tt.want[i]) {
					t.Errorf("sample %d = %v, want %v (all: %v)", i, got[i], tt.want[i], got)
				}
			}
		})
	}
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
	sensortest.RunErrorCases(t, "door", doorSpec, nil, []sensortest.ErrorCase{
		{Name: "bad open_level", Params: map[string]string{"open_level": "open"}, Want: []string{`sensor "car_door"`, "door", `open_level="open"`, `"high" or "low"`}},
		{Name: "bad pull", Params: map[string]string{"pull": "1"}, Want: []string{`pull="1"`, `"up", "down" or "none"`}},
		{Name: "unknown param", Params: map[string]string{"active_level": "high"}, Want: []string{"unknown param active_level", "open_level"}},
		{Name: "no pin", Want: []string{`sensor "car_door"`, "input=GPIO27"}},
	})
}

func TestCloseIsIdempotent(t *testing.T) {
	s, err := openSensor(t, nil, pins{"GPIO27": newPin()})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.String(), "car_door (door on GPIO27") {
		t.Errorf("String = %q", s.String())
	}
	sensortest.CheckCloseOnce(t, s, nil)
	sensortest.CheckSenseCanceled(t, s)
}
