package sensor

import (
	"fmt"
	"sync"

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

// OpenSerial opens spec's serial port through env, at baud when spec
// gives no speed, and hands it to probe (a driver's New). When probe
// fails the port is closed again; errors name the sensor and, for the
// port, the driver.
func OpenSerial[D any](spec Spec, env Env, driver string, baud int, probe func(Port) (D, error)) (D, Port, error) {
	var zero D
	s := spec.Serial
	if s.Baud == 0 {
		s.Baud = baud
	}
	port, err := env.OpenSerial(s)
	if err != nil {
		return zero, nil, fmt.Errorf("sensor %q: %s: open %s: %w", spec.Name, driver, s.Port, err)
	}
	dev, err := probe(port)
	if err != nil {
		port.Close()
		return zero, nil, fmt.Errorf("sensor %q: %w", spec.Name, err)
	}
	return dev, port, nil
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

// CloseOnce makes a registered sensor's Close idempotent, as Sensor
// requires: the first Do runs close (halt the chip, release the port or
// bus), and every Do returns what it returned, naming the sensor. The
// zero value is ready to use.
type CloseOnce struct {
	once sync.Once
	err  error
}

// Do runs close the first time it is called and returns its error,
// wrapped as `sensor "<name>": close: …`, every time.
func (c *CloseOnce) Do(name string, close func() error) error {
	c.once.Do(func() {
		if err := close(); err != nil {
			c.err = fmt.Errorf("sensor %q: close: %w", name, err)
		}
	})
	return c.err
}
