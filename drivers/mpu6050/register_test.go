package mpu6050

import (
	"context"
	"errors"
	"strings"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// closer is a bus handle that counts its closes.
type closer struct {
	i2c.Bus
	closes int
}

func (c *closer) Close() error { c.closes++; return nil }

// env hands out one bus handle.
type env struct {
	bus *closer
	err error
}

func (e *env) OpenI2C(string) (i2c.BusCloser, error) {
	if e.err != nil {
		return nil, e.err
	}
	return e.bus, nil
}

func (e *env) OpenSerial(sensor.Serial) (sensor.Port, error) { return nil, errors.New("no serial") }
func (e *env) Pin(string) (gpio.PinIO, error)                { return nil, errors.New("no pins") }

func openSensor(t *testing.T, spec sensor.Spec, e sensor.Env) (sensor.Sensor, error) {
	t.Helper()
	f, err := sensor.Lookup("mpu6050")
	if err != nil {
		t.Fatal(err)
	}
	return f(context.Background(), spec, e)
}

func TestSensor(t *testing.T) {
	bus := &closer{Bus: playback(t, newOps(0x69, 0x02, 0x08, 0x00), []i2ctest.IO{
		op(0x69, []byte{0x3b}, level...),
		op(0x69, []byte{0x6b, 0x41}),
	})}
	spec := sensor.Spec{Name: "car", I2C: sensor.I2C{Bus: "1", Addr: 0x69}, Params: map[string]string{"gyro_range": "500", "bandwidth": "94", "accel_range": "2g"}}
	s, err := openSensor(t, spec, &env{bus: bus})
	if err != nil {
		t.Fatalf("factory: %v", err)
	}
	rs, err := s.Sense(context.Background())
	if err != nil {
		t.Fatalf("Sense: %v", err)
	}
	want := []struct {
		q telemetry.Quantity
		v float64
	}{
		{telemetry.AccelX, 0.4902127899169922}, {telemetry.AccelY, -0.2454056701660156}, {telemetry.AccelZ, 9.80665},
		{telemetry.Temperature, 34.997647059},
		{telemetry.GyroX, 2}, {telemetry.GyroY, -4}, {telemetry.GyroZ, 0}, // 65.5 counts per °/s
	}
	if len(rs) != len(want) {
		t.Fatalf("Sense gave %d readings", len(rs))
	}
	for i, r := range rs {
		if r.Sensor != "car" || r.Quantity != want[i].q || !near(r.Value, want[i].v) || r.Quality != telemetry.Good {
			t.Errorf("reading %d = %+v, want %s %v", i, r, want[i].q, want[i].v)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil || bus.closes != 1 {
		t.Errorf("second Close = %v, bus closed %d times", err, bus.closes)
	}
}

func TestSensorErrors(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		env    *env
		want   []string
		closed bool
	}{
		{"bad accel_range", map[string]string{"accel_range": "2"}, &env{}, []string{`"car"`, "mpu6050", "accel_range", `"2"`, `"2g" "4g" "8g" "16g"`}, false},
		{"bad gyro_range", map[string]string{"gyro_range": "250dps"}, &env{}, []string{"gyro_range", `"250" "500" "1000" "2000"`}, false},
		{"bad bandwidth", map[string]string{"bandwidth": "42"}, &env{}, []string{"bandwidth", `"44"`}, false},
		{"unknown param", map[string]string{"range": "2g"}, &env{}, []string{`"car"`, `"range"`, "accel_range, bandwidth, gyro_range"}, false},
		{"bus fails", nil, &env{err: errors.New("no bus 7")}, []string{`"car"`, "no bus 7"}, false},
		{"chip absent", nil, &env{}, []string{`"car"`, "mpu6050", "WHO_AM_I"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &closer{Bus: &i2ctest.Playback{DontPanic: true}}
			if tt.env.err == nil {
				tt.env.bus = bus
			}
			s, err := openSensor(t, sensor.Spec{Name: "car", Params: tt.params}, tt.env)
			if err == nil {
				s.Close()
				t.Fatal("factory succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
			if tt.closed != (bus.closes == 1) {
				t.Errorf("bus closed %d times", bus.closes)
			}
		})
	}
}
