// Package sensortest holds what the drivers' registry tests share: an Env
// that hands out one serial port and remembers what it was asked for.
// Like net/http/httptest, it is for tests only.
package sensortest

import (
	"errors"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"

	"github.com/xiuhua/xiuhua/drivers/sensor"
)

// Env is a board with one serial port (Port, or Err when Port is nil or
// Err is set), no I2C bus and no pins.
type Env struct {
	Port  sensor.Port
	Err   error
	Asked []sensor.Serial // every OpenSerial call, in order
}

var _ sensor.Env = (*Env)(nil)

// OpenSerial implements sensor.Env.
func (e *Env) OpenSerial(s sensor.Serial) (sensor.Port, error) {
	e.Asked = append(e.Asked, s)
	return e.Port, e.Err
}

// OpenI2C implements sensor.Env: the test board has no I2C bus.
func (e *Env) OpenI2C(string) (i2c.BusCloser, error) {
	return nil, errors.New("sensortest: no I2C bus")
}

// Pin implements sensor.Env: the test board has no pins.
func (e *Env) Pin(string) (gpio.PinIO, error) { return nil, errors.New("sensortest: no pins") }
