package ebike

import (
	"errors"
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

func newPin(name string) *gpiotest.Pin {
	return &gpiotest.Pin{N: name, EdgesChan: make(chan gpio.Level, 64)}
}

// burst sends levels as back-to-back edges (a bouncing contact), then
// waits until the input has seen the line go quiet.
var burst = sensortest.Burst

// relayPin is an output that records the levels driven, and can fail.
type relayPin struct {
	gpiotest.Pin
	outs []gpio.Level
	fail error
}

func (r *relayPin) Out(l gpio.Level) error {
	if r.fail != nil {
		return r.fail
	}
	r.outs = append(r.outs, l)
	return r.Pin.Out(l)
}

type holder interface{ HoldDoors(bool) error }

func openSensor(t *testing.T, params, wiring map[string]string, on pins) (sensor.Sensor, error) {
	t.Helper()
	return sensortest.Open(t, "ebike", sensor.Spec{Name: "bike", Pins: wiring, Params: params}, &sensortest.Env{Pins: on})
}

// sense takes a sample and returns its ebike values.
func sense(t *testing.T, s sensor.Sensor) []float64 {
	t.Helper()
	return sensortest.SenseValues(t, s, telemetry.EBike, "bike", telemetry.Good)
}

func TestSensorWithRelay(t *testing.T) {
	in := newPin("GPIO5")
	relay := &relayPin{Pin: gpiotest.Pin{N: "GPIO6", L: hi}}
	s, err := openSensor(t, map[string]string{"debounce": "20ms", "relay_level": "low"},
		map[string]string{"input": "GPIO5", "relay": "GPIO6"}, pins{"GPIO5": in, "GPIO6": relay})
	if err != nil {
		t.Fatal(err)
	}
	if in.P != gpio.PullUp {
		t.Errorf("input pull %v, want up", in.P)
	}
	// Released first: an active-low relay is released by a high output.
	if len(relay.outs) != 1 || relay.outs[0] != hi {
		t.Errorf("relay outputs %v at open, want [High]", relay.outs)
	}
	if v := sense(t, s); len(v) != 1 || v[0] != 0 {
		t.Errorf("idle = %v, want [0]", v)
	}
	burst(t, s.(*detector).dev.in, in, lo, hi, lo) // the detector's relay contact closes, bouncing
	if v := sense(t, s); len(v) != 1 || v[0] != 1 {
		t.Errorf("detected = %v, want [1]", v)
	}
	h, ok := s.(holder)
	if !ok {
		t.Fatal("sensor has no HoldDoors")
	}
	if err := h.HoldDoors(true); err != nil {
		t.Fatal(err)
	}
	if got := relay.outs[len(relay.outs)-1]; got != lo {
		t.Errorf("relay driven %v to hold, want Low", got)
	}
	if !strings.Contains(s.String(), "door-hold relay on GPIO6") {
		t.Errorf("String = %q", s.String())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := relay.outs[len(relay.outs)-1]; got != hi {
		t.Errorf("relay left at %v after Close, want released (High)", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSensorWithoutRelay(t *testing.T) {
	in := newPin("GPIO5")
	s, err := openSensor(t, map[string]string{"active_level": "high", "pull": "down"}, map[string]string{"input": "GPIO5"}, pins{"GPIO5": in})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if in.P != gpio.PullDown {
		t.Errorf("input pull %v, want down", in.P)
	}
	if err := s.(holder).HoldDoors(true); !errors.Is(err, ErrNoRelay) || !strings.Contains(err.Error(), `sensor "bike"`) {
		t.Errorf("HoldDoors without relay = %v", err)
	}
	burst(t, s.(*detector).dev.in, in, hi)
	if v := sense(t, s); len(v) != 1 || v[0] != 1 {
		t.Errorf("detected = %v, want [1]", v)
	}
}

func TestDev(t *testing.T) {
	relay := &relayPin{Pin: gpiotest.Pin{N: "GPIO6"}}
	in := newPin("GPIO5")
	d, err := New(in, &Opts{Pull: gpio.PullUp, Relay: relay, Debounce: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if d.Detected() || d.HoldingDoors() {
		t.Errorf("Detected %v, HoldingDoors %v at start", d.Detected(), d.HoldingDoors())
	}
	burst(t, d.in, in, lo)
	if !d.Detected() {
		t.Error("not detected with the input low")
	}
	if err := d.HoldDoors(true); err != nil || !d.HoldingDoors() || relay.L != hi {
		t.Errorf("HoldDoors(true) = %v; holding %v, relay %v", err, d.HoldingDoors(), relay.L)
	}
	want := "ebike on GPIO5(0) (detected when low), door-hold relay on GPIO6(0) (energised when high)"
	if d.String() != want {
		t.Errorf("String = %q", d.String())
	}
	relay.fail = errors.New("gpio gone")
	if err := d.Halt(); err == nil || !strings.Contains(err.Error(), "gpio gone") {
		t.Errorf("Halt with a failing relay = %v", err)
	}
}

func TestErrors(t *testing.T) {
	if _, err := New(newPin("GPIO5"), &Opts{Relay: &relayPin{fail: errors.New("busy")}}); err == nil || !strings.HasPrefix(err.Error(), "ebike: release relay") {
		t.Errorf("New with a failing relay = %v", err)
	}
	input5 := func() *sensortest.Env { return &sensortest.Env{Pins: pins{"GPIO5": newPin("GPIO5")}} }
	sensortest.RunErrorCases(t, "ebike", sensor.Spec{Name: "bike", Pins: map[string]string{"input": "GPIO5"}}, input5, []sensortest.ErrorCase{
		{Name: "bad relay_level", Params: map[string]string{"relay_level": "on"}, Want: []string{`sensor "bike"`, "ebike", `relay_level="on"`, `"high" or "low"`}},
		{Name: "bad active_level", Params: map[string]string{"active_level": "1"}, Want: []string{`active_level="1"`}},
		{Name: "unknown param", Params: map[string]string{"relay": "GPIO6"}, Want: []string{"unknown param relay", "relay_level"}},
		{Name: "no relay pin on the board", Pins: map[string]string{"input": "GPIO5", "relay": "GPIO99"}, Want: []string{`sensor "bike"`, "relay=GPIO99"}},
	})
}
