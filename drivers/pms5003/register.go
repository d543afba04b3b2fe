package pms5003

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// DefaultBaud is the chip's fixed line rate, used when a spec gives none.
const DefaultBaud = 9600

func init() { sensor.Register("pms5003", open) }

// open is the registry factory. Params: "mode" = "passive" (default) or
// "active".
func open(ctx context.Context, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for k := range spec.Params {
		if k != "mode" {
			return nil, fmt.Errorf("sensor %q: pms5003: unknown param %q (known: mode)", spec.Name, k)
		}
	}
	var mode Mode
	switch v := spec.Param("mode", "passive"); v {
	case "passive":
		mode = Passive
	case "active":
		mode = Active
	default:
		return nil, fmt.Errorf("sensor %q: pms5003: param mode=%q: want %q or %q", spec.Name, v, "passive", "active")
	}
	dev, port, err := sensor.OpenSerial(spec, env, "pms5003", DefaultBaud, func(port sensor.Port) (*Dev, error) { return New(port, &Opts{Mode: mode}) })
	if err != nil {
		return nil, err
	}
	return &dust{name: spec.Name, dev: dev, port: port, now: time.Now}, nil
}

// dust is a registered PMS5003: a Dev plus the port it owns.
type dust struct {
	name string
	dev  *Dev
	port sensor.Port
	now  func() time.Time

	closed sensor.CloseOnce
}

var _ sensor.Sensor = (*dust)(nil)

// Sense reads one frame and returns its atmospheric PM1, PM2.5 and PM10.
// ctx is checked between reads of the port; a read in progress runs to
// the port's timeout.
func (s *dust) Sense(ctx context.Context) ([]telemetry.Reading, error) {
	f, err := s.dev.read(ctx)
	if err != nil {
		return nil, err
	}
	t := s.now()
	r := func(q telemetry.Quantity, v uint16) telemetry.Reading {
		return telemetry.Reading{Sensor: s.name, Quantity: q, Value: float64(v), Time: t, Quality: telemetry.Good}
	}
	return []telemetry.Reading{
		r(telemetry.PM1, f.Atm.PM1),
		r(telemetry.PM2_5, f.Atm.PM2_5),
		r(telemetry.PM10, f.Atm.PM10),
	}, nil
}

// Close puts the chip to sleep and closes the port, even when the sleep
// command fails.
func (s *dust) Close() error {
	return s.closed.Do(s.name, func() error { return errors.Join(s.dev.Halt(), s.port.Close()) })
}

func (s *dust) String() string { return s.name + " (" + s.dev.String() + ")" }
