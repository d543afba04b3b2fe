package sensor_test

import (
	"errors"
	"strings"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

type closeCounting struct {
	i2ctest.Playback
	closed int
}

func (c *closeCounting) Close() error { c.closed++; return nil }

type busEnv struct{ bus *closeCounting }

func (busEnv) OpenSerial(sensor.Serial) (sensor.Port, error) { return nil, errors.New("no serial") }
func (e busEnv) OpenI2C(string) (i2c.BusCloser, error)       { return e.bus, nil }
func (busEnv) Pin(string) (gpio.PinIO, error)                { return nil, errors.New("no pins") }

func TestOpenI2CClosesTheBusWhenTheProbeFails(t *testing.T) {
	bus := &closeCounting{}
	spec := sensor.Spec{Name: "accel", I2C: sensor.I2C{Bus: "1"}}
	_, _, err := sensor.OpenI2C(spec, busEnv{bus}, "adxl345", func(i2c.Bus) (int, error) {
		return 0, errors.New("adxl345: no chip at 0x53")
	})
	if err == nil || !strings.Contains(err.Error(), `sensor "accel": adxl345: no chip at 0x53`) || bus.closed != 1 {
		t.Fatalf("err = %v, bus closed %d times; want the probe's error naming the sensor, and the bus closed", err, bus.closed)
	}
	dev, got, err := sensor.OpenI2C(spec, busEnv{bus}, "adxl345", func(i2c.Bus) (int, error) { return 7, nil })
	if err != nil || dev != 7 || got != bus || bus.closed != 1 {
		t.Fatalf("success: dev %v, bus %v, err %v, closed %d", dev, got, err, bus.closed)
	}
}

func TestChoose(t *testing.T) {
	if v, err := sensor.Choose("4g", []string{"2g", "4g"}, []int{2, 4}); err != nil || v != 4 {
		t.Fatalf("Choose(4g) = %v, %v", v, err)
	}
	if _, err := sensor.Choose("3g", []string{"2g", "4g"}, []int{2, 4}); err == nil || !strings.Contains(err.Error(), `["2g" "4g"]`) {
		t.Fatalf("Choose(3g) error = %v, want the allowed names", err)
	}
}

func TestLookupUnknownDriverNamesTheKnownOnes(t *testing.T) {
	sensor.Register("sensor-test-driver", nil)
	_, err := sensor.Lookup("nope")
	if !errors.Is(err, sensor.ErrUnknownDriver) || !strings.Contains(err.Error(), "sensor-test-driver") {
		t.Fatalf("err = %v", err)
	}
}

func TestCloseOnceRunsCloseOnceAndNamesTheSensor(t *testing.T) {
	var c sensor.CloseOnce
	calls := 0
	fail := func() error { calls++; return errors.New("bus gone") }
	for range 2 {
		if err := c.Do("accel", fail); err == nil || err.Error() != `sensor "accel": close: bus gone` {
			t.Errorf("Do = %v", err)
		}
	}
	if calls != 1 {
		t.Errorf("close ran %d times, want once", calls)
	}
	var ok sensor.CloseOnce
	if err := ok.Do("accel", func() error { return nil }); err != nil {
		t.Errorf("Do of a clean close = %v", err)
	}
}

type serialEnv struct {
	port  *sensortest.Port
	asked []sensor.Serial
	err   error
}

func (e *serialEnv) OpenSerial(s sensor.Serial) (sensor.Port, error) {
	e.asked = append(e.asked, s)
	if e.err != nil {
		return nil, e.err
	}
	return e.port, nil
}
func (*serialEnv) OpenI2C(string) (i2c.BusCloser, error) { return nil, errors.New("no I2C") }
func (*serialEnv) Pin(string) (gpio.PinIO, error)        { return nil, errors.New("no pins") }

func TestOpenSerial(t *testing.T) {
	spec := sensor.Spec{Name: "dust", Serial: sensor.Serial{Port: "/dev/ttyAMA0"}}
	e := &serialEnv{port: &sensortest.Port{}}
	dev, port, err := sensor.OpenSerial(spec, e, "pms5003", 9600, func(sensor.Port) (int, error) { return 7, nil })
	if err != nil || dev != 7 || port != e.port || e.port.Closes != 0 || e.asked[0] != (sensor.Serial{Port: "/dev/ttyAMA0", Baud: 9600}) {
		t.Fatalf("OpenSerial = %v, %v, %v; closed %d times; asked %+v", dev, port, err, e.port.Closes, e.asked)
	}
	spec.Serial.Baud = 115200
	_, _, err = sensor.OpenSerial(spec, e, "pms5003", 9600, func(sensor.Port) (int, error) { return 0, errors.New("pms5003: chip silent") })
	if err == nil || err.Error() != `sensor "dust": pms5003: chip silent` || e.port.Closes != 1 || e.asked[1].Baud != 115200 {
		t.Errorf("probe fails: %v; closed %d times; asked %+v", err, e.port.Closes, e.asked[1])
	}
	e.err = errors.New("no such port")
	_, _, err = sensor.OpenSerial(spec, e, "pms5003", 9600, func(sensor.Port) (int, error) { t.Error("probed without a port"); return 0, nil })
	if err == nil || err.Error() != `sensor "dust": pms5003: open /dev/ttyAMA0: no such port` {
		t.Errorf("port fails: %v", err)
	}
}
