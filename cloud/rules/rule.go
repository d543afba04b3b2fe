package rules

import (
	"fmt"
	"time"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Kind is what a rule watches. The plan files' schema (configs) owns the
// names: the engine runs what the files say, and configs may not import
// cloud (the agent, which reads configs, must never reach cloud code).
type Kind = configs.RuleKind

// Rule kinds.
const (
	// Threshold judges each reading's value.
	Threshold = configs.Threshold
	// Window judges an aggregate of the trailing window (sliding).
	Window = configs.Window
	// Period judges an aggregate of a calendar period in China Standard
	// Time: a period dividing the day (15m, 1h, 24h) is judged once it is
	// complete; the calendar year is judged to date, on every reading.
	Period = configs.Period
	// Rate judges the rate of change over the trailing window, per Per.
	Rate = configs.Rate
	// Event opens when an event quantity (value 1) begins and clears when
	// it ends (value 0).
	Event = configs.Event
	// Silence opens when a stream has had no reading for After.
	Silence = configs.Silence
	// Stuck opens when a stream's value has not moved by more than
	// Tolerance for For.
	Stuck = configs.Stuck
	// Range opens when a value is physically impossible: below Min or
	// above Max.
	Range = configs.Range
)

// Aggregate is how a window or period combines its readings; configs
// owns the names, as it does Kind's.
type Aggregate = configs.Aggregate

// Aggregates.
const (
	Mean = configs.Mean
	Max  = configs.Max
	Min  = configs.Min
)

// Year is the Period of a calendar-year-to-date rule.
const Year time.Duration = -1

// CST is China Standard Time, in which days and years are counted.
var CST = time.FixedZone("CST", 8*3600)

// Rule is one rule of a plan, as the engine runs it.
type Rule struct {
	Plan, ID, Title string
	Kind            Kind
	Quantity        telemetry.Quantity
	// Category, Office and Severity are carried to the alert.
	Category, Office, Severity string
	// From and To bound the rule's force on event time: a reading is
	// judged when From ≤ time < To. Zero means unbounded.
	From, To time.Time

	// Below makes the rule break when the value falls below Limit instead
	// of rising above it. Threshold, Window, Period and Rate rules break
	// when the value is beyond Limit (strictly) and clear once it is back
	// at Clear or on the safe side of it (Clear == Limit: no hysteresis).
	Below bool
	Limit float64
	Clear float64
	// For is how long (event time) the rule must be broken before it
	// opens; ClearFor how long it must be clear before it resolves. For a
	// Stuck rule, For is how long the value must stay put.
	For, ClearFor time.Duration

	Window    time.Duration // Window, Rate: the trailing span
	Period    time.Duration // Period: a divisor of 24h, or Year
	Aggregate Aggregate     // Window, Period: default Mean
	// MinSamples is how many readings a window or period needs before it
	// is judged (default 1).
	MinSamples int
	// Allowed is how many exceeding periods a Period rule tolerates per
	// day before it opens (construction dust: one 15-minute exceedance a
	// day is allowed).
	Allowed int
	// Grace is how long after a period's end, on the collector's clock,
	// its late readings are awaited before it is judged without a reading
	// of the next period. Default 1 minute.
	Grace time.Duration
	Per   time.Duration // Rate: the unit of the rate, default 1h

	After     time.Duration // Silence
	Tolerance float64       // Stuck
	Min, Max  float64       // Range
}

// Buckets is how many buckets a sliding window keeps: a window of W is
// judged at the resolution W/Buckets, which bounds a stream's memory.
const Buckets = 30

// DefaultGrace is the default Rule.Grace.
const DefaultGrace = time.Minute

func (r *Rule) name() string { return r.Plan + "/" + r.ID }

// check validates r and fills its defaults.
func (r *Rule) check() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("rules: %s: %s", r.name(), fmt.Sprintf(format, args...))
	}
	if r.MinSamples < 1 {
		r.MinSamples = 1
	}
	if r.Aggregate == "" {
		r.Aggregate = Mean
	}
	if r.Grace <= 0 {
		r.Grace = DefaultGrace
	}
	if r.Per <= 0 {
		r.Per = time.Hour
	}
	if r.For < 0 || r.ClearFor < 0 {
		return fail("durations must not be negative")
	}
	switch r.Kind {
	case Threshold, Window, Period, Rate:
		if !r.Below && r.Clear > r.Limit || r.Below && r.Clear < r.Limit {
			return fail("clear %v is beyond the limit %v", r.Clear, r.Limit)
		}
	}
	switch r.Kind {
	case Threshold, Event, Range:
	case Window, Rate:
		if r.Window <= 0 {
			return fail("window %v must be positive", r.Window)
		}
	case Period:
		if r.Period != Year && (r.Period <= 0 || (24*time.Hour)%r.Period != 0) {
			return fail("period %v must divide a day, or be a year", r.Period)
		}
	case Silence:
		if r.After <= 0 {
			return fail("after %v must be positive", r.After)
		}
	case Stuck:
		if r.For <= 0 {
			return fail("for %v must be positive", r.For)
		}
	default:
		return fail("unknown kind %q", r.Kind)
	}
	switch r.Aggregate {
	case Mean, Max, Min:
	default:
		return fail("unknown aggregate %q", r.Aggregate)
	}
	if r.Kind == Range && !(r.Min < r.Max) {
		return fail("min %v must be below max %v", r.Min, r.Max)
	}
	return nil
}

// inForce reports whether the rule judges a reading taken at t.
func (r *Rule) inForce(t time.Time) bool {
	return (r.From.IsZero() || !t.Before(r.From)) && (r.To.IsZero() || t.Before(r.To))
}

// breaks and clears judge a value against the limit and the clear edge.
func (r *Rule) breaks(v float64) bool {
	if r.Below {
		return v < r.Limit
	}
	return v > r.Limit
}

func (r *Rule) clears(v float64) bool {
	if r.Below {
		return v >= r.Clear
	}
	return v <= r.Clear
}

// lookback is how far before a late reading a retrospective replay must
// start to rebuild the state that judges it.
func (r *Rule) lookback() time.Duration {
	d := max(r.For, r.ClearFor)
	switch r.Kind {
	case Window, Rate:
		d += r.Window
	case Period:
		if r.Period == Year {
			d += 366 * 24 * time.Hour
		} else {
			d += max(r.Period, 24*time.Hour) // the day's exceedance count
		}
	}
	return d
}
