package sensortest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Open builds driver's sensor from spec on env through the registry, as
// the agent does. The test fails at once when no such driver is
// registered.
func Open(t testing.TB, driver string, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
	t.Helper()
	f, err := sensor.Lookup(driver)
	if err != nil {
		t.Fatal(err)
	}
	return f(context.Background(), spec, env)
}

// MustOpen is Open for a spec and board the factory must accept.
func MustOpen(t testing.TB, driver string, spec sensor.Spec, env sensor.Env) sensor.Sensor {
	t.Helper()
	s, err := Open(t, driver, spec, env)
	if err != nil {
		t.Fatalf("factory: %v", err)
	}
	return s
}

// Want is a reading a test expects, but for its sensor and time.
type Want struct {
	Quantity telemetry.Quantity
	Value    float64
	Quality  telemetry.Quality // the zero value is Good
	// Within is how far the value may be from Value, for values computed
	// in floating point; zero means exactly.
	Within float64
}

// CheckReadings compares readings with want, in order: quantity, value
// and quality as wanted, every reading from sensorName with no flags, and
// stamped between before and after, the times around the Sense call.
func CheckReadings(t testing.TB, got []telemetry.Reading, want []Want, sensorName string, before, after time.Time) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("Sense = %+v, want %+v", got, want)
	}
	for i, r := range got {
		w := want[i]
		if r.Sensor != sensorName || r.Quantity != w.Quantity || r.Quality != w.Quality || r.Flags != 0 ||
			!(r.Value == w.Value || math.Abs(r.Value-w.Value) < w.Within) {
			t.Errorf("reading %d = %+v, want %s = %v%s, quality %v, from %s", i, r, w.Quantity, w.Value, within(w.Within), w.Quality, sensorName)
		}
		if r.Time.Before(before) || r.Time.After(after) {
			t.Errorf("reading %d time %v outside the Sense call [%v, %v]", i, r.Time, before, after)
		}
	}
}

// CheckSense takes one sample, failing the test on error, and checks it
// with CheckReadings against the times around the call.
func CheckSense(t testing.TB, s sensor.Sensor, sensorName string, want ...Want) []telemetry.Reading {
	t.Helper()
	before := time.Now()
	rs, err := s.Sense(context.Background())
	if err != nil {
		t.Fatalf("Sense: %v", err)
	}
	CheckReadings(t, rs, want, sensorName, before, time.Now())
	return rs
}

// CheckCloseOnce closes s twice: both must succeed, and the port or bus
// must have been closed exactly once, as closes counts (nil when there is
// nothing to count, as for GPIO pins).
func CheckCloseOnce(t testing.TB, s sensor.Sensor, closes func() int) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if closes != nil && closes() != 1 {
		t.Errorf("after two Closes, the port or bus was closed %d times, want once", closes())
	}
}

// CheckSenseCanceled checks that Sense with an ended context returns the
// context's error.
func CheckSenseCanceled(t testing.TB, s sensor.Sensor) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Sense(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Sense with an ended ctx = %v, want context.Canceled", err)
	}
}

// CheckOpenCanceled checks that driver's factory, given an ended context,
// returns the context's error.
func CheckOpenCanceled(t testing.TB, driver string, spec sensor.Spec, env sensor.Env) {
	t.Helper()
	f, err := sensor.Lookup(driver)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if s, err := f(ctx, spec, env); !errors.Is(err, context.Canceled) {
		if s != nil {
			s.Close()
		}
		t.Errorf("factory with an ended ctx = %v, want context.Canceled", err)
	}
}

// ErrorCase is a spec or a board that a driver's factory must refuse.
type ErrorCase struct {
	Name   string
	Params map[string]string // the spec's params
	Pins   map[string]string // the spec's pins, when not nil
	Env    *Env              // the board; nil means a fresh one from RunErrorCases's board
	Want   []string          // each must be in the error text
	// Closed: the factory opened the port or bus and must have closed it,
	// once. Otherwise it must have opened none (a failed open aside).
	Closed bool
}

// RunErrorCases runs each case as a subtest: it opens driver with spec,
// its params and pins replaced by the case's, on the case's board (or on
// board(), or on an empty board when board is nil) and checks that the
// factory fails with an error that mentions every Want, and what it
// opened and closed.
func RunErrorCases(t *testing.T, driver string, spec sensor.Spec, board func() *Env, cases []ErrorCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			env := c.Env
			switch {
			case env != nil:
			case board != nil:
				env = board()
			default:
				env = &Env{}
			}
			spec := spec
			spec.Params = c.Params
			if c.Pins != nil {
				spec.Pins = c.Pins
			}
			s, err := Open(t, driver, spec, env)
			if err == nil {
				s.Close()
				t.Fatal("factory succeeded")
			}
			t.Log(err)
			for _, w := range c.Want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
			want := 0
			if c.Closed {
				want = 1
			}
			if env.Opened != want || env.closes() != want {
				t.Errorf("opened the port or bus %d times and closed it %d times, want %d and %d", env.Opened, env.closes(), want, want)
			}
		})
	}
}

func within(d float64) string {
	if d == 0 {
		return ""
	}
	return fmt.Sprintf(" ± %g", d)
}

// CheckErr checks the error of a call that must fail (what names the
// call in messages): it wraps is, unless is is nil, and its text starts
// with the driver's prefix (e.g. "bmp280: ") and mentions says.
func CheckErr(t testing.TB, what string, err, is error, prefix, says string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded", what)
	}
	if is != nil && !errors.Is(err, is) {
		t.Errorf("%s = %v, want %v", what, err, is)
	}
	if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), says) {
		t.Errorf("%s = %q, want %s… %s", what, err, prefix, says)
	}
}
