package gpioin

import (
	"context"
	"fmt"

	"periph.io/x/conn/v3/gpio"

	"github.com/xiuhua/xiuhua/drivers/sensor"
)

// Open is what the registry factory of a GPIO input driver does before it
// wraps the device: it checks ctx, reads spec's params with parse, gets
// the pin that spec wires to "input" and builds the device on it with
// newDev (the driver's New). A bad param is reported before a missing
// pin, and every error names the sensor.
func Open[O, D any](ctx context.Context, spec sensor.Spec, env sensor.Env, parse func(sensor.Spec) (O, error), newDev func(gpio.PinIn, *O) (D, error)) (D, error) {
	var zero D
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	o, err := parse(spec)
	if err != nil {
		return zero, err
	}
	pin, err := spec.Pin(env, "input") // its errors name the sensor and the role
	if err != nil {
		return zero, err
	}
	dev, err := newDev(pin, &o)
	if err != nil {
		return zero, fmt.Errorf("sensor %q: %w", spec.Name, err)
	}
	return dev, nil
}
