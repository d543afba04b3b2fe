package raingauge

import (
	"context"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// rainSpec is the config of the sensor under test, but for its params.
var rainSpec = sensor.Spec{Name: "rain", Driver: "raingauge", Pins: map[string]string{"input": "GPIO17"}}

func openSensor(t *testing.T, params map[string]string, on map[string]gpio.PinIO) (sensor.Sensor, error) {
	t.Helper()
	spec := rainSpec
	spec.Params = params
	return sensortest.Open(t, "raingauge", spec, &sensortest.Env{Pins: on})
}

func TestSensor(t *testing.T) {
	p := newPin(hi)
	s, err := openSensor(t, map[string]string{"bucket_mm": "0.5", "debounce": "20ms"}, map[string]gpio.PinIO{"GPIO17": p})
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
	sensortest.CheckCloseOnce(t, s, nil)
	if p.P != gpio.PullNoChange {
		t.Errorf("edge detection still on after Close (pull %v)", p.P)
	}
	sensortest.CheckSenseCanceled(t, s)
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
	sensortest.RunErrorCases(t, "raingauge", rainSpec, nil, []sensortest.ErrorCase{
		{Name: "bucket not a number", Params: map[string]string{"bucket_mm": "a lot"}, Want: []string{`sensor "rain"`, "raingauge", `bucket_mm="a lot"`, "in mm"}},
		{Name: "bucket zero", Params: map[string]string{"bucket_mm": "0"}, Want: []string{`bucket_mm="0"`, "above 0"}},
		{Name: "bad edge", Params: map[string]string{"edge": "both"}, Want: []string{`edge="both"`, `"falling" or "rising"`}},
		{Name: "bad pull", Params: map[string]string{"pull": "strong"}, Want: []string{`pull="strong"`, `"up", "down" or "none"`}},
		{Name: "bad debounce", Params: map[string]string{"debounce": "50"}, Want: []string{`debounce="50"`, "duration"}},
		{Name: "unknown param", Params: map[string]string{"bucket": "0.2"}, Want: []string{"unknown param bucket", "bucket_mm"}},
		{Name: "no such pin", Want: []string{`sensor "rain"`, "input=GPIO17", "no such pin"}},
		{
			Name: "pin without edges", Env: &sensortest.Env{Pins: map[string]gpio.PinIO{"GPIO17": &gpiotest.Pin{N: "GPIO17"}}},
			Want: []string{`sensor "rain"`, "raingauge:", "GPIO17"},
		},
	})
}
