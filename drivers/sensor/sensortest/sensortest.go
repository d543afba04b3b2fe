// Package sensortest holds what the drivers' tests share: a board (Env)
// that hands out one serial port, one I2C bus and named GPIO pins and
// remembers what it was asked for; ports, buses and conns that replay
// recorded traffic or fail on cue; and checks that every driver's
// registry test makes (Open, CheckReadings, CheckCloseOnce,
// RunErrorCases, the stream decoder's cases). Like net/http/httptest, it
// is for tests only.
package sensortest

import (
	"fmt"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"

	"github.com/xiuhua/xiuhua/drivers/sensor"
)

// Env is a board with one serial port (Port), one I2C bus (Bus) and the
// GPIO pins in Pins. When Err is set, opening the port or the bus fails
// with it. A nil Port is handed out as is; a nil Bus is an error.
type Env struct {
	Port sensor.Port
	Bus  i2c.BusCloser
	Pins map[string]gpio.PinIO
	Err  error

	Asked    []sensor.Serial // every OpenSerial call, in order
	AskedI2C []string        // every OpenI2C call's bus name, in order
	Opened   int             // how many OpenSerial and OpenI2C calls succeeded
}

var _ sensor.Env = (*Env)(nil)

// OpenSerial implements sensor.Env.
func (e *Env) OpenSerial(s sensor.Serial) (sensor.Port, error) {
	e.Asked = append(e.Asked, s)
	if e.Err != nil {
		return nil, e.Err
	}
	e.Opened++
	return e.Port, nil
}

// OpenI2C implements sensor.Env.
func (e *Env) OpenI2C(name string) (i2c.BusCloser, error) {
	e.AskedI2C = append(e.AskedI2C, name)
	if e.Err != nil {
		return nil, e.Err
	}
	if e.Bus == nil {
		return nil, fmt.Errorf("sensortest: no I2C bus %q", name)
	}
	e.Opened++
	return e.Bus, nil
}

// Pin implements sensor.Env.
func (e *Env) Pin(name string) (gpio.PinIO, error) {
	if p, ok := e.Pins[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("sensortest: no such pin %q", name)
}

// closes is how many times the board's Port or Bus was closed, when they
// are this package's Port and Bus (which count).
func (e *Env) closes() int {
	n := 0
	if p, ok := e.Port.(*Port); ok {
		n += p.Closes
	}
	if b, ok := e.Bus.(*Bus); ok {
		n += b.Closes
	}
	return n
}
