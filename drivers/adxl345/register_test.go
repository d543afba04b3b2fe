package adxl345

import (
	"context"
	"errors"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

func TestSensor(t *testing.T) {
	bus := &sensortest.Bus{Bus: playback(t, newOps(0x1d, 0x0d, 0x0a), []i2ctest.IO{
		op(0x1d, []byte{0x32}, atRest...),
		op(0x1d, []byte{0x32}, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00), // X = 2048: beyond ±8 g
		op(0x1d, []byte{0x2d, 0x00}),
	})}
	spec := sensor.Spec{Name: "car", I2C: sensor.I2C{Bus: "1", Addr: 0x1d}, Params: map[string]string{"range": "8g", "rate": "800"}}
	s := sensortest.MustOpen(t, "adxl345", spec, &sensortest.Env{Bus: bus})
	g := func(q telemetry.Quantity, v float64) sensortest.Want {
		return sensortest.Want{Quantity: q, Value: v, Within: 1e-9}
	}
	sensortest.CheckSense(t, s, "car", g(telemetry.AccelX, 0.191229675), g(telemetry.AccelY, -0.38245935), g(telemetry.AccelZ, 9.79095936))
	rs, err := s.Sense(context.Background())
	if err != nil {
		t.Fatalf("Sense: %v", err)
	}
	if rs[0].Quality != telemetry.Suspect || !near(rs[0].Value, 2048*Scale) || rs[1].Quality != telemetry.Good {
		t.Errorf("out-of-range sample read as %+v", rs)
	}
	sensortest.CheckCloseOnce(t, s, func() int { return bus.Closes })
	sensortest.CheckSenseCanceled(t, s)
}

func TestSensorErrors(t *testing.T) {
	sensortest.RunErrorCases(t, "adxl345", sensor.Spec{Name: "car"}, sensortest.NoChip, []sensortest.ErrorCase{
		{Name: "bad range", Params: map[string]string{"range": "3g"}, Want: []string{`"car"`, "adxl345", "range", `"3g"`, `"2g" "4g" "8g" "16g"`}},
		{Name: "bad rate", Params: map[string]string{"rate": "100Hz"}, Want: []string{`"car"`, "rate", `"100Hz"`, `"6.25"`, `"3200"`}},
		{Name: "unknown param", Params: map[string]string{"g": "2"}, Want: []string{`"car"`, `"g"`, "range, rate"}},
		{Name: "bus fails", Env: &sensortest.Env{Err: errors.New("no bus 7")}, Want: []string{`"car"`, "no bus 7"}},
		{Name: "chip absent", Want: []string{`"car"`, "adxl345", "DEVID"}, Closed: true},
	})
}
