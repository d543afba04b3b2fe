package bmp280

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
	f, err := sensor.Lookup("bmp280")
	if err != nil {
		t.Fatal(err)
	}
	return f(context.Background(), spec, e)
}

func TestSensor(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		ops    []i2ctest.IO
		want   []telemetry.Reading
	}{
		{
			"BMP280", nil,
			ops(newOps(0x58, nil, 0x2c, 0), senseOps(0x2c, dataBMP, 0), []i2ctest.IO{op([]byte{0xf4, 0x2c})}),
			[]telemetry.Reading{
				{Sensor: "baro", Quantity: telemetry.Pressure, Value: 100653.25390625},
				{Sensor: "baro", Quantity: telemetry.Temperature, Value: 25.08},
			},
		},
		{
			// 2× pressure and humidity: ctrl_meas 001 010 00 = 0x28.
			"BME280 at 2x", map[string]string{"oversampling": "2x"},
			ops(newOps(0x60, calibHum, 0x28, 0x02), senseOps(0x28, dataBME, 0), []i2ctest.IO{op([]byte{0xf4, 0x28})}),
			[]telemetry.Reading{
				{Sensor: "baro", Quantity: telemetry.Pressure, Value: 100653.25390625},
				{Sensor: "baro", Quantity: telemetry.Temperature, Value: 25.08},
				{Sensor: "baro", Quantity: telemetry.Humidity, Value: 39.37793},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &closer{Bus: playback(t, tt.ops)}
			s, err := openSensor(t, sensor.Spec{Name: "baro", I2C: sensor.I2C{Bus: "1"}, Params: tt.params}, &env{bus: bus})
			if err != nil {
				t.Fatalf("factory: %v", err)
			}
			rs, err := s.Sense(context.Background())
			if err != nil {
				t.Fatalf("Sense: %v", err)
			}
			if len(rs) != len(tt.want) {
				t.Fatalf("Sense gave %d readings, want %d", len(rs), len(tt.want))
			}
			for i, r := range rs {
				r.Time = tt.want[i].Time
				if r != tt.want[i] {
					t.Errorf("reading %d = %+v, want %+v", i, r, tt.want[i])
				}
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := s.Close(); err != nil || bus.closes != 1 {
				t.Errorf("second Close = %v, bus closed %d times", err, bus.closes)
			}
		})
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
		{"bad oversampling", map[string]string{"oversampling": "32x"}, &env{}, []string{`"baro"`, "bmp280", "oversampling", `"32x"`, `"1x" "2x" "4x" "8x" "16x"`}, false},
		{"unknown param", map[string]string{"filter": "16"}, &env{}, []string{`"baro"`, `"filter"`, "oversampling"}, false},
		{"bus fails", nil, &env{err: errors.New("no bus 7")}, []string{`"baro"`, "no bus 7"}, false},
		{"chip absent", nil, &env{}, []string{`"baro"`, "bmp280", "chip ID"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &closer{Bus: &i2ctest.Playback{DontPanic: true}}
			if tt.env.err == nil {
				tt.env.bus = bus
			}
			s, err := openSensor(t, sensor.Spec{Name: "baro", Params: tt.params}, tt.env)
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
