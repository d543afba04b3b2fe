package ultrasonic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// DefaultBaud is the boards' line rate, used when a spec gives none.
const DefaultBaud = 9600

// DefaultSamples is how many echoes a Sense takes the median of when the
// spec's params do not say.
const DefaultSamples = 5

// maxSamples bounds the samples param: at ~100 ms a frame, 50 echoes
// already take 5 s.
const maxSamples = 50

func init() {
	sensor.Register("ultrasonic", open)
	sensor.RegisterDecoder("ultrasonic", decode)
}

// params are the factory's params and what each accepts.
var params = map[string]string{
	"checksum":          `"sum" or "sum-no-header"`,
	"trigger":           `"true" or "false"`,
	"trigger_byte":      "a byte such as 0x55 or 0x01",
	"min_mm":            "a distance in mm from 0 to 65535, below max_mm",
	"max_mm":            "a distance in mm from 0 to 65535, above min_mm",
	"samples":           fmt.Sprintf("a whole number of echoes from 1 to %d", maxSamples),
	"mounting_height_m": "the height of the sensor face in the station's datum, in metres, above 0 and at most 1000",
}

// config is what a spec's params say.
type config struct {
	opts    Opts
	samples int
	height  physic.Distance // 0: no water level
}

func parseParams(p map[string]string) (config, error) {
	c := config{samples: DefaultSamples, opts: Opts{Min: DefaultMin, Max: DefaultMax}}
	fail := func(k string) error {
		return fmt.Errorf("ultrasonic: param %s=%q: want %s", k, p[k], params[k])
	}
	for k := range p {
		if _, ok := params[k]; !ok {
			return c, fmt.Errorf("ultrasonic: unknown param %q (known: %s)", k, known())
		}
	}
	if v, ok := p["checksum"]; ok {
		switch v {
		case "sum":
			c.opts.Checksum = SumWithHeader
		case "sum-no-header":
			c.opts.Checksum = SumNoHeader
		default:
			return c, fail("checksum")
		}
	}
	if v, ok := p["trigger"]; ok {
		if v != "true" && v != "false" {
			return c, fail("trigger")
		}
		c.opts.Trigger = v == "true"
	}
	if v, ok := p["trigger_byte"]; ok {
		b, err := strconv.ParseUint(v, 0, 8)
		if err != nil {
			return c, fail("trigger_byte")
		}
		c.opts.TriggerByte = byte(b)
	}
	mm := func(k string, dst *physic.Distance) error {
		v, ok := p[k]
		if !ok {
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f >= 0 && f <= math.MaxUint16) {
			return fail(k)
		}
		*dst = physic.Distance(math.Round(f * float64(physic.MilliMetre)))
		return nil
	}
	if err := mm("min_mm", &c.opts.Min); err != nil {
		return c, err
	}
	if err := mm("max_mm", &c.opts.Max); err != nil {
		return c, err
	}
	if c.opts.Max <= c.opts.Min {
		k := "max_mm"
		if _, ok := p[k]; !ok {
			k = "min_mm"
		}
		return c, fail(k)
	}
	if v, ok := p["samples"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxSamples {
			return c, fail("samples")
		}
		c.samples = n
	}
	if v, ok := p["mounting_height_m"]; ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0 && f <= 1000) {
			return c, fail("mounting_height_m")
		}
		c.height = physic.Distance(math.Round(f * float64(physic.Metre)))
	}
	return c, nil
}

func known() string {
	k := make([]string, 0, len(params))
	for n := range params {
		k = append(k, n)
	}
	sort.Strings(k)
	return strings.Join(k, ", ")
}

// open is the registry factory; see the package doc for the params.
func open(ctx context.Context, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := parseParams(spec.Params)
	if err != nil {
		return nil, fmt.Errorf("sensor %q: %w", spec.Name, err)
	}
	dev, port, err := sensor.OpenSerial(spec, env, "ultrasonic", DefaultBaud, func(port sensor.Port) (*Dev, error) { return New(port, &c.opts) })
	if err != nil {
		return nil, err
	}
	return &level{name: spec.Name, dev: dev, port: port, cfg: c, now: time.Now}, nil
}

// level is a registered ultrasonic sensor: a Dev plus the port it owns.
type level struct {
	name string
	dev  *Dev
	port sensor.Port
	cfg  config
	now  func() time.Time

	closed sensor.CloseOnce
}

var _ sensor.Sensor = (*level)(nil)

// Sense takes the median of the configured number of echoes and returns
// it as Distance in mm and, when a mounting height is configured, as
// WaterLevel in metres. A median outside the configured range is returned
// as telemetry.Suspect, never dropped.
func (s *level) Sense(ctx context.Context) ([]telemetry.Reading, error) {
	m, err := s.dev.measure(ctx, s.cfg.samples)
	if err != nil {
		return nil, err
	}
	t := s.now()
	q := telemetry.Good
	if !m.InRange {
		q = telemetry.Suspect
	}
	rs := []telemetry.Reading{{
		Sensor: s.name, Quantity: telemetry.Distance, Time: t, Quality: q,
		Value: float64(m.Distance) / float64(physic.MilliMetre),
	}}
	if s.cfg.height > 0 {
		rs = append(rs, telemetry.Reading{
			Sensor: s.name, Quantity: telemetry.WaterLevel, Time: t, Quality: q,
			Value: float64(s.cfg.height-m.Distance) / float64(physic.Metre),
		})
	}
	return rs, nil
}

// Close closes the port. The boards have nothing to halt.
func (s *level) Close() error {
	return s.closed.Do(s.name, func() error { return errors.Join(s.dev.Halt(), s.port.Close()) })
}

func (s *level) String() string { return s.name + " (" + s.dev.String() + ")" }
