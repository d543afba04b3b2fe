package aqi

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// CST is China Standard Time, UTC+8 all year: the zone of HJ 633's days and
// dates of effect.
var CST = time.FixedZone("CST", 8*60*60)

// Day returns the midnight, in CST, that starts the CST calendar day
// holding t. 15:00 UTC is 23:00 CST the same day; 16:00 UTC is the next
// day's midnight.
func Day(t time.Time) time.Time {
	t = t.In(CST)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, CST)
}

// Errors. Wrapped with the table, pollutant or day they are about; test
// them with errors.Is.
var (
	// ErrInvalidTable: a Table or Set fails Validate.
	ErrInvalidTable = errors.New("aqi: invalid table")
	// ErrNoTable: no table of the Set is in force on the day.
	ErrNoTable = errors.New("aqi: no table in force")
	// ErrAmbiguous: more than one table of the Set is in force on the day.
	ErrAmbiguous = errors.New("aqi: more than one table in force")
	// ErrPollutant: the table has no breakpoints for the pollutant.
	ErrPollutant = errors.New("aqi: pollutant not in table")
	// ErrConcentration: a concentration is negative, NaN or infinite.
	ErrConcentration = errors.New("aqi: bad concentration")
	// ErrNoPollutants: DailyAQI was given no daily mean.
	ErrNoPollutants = errors.New("aqi: no pollutant")
)

// Breakpoint is one row of HJ 633's table for one pollutant: the
// concentration (µg/m³ for particulates, in the unit of the pollutant's
// telemetry.Quantity) at which the individual index is IAQI.
type Breakpoint struct {
	Conc float64 `json:"conc"`
	IAQI float64 `json:"iaqi"`
}

// Table is one edition of HJ 633's 24-hour breakpoints, in force on the
// CST days in [From, To).
type Table struct {
	// Name identifies the edition in reports, e.g. "HJ 633-2012".
	// Required; unique in a Set.
	Name string `json:"name"`
	// From and To bound the days the table is in force: From inclusive,
	// To exclusive, each the midnight (CST) that starts a day. The zero
	// time means no bound.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Pollutants holds each pollutant's breakpoints by ascending
	// concentration. The first is {0, 0}; concentrations and indexes
	// strictly increase; at least two points. Above the last
	// concentration the index stays at the last IAQI (the top of the
	// scale, 500 in HJ 633).
	Pollutants map[telemetry.Quantity][]Breakpoint `json:"pollutants"`
}

// Validate checks that t is usable: a name, at least one pollutant, each
// with a well-formed breakpoint list, and dates of effect that are CST
// midnights in order.
func (t *Table) Validate() error {
	if t.Name == "" {
		return fmt.Errorf("%w: no name", ErrInvalidTable)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidTable, t.Name, fmt.Sprintf(format, args...))
	}
	for _, b := range []struct {
		name string
		t    time.Time
	}{{"from", t.From}, {"to", t.To}} {
		if !b.t.IsZero() && !b.t.Equal(Day(b.t)) {
			return bad("%s %v is not midnight CST", b.name, b.t)
		}
	}
	if !t.From.IsZero() && !t.To.IsZero() && !t.From.Before(t.To) {
		return bad("to %v is not after from %v", t.To.In(CST), t.From.In(CST))
	}
	if len(t.Pollutants) == 0 {
		return bad("no pollutant")
	}
	for _, q := range sortedKeys(t.Pollutants) {
		bps := t.Pollutants[q]
		if q == "" {
			return bad("a pollutant has no name")
		}
		if len(bps) < 2 {
			return bad("%s: %d breakpoints, need at least 2", q, len(bps))
		}
		if bps[0] != (Breakpoint{}) {
			return bad("%s: first breakpoint is %v, must be {0 0}", q, bps[0])
		}
		for i, b := range bps {
			if !finite(b.Conc) || !finite(b.IAQI) {
				return bad("%s: breakpoint %d %v is not finite", q, i, b)
			}
			if i > 0 && (b.Conc <= bps[i-1].Conc || b.IAQI <= bps[i-1].IAQI) {
				return bad("%s: breakpoint %d %v does not rise above %v", q, i, b, bps[i-1])
			}
		}
	}
	return nil
}

// InForce tells whether t is in force on the CST day holding day.
func (t *Table) InForce(day time.Time) bool {
	d := Day(day)
	return (t.From.IsZero() || !d.Before(t.From)) && (t.To.IsZero() || d.Before(t.To))
}

// Set is every edition of the breakpoints a deployment knows, each in
// force on its own days.
type Set []Table

// Validate checks every table, that names are unique and that no two
// tables are in force on the same day.
func (s Set) Validate() error {
	for i := range s {
		if err := s[i].Validate(); err != nil {
			return err
		}
		for j := range i {
			a, b := &s[j], &s[i]
			if a.Name == b.Name {
				return fmt.Errorf("%w: two tables are named %q", ErrInvalidTable, a.Name)
			}
			if overlap(a, b) {
				return fmt.Errorf("%w: %q and %q are in force on the same days", ErrInvalidTable, a.Name, b.Name)
			}
		}
	}
	return nil
}

// overlap tells whether [a.From, a.To) and [b.From, b.To) share a day,
// the zero time being unbounded.
func overlap(a, b *Table) bool {
	startsBeforeEnd := func(from, to time.Time) bool {
		return from.IsZero() || to.IsZero() || from.Before(to)
	}
	return startsBeforeEnd(a.From, b.To) && startsBeforeEnd(b.From, a.To)
}

// For returns the table in force on the CST day holding day: ErrNoTable
// when there is none, ErrAmbiguous when there are several (a Set that
// passes Validate never has).
func (s Set) For(day time.Time) (*Table, error) {
	var found *Table
	for i := range s {
		if !s[i].InForce(day) {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("%w on %s: %q and %q", ErrAmbiguous, Day(day).Format(time.DateOnly), found.Name, s[i].Name)
		}
		found = &s[i]
	}
	if found == nil {
		return nil, fmt.Errorf("%w on %s", ErrNoTable, Day(day).Format(time.DateOnly))
	}
	return found, nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func sortedKeys[V any](m map[telemetry.Quantity]V) []telemetry.Quantity {
	keys := make([]telemetry.Quantity, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
