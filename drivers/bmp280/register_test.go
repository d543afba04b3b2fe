package bmp280

import (
	"errors"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

func TestSensor(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		ops    []i2ctest.IO
		want   []sensortest.Want
	}{
		{
			"BMP280", nil,
			ops(newOps(0x58, nil, 0x2c, 0), senseOps(0x2c, dataBMP, 0), []i2ctest.IO{op([]byte{0xf4, 0x2c})}),
			[]sensortest.Want{
				{Quantity: telemetry.Pressure, Value: 100653.25390625},
				{Quantity: telemetry.Temperature, Value: 25.08},
			},
		},
		{
			// 2× pressure and humidity: ctrl_meas 001 010 00 = 0x28.
			"BME280 at 2x", map[string]string{"oversampling": "2x"},
			ops(newOps(0x60, calibHum, 0x28, 0x02), senseOps(0x28, dataBME, 0), []i2ctest.IO{op([]byte{0xf4, 0x28})}),
			[]sensortest.Want{
				{Quantity: telemetry.Pressure, Value: 100653.25390625},
				{Quantity: telemetry.Temperature, Value: 25.08},
				{Quantity: telemetry.Humidity, Value: 39.37793},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &sensortest.Bus{Bus: playback(t, tt.ops)}
			s := sensortest.MustOpen(t, "bmp280", sensor.Spec{Name: "baro", I2C: sensor.I2C{Bus: "1"}, Params: tt.params}, &sensortest.Env{Bus: bus})
			sensortest.CheckSense(t, s, "baro", tt.want...)
			sensortest.CheckCloseOnce(t, s, func() int { return bus.Closes })
		})
	}
}

func TestSensorErrors(t *testing.T) {
	sensortest.RunErrorCases(t, "bmp280", sensor.Spec{Name: "baro"}, sensortest.NoChip, []sensortest.ErrorCase{
		{Name: "bad oversampling", Params: map[string]string{"oversampling": "32x"}, Want: []string{`"baro"`, "bmp280", "oversampling", `"32x"`, `"1x" "2x" "4x" "8x" "16x"`}},
		{Name: "unknown param", Params: map[string]string{"filter": "16"}, Want: []string{`"baro"`, `"filter"`, "oversampling"}},
		{Name: "bus fails", Env: &sensortest.Env{Err: errors.New("no bus 7")}, Want: []string{`"baro"`, "no bus 7"}},
		{Name: "chip absent", Want: []string{`"baro"`, "bmp280", "chip ID"}, Closed: true},
	})
}
