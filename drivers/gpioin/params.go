package gpioin

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/xiuhua/xiuhua/drivers/sensor"
)

// Params reads the params the GPIO drivers share from a spec. Errors name
// the sensor, the driver, the param and the values it allows.
type Params struct {
	Spec   sensor.Spec
	Driver string
}

// Errorf returns an error about param name.
func (p Params) Errorf(name, format string, args ...any) error {
	return fmt.Errorf("sensor %q: %s: param %s=%q: %s", p.Spec.Name, p.Driver, name, p.Spec.Params[name], fmt.Sprintf(format, args...))
}

// Check rejects params the driver does not know, which are most likely
// misspelt.
func (p Params) Check(known ...string) error {
	var bad []string
	for k := range p.Spec.Params {
		if !slices.Contains(known, k) {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	known = slices.Clone(known)
	sort.Strings(known)
	return fmt.Errorf("sensor %q: %s: unknown param %s (it has %s)", p.Spec.Name, p.Driver, strings.Join(bad, ", "), strings.Join(known, ", "))
}

// Pull reads a pull resistor: "up", "down" or "none".
func (p Params) Pull(name string, def gpio.Pull) (gpio.Pull, error) {
	v, ok := p.Spec.Params[name]
	if !ok {
		return def, nil
	}
	switch v {
	case "up":
		return gpio.PullUp, nil
	case "down":
		return gpio.PullDown, nil
	case "none":
		return gpio.Float, nil
	}
	return 0, p.Errorf(name, `want "up", "down" or "none"`)
}

// Level reads a logic level: "high" or "low".
func (p Params) Level(name string, def gpio.Level) (gpio.Level, error) {
	v, ok := p.Spec.Params[name]
	if !ok {
		return def, nil
	}
	switch v {
	case "high":
		return gpio.High, nil
	case "low":
		return gpio.Low, nil
	}
	return false, p.Errorf(name, `want "high" or "low"`)
}

// Duration reads a duration such as "50ms", between min and max.
func (p Params) Duration(name string, def, min, max time.Duration) (time.Duration, error) {
	v, ok := p.Spec.Params[name]
	if !ok {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min || d > max {
		return 0, p.Errorf(name, "want a duration from %v to %v, e.g. %q", min, max, def.String())
	}
	return d, nil
}

// Debounce reads the "debounce" param that every GPIO driver has.
func (p Params) Debounce() (time.Duration, error) {
	return p.Duration("debounce", DefaultDebounce, time.Millisecond, 10*time.Second)
}

// LevelName is "high" or "low", as params spell levels.
func LevelName(l gpio.Level) string {
	if l {
		return "high"
	}
	return "low"
}
