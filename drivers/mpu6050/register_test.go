package mpu6050

import (
	"errors"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

func TestSensor(t *testing.T) {
	bus := &sensortest.Bus{Bus: playback(t, newOps(0x69, 0x02, 0x08, 0x00), []i2ctest.IO{
		op(0x69, []byte{0x3b}, level...),
		op(0x69, []byte{0x6b, 0x41}),
	})}
	spec := sensor.Spec{Name: "car", I2C: sensor.I2C{Bus: "1", Addr: 0x69}, Params: map[string]string{"gyro_range": "500", "bandwidth": "94", "accel_range": "2g"}}
	s := sensortest.MustOpen(t, "mpu6050", spec, &sensortest.Env{Bus: bus})
	g := func(q telemetry.Quantity, v float64) sensortest.Want {
		return sensortest.Want{Quantity: q, Value: v, Within: 1e-9}
	}
	sensortest.CheckSense(t, s, "car",
		g(telemetry.AccelX, 0.4902127899169922), g(telemetry.AccelY, -0.2454056701660156), g(telemetry.AccelZ, 9.80665),
		g(telemetry.Temperature, 34.997647059),
		g(telemetry.GyroX, 2), g(telemetry.GyroY, -4), g(telemetry.GyroZ, 0), // 65.5 counts per °/s
	)
	sensortest.CheckCloseOnce(t, s, func() int { return bus.Closes })
}

func TestSensorErrors(t *testing.T) {
	sensortest.RunErrorCases(t, "mpu6050", sensor.Spec{Name: "car"}, sensortest.NoChip, []sensortest.ErrorCase{
		{Name: "bad accel_range", Params: map[string]string{"accel_range": "2"}, Want: []string{`"car"`, "mpu6050", "accel_range", `"2"`, `"2g" "4g" "8g" "16g"`}},
		{Name: "bad gyro_range", Params: map[string]string{"gyro_range": "250dps"}, Want: []string{"gyro_range", `"250" "500" "1000" "2000"`}},
		{Name: "bad bandwidth", Params: map[string]string{"bandwidth": "42"}, Want: []string{"bandwidth", `"44"`}},
		{Name: "unknown param", Params: map[string]string{"range": "2g"}, Want: []string{`"car"`, `"range"`, "accel_range, bandwidth, gyro_range"}},
		{Name: "bus fails", Env: &sensortest.Env{Err: errors.New("no bus 7")}, Want: []string{`"car"`, "no bus 7"}},
		{Name: "chip absent", Want: []string{`"car"`, "mpu6050", "WHO_AM_I"}, Closed: true},
	})
}
