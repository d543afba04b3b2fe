package bmp280

import (
	"context"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

func init() { sensor.Register("bmp280", open) }

// oversamplingParams are the allowed "oversampling" values, in the order
// error messages list them.
var oversamplingParams = []string{"1x", "2x", "4x", "8x", "16x"}

// open is the registry factory. Params: "oversampling" = the pressure
// oversampling, "1x", "2x", "4x" (default), "8x" or "16x".
func open(ctx context.Context, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o := Opts{Addr: spec.I2C.Addr}
	for k, v := range spec.Params {
		if k != "oversampling" {
			return nil, fmt.Errorf("sensor %q: bmp280: unknown param %q (known: oversampling)", spec.Name, k)
		}
		i := indexOf(oversamplingParams, v)
		if i < 0 {
			return nil, fmt.Errorf("sensor %q: bmp280: param oversampling=%q: want one of %q", spec.Name, v, oversamplingParams)
		}
		o.Oversampling = 1 << i
	}
	dev, bus, err := sensor.OpenI2C(spec, env, "bmp280", func(bus i2c.Bus) (*Dev, error) { return New(bus, &o) })
	if err != nil {
		return nil, err
	}
	return &baro{name: spec.Name, dev: dev, bus: bus, now: time.Now}, nil
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// baro is a registered BMP280 or BME280: a Dev plus the bus handle it
// owns.
type baro struct {
	name string
	dev  *Dev
	bus  i2c.BusCloser
	now  func() time.Time

	closed sensor.CloseOnce
}

var _ sensor.Sensor = (*baro)(nil)

// Sense takes one measurement and returns Pressure in Pa and Temperature
// in °C, and on a BME280 Humidity in %. Values outside the chip's
// operating range are carried with quality Suspect.
func (s *baro) Sense(ctx context.Context) ([]telemetry.Reading, error) {
	smp, err := s.dev.Sense(ctx)
	if err != nil {
		return nil, err
	}
	t := s.now()
	r := func(q telemetry.Quantity, v float64, suspect bool) telemetry.Reading {
		rd := telemetry.Reading{Sensor: s.name, Quantity: q, Value: v, Time: t}
		if suspect {
			rd.Quality = telemetry.Suspect
		}
		return rd
	}
	rs := []telemetry.Reading{
		r(telemetry.Pressure, float64(smp.Pressure)/float64(physic.Pascal), smp.PressureSuspect),
		r(telemetry.Temperature, smp.Temperature.Celsius(), smp.TemperatureSuspect),
	}
	if s.dev.HasHumidity() {
		rs = append(rs, r(telemetry.Humidity, float64(smp.Humidity)/float64(physic.PercentRH), false))
	}
	return rs, nil
}

// Close puts the chip to sleep and closes the bus handle, even when the
// sleep write fails.
func (s *baro) Close() error {
	return s.closed.Do(s.name, func() error { return errors.Join(s.dev.Halt(), s.bus.Close()) })
}

func (s *baro) String() string { return s.name + " (" + s.dev.String() + ")" }
