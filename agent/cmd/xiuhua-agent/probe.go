package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// probe reads each configured sensor once: what an engineer on site runs
// to see that the wiring and the config agree. It prints one JSON object
// per reading on stdout and one line per failing sensor on stderr, and
// exits 1 if any sensor failed.
func probe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xiuhua-agent probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "/etc/xiuhua/agent.yaml", "agent config `file`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, ok := loadConfig("xiuhua-agent probe", *cfgPath, stderr)
	if !ok {
		return 2
	}
	enc := json.NewEncoder(stdout)
	failed := 0
	for _, s := range cfg.Sensors {
		spec := sensor.Spec{
			Name: s.Name, Driver: s.Driver, Params: s.Params, Interval: s.Interval.D(),
			Serial: sensor.Serial{Port: s.Serial.Port, Baud: s.Serial.Baud},
			I2C:    sensor.I2C{Bus: s.I2C.Bus, Addr: uint16(s.I2C.Address)},
			Pins:   s.Pins,
		}
		rs, err := probeOne(spec, s.Timeout.D())
		if err != nil {
			failed++
			fmt.Fprintf(stderr, "%s (%s): %v\n", s.Name, s.Driver, err)
			continue
		}
		for _, r := range rs {
			enc.Encode(probeLine{Sensor: s.Name, Driver: s.Driver, Quantity: r.Quantity, Value: r.Value,
				Unit: r.Quantity.Unit(), Quality: r.Quality, Time: r.Time})
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}

type probeLine struct {
	Sensor   string             `json:"sensor"`
	Driver   string             `json:"driver"`
	Quantity telemetry.Quantity `json:"quantity"`
	Value    float64            `json:"value"`
	Unit     string             `json:"unit"`
	Quality  telemetry.Quality  `json:"quality"`
	Time     time.Time          `json:"time"`
}

func probeOne(spec sensor.Spec, timeout time.Duration) ([]telemetry.Reading, error) {
	f, err := sensor.Lookup(spec.Driver)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+5*time.Second)
	defer cancel()
	dev, err := f(ctx, spec, hostEnv{})
	if err != nil {
		return nil, err
	}
	defer dev.Close()
	sctx, scancel := context.WithTimeout(ctx, max(timeout, time.Second))
	defer scancel()
	return dev.Sense(sctx)
}
