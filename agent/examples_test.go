package agent

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"

	"github.com/xiuhua/xiuhua/configs"
	_ "github.com/xiuhua/xiuhua/drivers/all"
	"github.com/xiuhua/xiuhua/drivers/sensor"
)

var errNoHardware = errors.New("test: no hardware here")

// noHardware is a board with nothing connected.
type noHardware struct{}

func (noHardware) OpenSerial(sensor.Serial) (sensor.Port, error) { return nil, errNoHardware }
func (noHardware) OpenI2C(string) (i2c.BusCloser, error)         { return nil, errNoHardware }
func (noHardware) Pin(string) (gpio.PinIO, error)                { return nil, errNoHardware }

// Every example config names registered drivers with params they accept:
// each factory gets as far as reaching for its hardware.
func TestExampleConfigsMatchTheDrivers(t *testing.T) {
	files, err := filepath.Glob("../configs/examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example configs: %v", err)
	}
	for _, f := range files {
		if filepath.Base(f) == "collector.yaml" {
			continue
		}
		cfg, err := configs.LoadAgent(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		a, err := New(cfg, noHardware{}, Opts{})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for i, s := range a.samplers {
			spec := a.specs[i]
			open, _ := sensor.Lookup(spec.Driver)
			dev, err := open(context.Background(), spec, noHardware{})
			if err == nil {
				dev.Close()
				t.Errorf("%s: sensor %s opened with no hardware", f, s.Name())
				continue
			}
			if !errors.Is(err, errNoHardware) {
				t.Errorf("%s: sensor %s (%s): %v", f, s.Name(), spec.Driver, err)
			}
		}
	}
}
