package sensor

import (
	"fmt"

	"periph.io/x/conn/v3/i2c"
)

// OpenI2C opens spec's I2C bus through env and hands it to probe (a
// driver's New). When probe fails the bus is closed again; errors name
// the sensor and, for the bus, the driver.
func OpenI2C[D any](spec Spec, env Env, driver string, probe func(i2c.Bus) (D, error)) (D, i2c.BusCloser, error) {
	var zero D
	bus, err := env.OpenI2C(spec.I2C.Bus)
	if err != nil {
		return zero, nil, fmt.Errorf("sensor %q: %s: open I2C bus %q: %w", spec.Name, driver, spec.I2C.Bus, err)
	}
	dev, err := probe(bus)
	if err != nil {
		bus.Close()
		return zero, nil, fmt.Errorf("sensor %q: %w", spec.Name, err)
	}
	return dev, bus, nil
}

// Choose returns the value paired with the name v, or an error listing
// the allowed names: for params with a fixed set of values.
func Choose[T any](v string, names []string, vals []T) (T, error) {
	for i, n := range names {
		if n == v {
			return vals[i], nil
		}
	}
	var zero T
	return zero, fmt.Errorf("want one of %q", names)
}
