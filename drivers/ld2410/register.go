package ld2410

import (
	"context"
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// DefaultBaud is the radar's factory line rate, used when a spec gives
// none.
const DefaultBaud = 256000

func init() {
	sensor.Register("ld2410", open)
	sensor.RegisterDecoder("ld2410", decode)
}

// checkParams refuses params: the driver takes none.
func checkParams(p map[string]string) error {
	for k := range p {
		return fmt.Errorf("ld2410: unknown param %q (the driver takes no params)", k)
	}
	return nil
}

// open is the registry factory. The driver takes no params.
func open(ctx context.Context, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkParams(spec.Params); err != nil {
		return nil, fmt.Errorf("sensor %q: %w", spec.Name, err)
	}
	dev, port, err := sensor.OpenSerial(spec, env, "ld2410", DefaultBaud, func(port sensor.Port) (*Dev, error) { return New(port, nil) })
	if err != nil {
		return nil, err
	}
	return &presence{name: spec.Name, dev: dev, port: port, now: time.Now}, nil
}

// presence is a registered LD2410: a Dev plus the port it owns.
type presence struct {
	name string
	dev  *Dev
	port sensor.Port
	now  func() time.Time

	closed sensor.CloseOnce
}

var _ sensor.Sensor = (*presence)(nil)

// Sense reads one report and returns Presence (the target state, 0–3)
// and, when a target is there, Distance in mm to the nearest one, marked
// telemetry.Suspect when beyond the radar's range.
func (s *presence) Sense(ctx context.Context) ([]telemetry.Reading, error) {
	r, err := s.dev.read(ctx)
	if err != nil {
		return nil, err
	}
	t := s.now()
	rs := []telemetry.Reading{{Sensor: s.name, Quantity: telemetry.Presence, Value: float64(r.State), Time: t}}
	if d, ok := r.Nearest(); ok {
		q := telemetry.Good
		if !s.dev.InRange(r) {
			q = telemetry.Suspect
		}
		rs = append(rs, telemetry.Reading{
			Sensor: s.name, Quantity: telemetry.Distance, Time: t, Quality: q,
			Value: float64(d) / float64(physic.MilliMetre),
		})
	}
	return rs, nil
}

// Close closes the port. The radar has nothing to halt.
func (s *presence) Close() error {
	return s.closed.Do(s.name, func() error { return errors.Join(s.dev.Halt(), s.port.Close()) })
}

func (s *presence) String() string { return s.name + " (" + s.dev.String() + ")" }
