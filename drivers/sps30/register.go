package sps30

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"periph.io/x/conn/v3/i2c"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

func init() { sensor.Register("sps30", open) }

// params lists the params the factory understands.
var params = []string{"clean_interval"}

// open is the registry factory. Params: "clean_interval" = a Go duration
// of whole seconds such as "168h", or "0" or "off" to switch automatic fan
// cleaning off; absent leaves the chip's own setting.
func open(ctx context.Context, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkParams(spec); err != nil {
		return nil, err
	}
	o := Opts{Addr: spec.I2C.Addr}
	if v, ok := spec.Params["clean_interval"]; ok {
		iv, err := parseCleanInterval(v)
		if err != nil {
			return nil, fmt.Errorf("sensor %q: sps30: param clean_interval=%q: want a duration of whole seconds up to %v such as \"168h\", or \"0\" or \"off\"", spec.Name, v, MaxCleanInterval)
		}
		o.CleanInterval = iv
	}
	dev, bus, err := sensor.OpenI2C(spec, env, "sps30", func(bus i2c.Bus) (*Dev, error) { return New(bus, &o) })
	if err != nil {
		return nil, err
	}
	return &dust{name: spec.Name, dev: dev, bus: bus, now: time.Now}, nil
}

func parseCleanInterval(v string) (time.Duration, error) {
	if v == "off" || v == "0" {
		return NoAutoClean, nil
	}
	iv, err := time.ParseDuration(v)
	if err != nil {
		return 0, err
	}
	if iv == 0 {
		return NoAutoClean, nil
	}
	return iv, checkInterval(iv)
}

// checkParams rejects params the driver does not know, so that a typo in
// a config is not silently ignored.
func checkParams(spec sensor.Spec) error {
	for k := range spec.Params {
		if !slices.Contains(params, k) {
			return fmt.Errorf("sensor %q: sps30: unknown param %q (known: %s)", spec.Name, k, strings.Join(sorted(params), ", "))
		}
	}
	return nil
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// FanCleaner is implemented by the registered "sps30" sensor, so that an
// agent can start a fan cleaning outside the chip's own schedule.
type FanCleaner interface {
	FanClean() error
}

// dust is a registered SPS30: a Dev plus the bus handle it owns.
type dust struct {
	name string
	dev  *Dev
	bus  i2c.BusCloser
	now  func() time.Time

	closed sensor.CloseOnce
}

var (
	_ sensor.Sensor = (*dust)(nil)
	_ FanCleaner    = (*dust)(nil)
)

// Sense waits for the next measurement (bounded by ctx and
// Opts.ReadyTimeout) and returns its PM1, PM2.5, PM4 and PM10. Values that
// fail Measurement.Suspect are carried with quality Suspect; a NaN or an
// infinity is carried as 0, since the wire format has no place for it.
func (s *dust) Sense(ctx context.Context) ([]telemetry.Reading, error) {
	m, err := s.dev.Read(ctx)
	if err != nil {
		return nil, err
	}
	t := s.now()
	sus := m.Suspect()
	qs := [4]telemetry.Quantity{telemetry.PM1, telemetry.PM2_5, telemetry.PM4, telemetry.PM10}
	vs := [4]float64{m.PM1, m.PM2_5, m.PM4, m.PM10}
	rs := make([]telemetry.Reading, 4)
	for i := range rs {
		r := telemetry.Reading{Sensor: s.name, Quantity: qs[i], Value: vs[i], Time: t}
		if sus[i] {
			r.Quality = telemetry.Suspect
		}
		if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
			r.Value = 0
		}
		rs[i] = r
	}
	return rs, nil
}

// FanClean starts a fan cleaning; see Dev.FanClean.
func (s *dust) FanClean() error { return s.dev.FanClean() }

// Close stops measuring and closes the bus handle, even when the stop
// command fails.
func (s *dust) Close() error {
	return s.closed.Do(s.name, func() error { return errors.Join(s.dev.Halt(), s.bus.Close()) })
}

func (s *dust) String() string { return s.name + " (" + s.dev.String() + ")" }
