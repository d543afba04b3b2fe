package sds011

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// DefaultBaud is the chip's fixed line rate, used when a spec gives none.
const DefaultBaud = 9600

// WarmUp is how long after waking the chip's readings are marked
// telemetry.Warming: the datasheet calls data stable 30 s after the fan
// starts.
const WarmUp = 30 * time.Second

func init() {
	sensor.Register("sds011", open)
	sensor.RegisterDecoder("sds011", decode)
}

// params are the factory's params and what each accepts.
var params = map[string]string{
	"mode":   `"active" or "query"`,
	"period": "a whole number of minutes from 0 (continuous) to 30",
}

// parseParams turns a spec's params into Opts.
func parseParams(p map[string]string) (Opts, error) {
	var o Opts
	for k := range p {
		if _, ok := params[k]; !ok {
			return o, fmt.Errorf("sds011: unknown param %q (known: %s)", k, known())
		}
	}
	switch v := paramOr(p, "mode", "query"); v {
	case "query":
		o.Mode = Query
	case "active":
		o.Mode = Active
	default:
		return o, fmt.Errorf("sds011: param mode=%q: want %s", v, params["mode"])
	}
	if v, ok := p["period"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxPeriod {
			return o, fmt.Errorf("sds011: param period=%q: want %s", v, params["period"])
		}
		o.Period = n
	}
	return o, nil
}

func paramOr(p map[string]string, k, def string) string {
	if v, ok := p[k]; ok {
		return v
	}
	return def
}

func known() string {
	k := make([]string, 0, len(params))
	for n := range params {
		k = append(k, n)
	}
	sort.Strings(k)
	return strings.Join(k, ", ")
}

// open is the registry factory. Params: "mode" = "query" (default) or
// "active"; "period" = working period in minutes, 0 (default) to 30.
func open(ctx context.Context, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o, err := parseParams(spec.Params)
	if err != nil {
		return nil, fmt.Errorf("sensor %q: %w", spec.Name, err)
	}
	dev, port, err := sensor.OpenSerial(spec, env, "sds011", DefaultBaud, func(port sensor.Port) (*Dev, error) { return New(port, &o) })
	if err != nil {
		return nil, err
	}
	now := time.Now
	return &dust{name: spec.Name, dev: dev, port: port, now: now, warm: now().Add(WarmUp)}, nil
}

// dust is a registered SDS011: a Dev plus the port it owns.
type dust struct {
	name string
	dev  *Dev
	port sensor.Port
	now  func() time.Time
	warm time.Time // readings before this are Warming

	closed sensor.CloseOnce
}

var _ sensor.Sensor = (*dust)(nil)

// Sense reads one frame and returns its PM2.5 and PM10 in µg/m³. Values
// above the chip's range are returned as telemetry.Suspect; values in the
// first 30 s after New woke the chip as telemetry.Warming. ctx is checked
// between reads of the port; a read in progress runs to the port's
// timeout.
func (s *dust) Sense(ctx context.Context) ([]telemetry.Reading, error) {
	f, err := s.dev.read(ctx)
	if err != nil {
		return nil, err
	}
	t := s.now()
	q := telemetry.Good
	switch {
	case !f.InRange():
		q = telemetry.Suspect
	case t.Before(s.warm):
		q = telemetry.Warming
	}
	r := func(qty telemetry.Quantity, v uint16) telemetry.Reading {
		return telemetry.Reading{Sensor: s.name, Quantity: qty, Value: float64(v) / 10, Time: t, Quality: q}
	}
	return []telemetry.Reading{r(telemetry.PM2_5, f.PM2_5), r(telemetry.PM10, f.PM10)}, nil
}

// Close puts the chip to sleep and closes the port, even when the sleep
// command fails.
func (s *dust) Close() error {
	return s.closed.Do(s.name, func() error { return errors.Join(s.dev.Halt(), s.port.Close()) })
}

func (s *dust) String() string { return s.name + " (" + s.dev.String() + ")" }
