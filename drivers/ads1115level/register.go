package ads1115level

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

func init() { sensor.Register("ads1115level", open) }

var knownParams = []string{"channel", "high", "low", "offset", "quantity", "range_v", "rate", "scale", "shunt_ohms"}

// config is what the params say.
type config struct {
	opts          Opts
	span          Span
	q             telemetry.Quantity
	scale, offset float64
}

// open is the registry factory; see the package doc for the params.
func open(ctx context.Context, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := parseParams(spec)
	if err != nil {
		return nil, err
	}
	dev, bus, err := sensor.OpenI2C(spec, env, "ads1115level", func(bus i2c.Bus) (*Dev, error) { return New(bus, spec.I2C.Addr, &cfg.opts) })
	if err != nil {
		return nil, err
	}
	return &level{name: spec.Name, cfg: cfg, dev: dev, bus: bus, now: time.Now}, nil
}

func parseParams(spec sensor.Spec) (config, error) {
	bad := func(name, want string) error {
		return fmt.Errorf("sensor %q: ads1115level: param %s=%q: want %s", spec.Name, name, spec.Params[name], want)
	}
	var unknown []string
	for k := range spec.Params {
		if !slices.Contains(knownParams, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return config{}, fmt.Errorf("sensor %q: ads1115level: unknown param %s (it has %s)", spec.Name, strings.Join(unknown, ", "), strings.Join(knownParams, ", "))
	}
	num := func(name string, def float64, ok func(float64) bool, want string) (float64, error) {
		v, set := spec.Params[name]
		if !set {
			return def, nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || !ok(f) {
			return 0, bad(name, want)
		}
		return f, nil
	}
	anyNum := func(float64) bool { return true }
	cfg := config{q: telemetry.WaterLevel}
	var err error
	for _, name := range []string{"low", "high"} {
		if _, set := spec.Params[name]; !set {
			return config{}, fmt.Errorf("sensor %q: ads1115level: param %s is required: the value at %s mA, in the quantity's unit", spec.Name, name, map[string]string{"low": "4", "high": "20"}[name])
		}
	}
	if cfg.span.Low, err = num("low", 0, anyNum, "a number"); err != nil {
		return config{}, err
	}
	if cfg.span.High, err = num("high", 0, func(f float64) bool { return f != cfg.span.Low }, "a number other than low"); err != nil {
		return config{}, err
	}
	if v, ok := spec.Params["quantity"]; ok {
		if cfg.q = telemetry.Quantity(v); !measured(cfg.q) {
			var names []string
			for _, q := range telemetry.Quantities() {
				if measured(q) {
					names = append(names, string(q))
				}
			}
			return config{}, bad("quantity", "one of "+strings.Join(names, ", "))
		}
	}
	ch, err := num("channel", 0, func(f float64) bool { return f == 0 || f == 1 || f == 2 || f == 3 }, "0, 1, 2 or 3")
	if err != nil {
		return config{}, err
	}
	cfg.opts.Channel = int(ch)
	ohms, err := num("shunt_ohms", 150, func(f float64) bool { return f >= 1 && f <= 1000 }, "the shunt in Ω, 1–1000, e.g. 150")
	if err != nil {
		return config{}, err
	}
	cfg.opts.Shunt = physic.ElectricResistance(math.Round(ohms * float64(physic.Ohm)))
	volts, err := num("range_v", 0, func(f float64) bool {
		return slices.Contains(Ranges[:], physic.ElectricPotential(math.Round(f*float64(physic.Volt))))
	}, "6.144, 4.096, 2.048, 1.024, 0.512 or 0.256")
	if err != nil {
		return config{}, err
	}
	cfg.opts.Range = physic.ElectricPotential(math.Round(volts * float64(physic.Volt)))
	rate, err := num("rate", DefaultRate, func(f float64) bool { return slices.Contains(Rates[:], int(f)) && f == math.Trunc(f) }, "8, 16, 32, 64, 128, 250, 475 or 860")
	if err != nil {
		return config{}, err
	}
	cfg.opts.Rate = int(rate)
	if cfg.scale, err = num("scale", 1, func(f float64) bool { return f != 0 }, "a non-zero number"); err != nil {
		return config{}, err
	}
	if cfg.offset, err = num("offset", 0, anyNum, "a number"); err != nil {
		return config{}, err
	}
	if v := voltage(rangeCurrent, cfg.opts.Shunt); cfg.opts.Range == 0 && v > Ranges[0] {
		return config{}, bad("shunt_ohms", fmt.Sprintf("at most %.0f Ω: 22 mA across it must fit the ADS1115's largest range, 6.144 V", float64(Ranges[0])/float64(rangeCurrent)))
	}
	return cfg, nil
}

// measured reports whether a transmitter's value can be of quantity q:
// a known measurement other than the loop current itself.
func measured(q telemetry.Quantity) bool {
	return q.Unit() != "" && !q.IsEvent() && q != telemetry.LoopCurrent
}

// level is a registered 4–20 mA transmitter: a Dev and the bus handle it
// owns.
type level struct {
	name string
	cfg  config
	dev  *Dev
	bus  i2c.BusCloser
	now  func() time.Time

	closed sensor.CloseOnce
}

var _ sensor.Sensor = (*level)(nil)

// Sense converts once and returns the value and the loop current, with
// the quality NAMUR NE 43 gives the current.
func (l *level) Sense(ctx context.Context) ([]telemetry.Reading, error) {
	s, err := l.dev.Read(ctx)
	if err != nil {
		return nil, err
	}
	t, q := l.now(), s.Status.Quality()
	v := l.cfg.span.Value(s.Current)*l.cfg.scale + l.cfg.offset
	return []telemetry.Reading{
		{Sensor: l.name, Quantity: l.cfg.q, Value: v, Time: t, Quality: q},
		{Sensor: l.name, Quantity: telemetry.LoopCurrent, Value: MilliAmps(s.Current), Time: t, Quality: q},
	}, nil
}

// Close releases the bus handle.
func (l *level) Close() error {
	return l.closed.Do(l.name, func() error { return errors.Join(l.dev.Halt(), l.bus.Close()) })
}

func (l *level) String() string { return l.name + " (" + l.dev.String() + ")" }
