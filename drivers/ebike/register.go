package ebike

import (
	"context"
	"fmt"

	"periph.io/x/conn/v3/gpio"

	"github.com/xiuhua/xiuhua/drivers/gpioin"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

func init() { sensor.Register("ebike", open) }

// open is the registry factory; see the package doc for the params.
func open(ctx context.Context, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o, err := parseParams(spec)
	if err != nil {
		return nil, err
	}
	pin, err := spec.Pin(env, "input") // its errors name the sensor and the role
	if err != nil {
		return nil, err
	}
	if spec.Pins["relay"] != "" {
		relay, err := spec.Pin(env, "relay")
		if err != nil {
			return nil, err
		}
		o.Relay = relay
	}
	dev, err := New(pin, &o)
	if err != nil {
		return nil, fmt.Errorf("sensor %q: %w", spec.Name, err)
	}
	return &detector{name: spec.Name, dev: dev}, nil
}

func parseParams(spec sensor.Spec) (Opts, error) {
	p := gpioin.Params{Spec: spec, Driver: "ebike"}
	if err := p.Check("active_level", "pull", "debounce", "relay_level"); err != nil {
		return Opts{}, err
	}
	active, err := p.Level("active_level", gpio.Low)
	if err != nil {
		return Opts{}, err
	}
	relay, err := p.Level("relay_level", gpio.High)
	if err != nil {
		return Opts{}, err
	}
	o := Opts{ActiveHigh: active == gpio.High, RelayActiveLow: relay == gpio.Low}
	if o.Pull, err = p.Pull("pull", gpio.PullUp); err != nil {
		return Opts{}, err
	}
	if o.Debounce, err = p.Debounce(); err != nil {
		return Opts{}, err
	}
	return o, nil
}

// detector is a registered e-bike detector. Besides sensor.Sensor it has
// HoldDoors, for agent/edge.
type detector struct {
	name string
	dev  *Dev

	closed sensor.CloseOnce
}

var _ sensor.Sensor = (*detector)(nil)

// Sense returns the settled changes since the previous Sense, or the
// state now. It never blocks.
func (d *detector) Sense(ctx context.Context) ([]telemetry.Reading, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return d.dev.in.Readings(d.name, telemetry.EBike, d.dev.active), nil
}

// HoldDoors energises or releases the door-hold relay; see Dev.HoldDoors.
func (d *detector) HoldDoors(hold bool) error {
	if err := d.dev.HoldDoors(hold); err != nil {
		return fmt.Errorf("sensor %q: %w", d.name, err)
	}
	return nil
}

// Close releases the relay and stops watching the input.
func (d *detector) Close() error {
	return d.closed.Do(d.name, d.dev.Halt)
}

func (d *detector) String() string { return d.name + " (" + d.dev.String() + ")" }
