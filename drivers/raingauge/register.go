package raingauge

import (
	"context"
	"math"
	"strconv"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/gpioin"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

func init() { sensor.Register("raingauge", open) }

// open is the registry factory; see the package doc for the params.
func open(ctx context.Context, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
	dev, err := gpioin.Open(ctx, spec, env, parseParams, New)
	if err != nil {
		return nil, err
	}
	return &gauge{name: spec.Name, dev: dev, now: time.Now}, nil
}

func parseParams(spec sensor.Spec) (Opts, error) {
	p := gpioin.Params{Spec: spec, Driver: "raingauge"}
	if err := p.Check("bucket_mm", "edge", "pull", "debounce"); err != nil {
		return Opts{}, err
	}
	o := DefaultOpts
	if v, ok := spec.Params["bucket_mm"]; ok {
		mm, err := strconv.ParseFloat(v, 64)
		if err != nil || !(mm > 0 && mm <= 10) {
			return Opts{}, p.Errorf("bucket_mm", "want the rain per tip in mm, above 0 and at most 10, e.g. 0.2")
		}
		o.Bucket = physic.Distance(math.Round(mm * float64(physic.MilliMetre)))
	}
	switch v := spec.Param("edge", "falling"); v {
	case "falling":
		o.Edge = gpio.FallingEdge
	case "rising":
		o.Edge, o.Pull = gpio.RisingEdge, gpio.PullDown
	default:
		return Opts{}, p.Errorf("edge", `want "falling" or "rising"`)
	}
	var err error
	if o.Pull, err = p.Pull("pull", o.Pull); err != nil {
		return Opts{}, err
	}
	if o.Debounce, err = p.Debounce(); err != nil {
		return Opts{}, err
	}
	return o, nil
}

// gauge is a registered rain gauge.
type gauge struct {
	name string
	dev  *Dev
	now  func() time.Time

	closed sensor.CloseOnce
}

var _ sensor.Sensor = (*gauge)(nil)

// Sense returns the rain since the previous Sense. It never blocks.
func (g *gauge) Sense(ctx context.Context) ([]telemetry.Reading, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	_, rain := g.dev.Take()
	return []telemetry.Reading{{
		Sensor:   g.name,
		Quantity: telemetry.Rainfall,
		Value:    float64(rain) / float64(physic.MilliMetre),
		Time:     g.now(),
		Quality:  telemetry.Good,
	}}, nil
}

// Close stops counting and turns the pin's edge detection off.
func (g *gauge) Close() error {
	return g.closed.Do(g.name, g.dev.Halt)
}

func (g *gauge) String() string { return g.name + " (" + g.dev.String() + ")" }
