package mpu6050

import (
	"context"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/i2c"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

func init() { sensor.Register("mpu6050", open) }

// Allowed param values, in the order error messages list them.
var (
	accelParams     = []string{"2g", "4g", "8g", "16g"}
	gyroParams      = []string{"250", "500", "1000", "2000"}
	bandwidthParams = []string{"260", "184", "94", "44", "21", "10", "5"}
)

// open is the registry factory. Params: "accel_range" = "2g" (default),
// "4g", "8g" or "16g"; "gyro_range" = "250" (default), "500", "1000" or
// "2000" °/s; "bandwidth" = the low-pass filter in Hz, "260", "184",
// "94", "44" (default), "21", "10" or "5".
func open(ctx context.Context, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o := Opts{Addr: spec.I2C.Addr}
	for k, v := range spec.Params {
		var err error
		switch k {
		case "accel_range":
			o.AccelRange, err = sensor.Choose(v, accelParams, []int{2, 4, 8, 16})
		case "gyro_range":
			o.GyroRange, err = sensor.Choose(v, gyroParams, []int{250, 500, 1000, 2000})
		case "bandwidth":
			o.Bandwidth, err = sensor.Choose(v, bandwidthParams, []int{260, 184, 94, 44, 21, 10, 5})
		default:
			return nil, fmt.Errorf("sensor %q: mpu6050: unknown param %q (known: accel_range, bandwidth, gyro_range)", spec.Name, k)
		}
		if err != nil {
			return nil, fmt.Errorf("sensor %q: mpu6050: param %s=%q: %w", spec.Name, k, v, err)
		}
	}
	dev, bus, err := sensor.OpenI2C(spec, env, "mpu6050", func(bus i2c.Bus) (*Dev, error) { return New(bus, &o) })
	if err != nil {
		return nil, err
	}
	return &imu{name: spec.Name, dev: dev, bus: bus, now: time.Now}, nil
}

// imu is a registered MPU-6050: a Dev plus the bus handle it owns.
type imu struct {
	name string
	dev  *Dev
	bus  i2c.BusCloser
	now  func() time.Time

	closed sensor.CloseOnce
}

var _ sensor.Sensor = (*imu)(nil)

// quantities are the readings of a Sample, indexed like Sample.Raw.
var quantities = [7]telemetry.Quantity{
	AccelX: telemetry.AccelX, AccelY: telemetry.AccelY, AccelZ: telemetry.AccelZ,
	Temp:  telemetry.Temperature,
	GyroX: telemetry.GyroX, GyroY: telemetry.GyroY, GyroZ: telemetry.GyroZ,
}

// Sense reads one burst and returns AccelX/Y/Z in m/s², Temperature in
// °C and GyroX/Y/Z in °/s. Values marked in Sample.Suspect are carried
// with quality Suspect.
func (s *imu) Sense(ctx context.Context) ([]telemetry.Reading, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	smp, err := s.dev.Read()
	if err != nil {
		return nil, err
	}
	t := s.now()
	vals := [7]float64{
		AccelX: smp.Accel[0], AccelY: smp.Accel[1], AccelZ: smp.Accel[2],
		Temp:  smp.Temperature.Celsius(),
		GyroX: smp.Gyro[0], GyroY: smp.Gyro[1], GyroZ: smp.Gyro[2],
	}
	rs := make([]telemetry.Reading, len(vals))
	for i := range rs {
		rs[i] = telemetry.Reading{Sensor: s.name, Quantity: quantities[i], Value: vals[i], Time: t}
		if smp.Suspect[i] {
			rs[i].Quality = telemetry.Suspect
		}
	}
	return rs, nil
}

// Close puts the chip to sleep and closes the bus handle, even when the
// sleep write fails.
func (s *imu) Close() error {
	return s.closed.Do(s.name, func() error { return errors.Join(s.dev.Halt(), s.bus.Close()) })
}

func (s *imu) String() string { return s.name + " (" + s.dev.String() + ")" }
