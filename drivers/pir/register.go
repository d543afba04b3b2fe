package pir

import (
	"context"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/xiuhua/xiuhua/drivers/gpioin"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

func init() { sensor.Register("pir", open) }

// open is the registry factory; see the package doc for the params.
func open(ctx context.Context, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
	dev, err := gpioin.Open(ctx, spec, env, parseParams, New)
	if err != nil {
		return nil, err
	}
	return &motion{name: spec.Name, dev: dev}, nil
}

func parseParams(spec sensor.Spec) (Opts, error) {
	p := gpioin.Params{Spec: spec, Driver: "pir"}
	if err := p.Check("active_level", "pull", "debounce", "warmup"); err != nil {
		return Opts{}, err
	}
	active, err := p.Level("active_level", gpio.High)
	if err != nil {
		return Opts{}, err
	}
	o := Opts{ActiveLow: active == gpio.Low}
	if o.Pull, err = p.Pull("pull", gpio.PullDown); err != nil {
		return Opts{}, err
	}
	if o.Debounce, err = p.Debounce(); err != nil {
		return Opts{}, err
	}
	if o.Warmup, err = p.Duration("warmup", DefaultWarmup, 0, 10*time.Minute); err != nil {
		return Opts{}, err
	}
	return o, nil
}

// motion is a registered PIR sensor.
type motion struct {
	name string
	dev  *Dev

	closed sensor.CloseOnce
}

var _ sensor.Sensor = (*motion)(nil)

// Sense returns the settled changes since the previous Sense, or the
// state now. It never blocks.
func (m *motion) Sense(ctx context.Context) ([]telemetry.Reading, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return m.dev.readings(m.name), nil
}

// Close stops watching the input.
func (m *motion) Close() error {
	return m.closed.Do(m.name, m.dev.Halt)
}

func (m *motion) String() string { return m.name + " (" + m.dev.String() + ")" }
