package scenario

import (
	"math"
	"time"
)

// Clock maps the wall clock onto a scenario's own time. A scenario that
// is compressed k times runs k scenario seconds in each wall second, so
// that a tide of 12.42 h passes in 12.42 min at k = 60.
type Clock struct {
	Wall0 time.Time // the wall time at which the scenario starts
	Scen0 time.Time // the scenario's time at Wall0: its zero
	K     float64   // scenario seconds per wall second; 0 means 1
}

// Since returns the scenario time elapsed at wall time t: k × (t − Wall0).
// It is negative before the start.
func (c Clock) Since(t time.Time) time.Duration {
	d := t.Sub(c.Wall0)
	if c.K == 0 || c.K == 1 {
		return d
	}
	return time.Duration(math.Round(float64(d) * c.K))
}

// At returns the scenario's time at wall time t.
func (c Clock) At(t time.Time) time.Time { return c.Scen0.Add(c.Since(t)) }

// Wall returns the wall time at which the scenario reaches since, the
// inverse of Since (to the nanosecond).
func (c Clock) Wall(since time.Duration) time.Time {
	if c.K == 0 || c.K == 1 {
		return c.Wall0.Add(since)
	}
	return c.Wall0.Add(time.Duration(math.Round(float64(since) / c.K)))
}
