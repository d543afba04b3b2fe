package adxl345

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

func init() { sensor.Register("adxl345", open) }

// Allowed param values, in the order error messages list them.
var (
	rangeParams = []string{"2g", "4g", "8g", "16g"}
	rateParams  = []string{"6.25", "12.5", "25", "50", "100", "200", "400", "800", "1600", "3200"}
)

// open is the registry factory. Params: "range" = "2g" (default), "4g",
// "8g" or "16g"; "rate" = output data rate in Hz, "6.25" to "3200" in
// powers of two times 6.25, default "100".
func open(ctx context.Context, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o := Opts{Addr: spec.I2C.Addr}
	for k, v := range spec.Params {
		var err error
		switch k {
		case "range":
			o.Range, err = sensor.Choose(v, rangeParams, []int{2, 4, 8, 16})
		case "rate":
			rates := []physic.Frequency{6250 * physic.MilliHertz, 12500 * physic.MilliHertz, 25 * physic.Hertz, 50 * physic.Hertz,
				100 * physic.Hertz, 200 * physic.Hertz, 400 * physic.Hertz, 800 * physic.Hertz, 1600 * physic.Hertz, 3200 * physic.Hertz}
			o.Rate, err = sensor.Choose(v, rateParams, rates)
		default:
			return nil, fmt.Errorf("sensor %q: adxl345: unknown param %q (known: range, rate)", spec.Name, k)
		}
		if err != nil {
			return nil, fmt.Errorf("sensor %q: adxl345: param %s=%q: %w", spec.Name, k, v, err)
		}
	}
	dev, bus, err := sensor.OpenI2C(spec, env, "adxl345", func(bus i2c.Bus) (*Dev, error) { return New(bus, &o) })
	if err != nil {
		return nil, err
	}
	return &accel{name: spec.Name, dev: dev, bus: bus, now: time.Now}, nil
}

// accel is a registered ADXL345: a Dev plus the bus handle it owns.
type accel struct {
	name string
	dev  *Dev
	bus  i2c.BusCloser
	now  func() time.Time

	closed sensor.CloseOnce
}

var _ sensor.Sensor = (*accel)(nil)

// Sense reads one sample and returns AccelX, AccelY and AccelZ in m/s².
// An axis at an end of the configured range or beyond it is carried with
// quality Suspect.
func (s *accel) Sense(ctx context.Context) ([]telemetry.Reading, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	smp, err := s.dev.Read()
	if err != nil {
		return nil, err
	}
	t := s.now()
	qs := [3]telemetry.Quantity{telemetry.AccelX, telemetry.AccelY, telemetry.AccelZ}
	vs := [3]float64{smp.X, smp.Y, smp.Z}
	rs := make([]telemetry.Reading, 3)
	for i := range rs {
		rs[i] = telemetry.Reading{Sensor: s.name, Quantity: qs[i], Value: vs[i], Time: t}
		if smp.OutOfRange[i] {
			rs[i].Quality = telemetry.Suspect
		}
	}
	return rs, nil
}

// Close puts the chip in standby and closes the bus handle, even when
// the standby write fails.
func (s *accel) Close() error {
	return s.closed.Do(s.name, func() error { return errors.Join(s.dev.Halt(), s.bus.Close()) })
}

func (s *accel) String() string { return s.name + " (" + s.dev.String() + ")" }
