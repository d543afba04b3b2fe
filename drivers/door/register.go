package door

import (
	"context"

	"periph.io/x/conn/v3/gpio"

	"github.com/xiuhua/xiuhua/drivers/gpioin"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

func init() { sensor.Register("door", open) }

// open is the registry factory; see the package doc for the params.
func open(ctx context.Context, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
	dev, err := gpioin.Open(ctx, spec, env, parseParams, New)
	if err != nil {
		return nil, err
	}
	return &contact{name: spec.Name, dev: dev}, nil
}

func parseParams(spec sensor.Spec) (Opts, error) {
	p := gpioin.Params{Spec: spec, Driver: "door"}
	if err := p.Check("open_level", "pull", "debounce"); err != nil {
		return Opts{}, err
	}
	open, err := p.Level("open_level", gpio.High)
	if err != nil {
		return Opts{}, err
	}
	o := Opts{OpenLow: open == gpio.Low}
	if o.Pull, err = p.Pull("pull", gpio.PullUp); err != nil {
		return Opts{}, err
	}
	if o.Debounce, err = p.Debounce(); err != nil {
		return Opts{}, err
	}
	return o, nil
}

// contact is a registered door contact.
type contact struct {
	name string
	dev  *Dev

	closed sensor.CloseOnce
}

var _ sensor.Sensor = (*contact)(nil)

// Sense returns the door's settled changes since the previous Sense, or
// its state now. It never blocks.
func (c *contact) Sense(ctx context.Context) ([]telemetry.Reading, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.dev.in.Readings(c.name, telemetry.DoorOpen, c.dev.open), nil
}

// Close stops watching the input.
func (c *contact) Close() error {
	return c.closed.Do(c.name, c.dev.Halt)
}

func (c *contact) String() string { return c.name + " (" + c.dev.String() + ")" }
