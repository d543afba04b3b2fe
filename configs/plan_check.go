package configs

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

func (p *Plan) check(c *checker) {
	c.id("id", p.ID)
	c.required("title", p.Title)
	if p.Kind != KindPlan && p.Kind != KindStandard {
		c.add("kind", "%q is not a plan kind; use plan or standard", p.Kind)
	}
	c.dates("effective_from", "effective_to", p.EffectiveFrom, p.EffectiveTo)
	c.scope("scope", p.Scope)
	if len(p.Rules)+len(p.Targets) == 0 && p.AQI == nil {
		c.add("rules", "a plan needs rules, targets or an aqi table")
	}
	ids := map[string]int{}
	for i, r := range p.Rules {
		rp := index("rules", i)
		if c.id(key(rp, "id"), r.ID) {
			if j, dup := ids[r.ID]; dup {
				c.add(key(rp, "id"), "%q is already the id of rules[%d]", r.ID, j)
			} else {
				ids[r.ID] = i
			}
		}
		r.check(c, rp)
		p.checkOverlap(c, rp, r.EffectiveFrom, r.EffectiveTo)
	}
	tids := map[string]int{}
	for i, tg := range p.Targets {
		tp := index("targets", i)
		if c.id(key(tp, "id"), tg.ID) {
			if j, dup := tids[tg.ID]; dup {
				c.add(key(tp, "id"), "%q is already the id of targets[%d]", tg.ID, j)
			} else {
				tids[tg.ID] = i
			}
		}
		tg.check(c, tp)
		p.checkOverlap(c, tp, tg.EffectiveFrom, tg.EffectiveTo)
	}
	if p.AQI != nil {
		p.AQI.check(c, "aqi")
	}
}

// dates checks that a date range is not empty.
func (c *checker) dates(fromPath, toPath string, from, to Date) {
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		c.add(toPath, "%v is not after %s (%v)", to, fromPath, from)
	}
}

// checkOverlap reports a rule or target at path whose own dates leave no
// day within the plan's: it would never be in force, silently.
func (p *Plan) checkOverlap(c *checker, path string, from, to Date) {
	switch {
	case !to.IsZero() && !p.EffectiveFrom.IsZero() && !p.EffectiveFrom.Before(to):
		c.add(key(path, "effective_to"), "%v is not after the plan's effective_from (%v): never in force", to, p.EffectiveFrom)
	case !from.IsZero() && !p.EffectiveTo.IsZero() && !from.Before(p.EffectiveTo):
		c.add(key(path, "effective_from"), "%v is not before the plan's effective_to (%v): never in force", from, p.EffectiveTo)
	}
}

// uses says which optional rule fields each kind reads.
var uses = map[RuleKind][]string{
	Threshold: {"limit", "for", "clear_for"},
	Window:    {"limit", "for", "clear_for", "window", "aggregate", "min_samples"},
	Period:    {"limit", "for", "clear_for", "period", "aggregate", "min_samples", "allowed_per_day"},
	Rate:      {"limit", "for", "clear_for", "window", "min_samples", "per"},
	Event:     {},
	Silence:   {"after"},
	Stuck:     {"for", "tolerance"},
	Range:     {"min", "max"},
}

func (r Rule) check(c *checker, rp string) {
	c.required(key(rp, "title"), r.Title)
	if c.required(key(rp, "quantity"), string(r.Quantity)) && r.Quantity.Unit() == "" && !(r.Kind == Event && localAlarmEvent(r.Quantity)) {
		c.add(key(rp, "quantity"), "%q is not a known quantity; use one of %s", r.Quantity, quantityList())
	}
	used, known := uses[r.Kind]
	if !known {
		c.add(key(rp, "kind"), "%q is not a rule kind; use threshold, window, period, rate, event, silence, stuck or range", r.Kind)
		return
	}
	if r.Kind == Event && r.Quantity != "" && !r.Quantity.IsEvent() {
		c.add(key(rp, "quantity"), "%q is not an event; event rules watch event_* quantities", r.Quantity)
	}
	switch {
	case r.Category == "" && localAlarmEvent(r.Quantity):
		c.add(key(rp, "category"), "required for an agent's local alarm (%s): use dust, air, water, elevator or sensor", r.Quantity)
	case !slices.Contains(Categories(), r.Category):
		c.add(key(rp, "category"), "%q is not a category; use one of dust, air, water, elevator, sensor", r.Category)
	}
	c.dates(key(rp, "effective_from"), key(rp, "effective_to"), r.EffectiveFrom, r.EffectiveTo)
	c.scope(key(rp, "scope"), r.Scope)
	has := func(f string) bool { return slices.Contains(used, f) }
	// A setting the kind does not read is reported, not ignored.
	for _, s := range []struct {
		f   string
		set bool
	}{
		{"above", r.Above != nil}, {"below", r.Below != nil}, {"clear", c.given(key(rp, "clear"), r.Clear != nil)},
		{"for", r.For != 0}, {"clear_for", r.ClearFor != 0}, {"window", r.Window != 0}, {"period", !r.Period.IsZero()},
		{"aggregate", c.given(key(rp, "aggregate"), r.Aggregate != "")},
		{"min_samples", c.given(key(rp, "min_samples"), r.MinSamples != 0 && r.MinSamples != 1)},
		{"allowed_per_day", r.AllowedPerDay != 0}, {"per", c.given(key(rp, "per"), r.Per != 0)}, {"after", r.After != 0},
		{"tolerance", r.Tolerance != 0}, {"min", r.Min != nil}, {"max", r.Max != nil},
	} {
		f, set := s.f, s.set
		field := f
		if f == "above" || f == "below" || f == "clear" {
			field = "limit"
		}
		if set && !has(field) {
			c.add(key(rp, f), "not used by %s rules", r.Kind)
		}
	}
	if has("limit") {
		r.checkLimit(c, rp)
	}
	if has("window") {
		if r.Window == 0 {
			c.add(key(rp, "window"), "required for %s rules", r.Kind)
		} else {
			c.durationIn(key(rp, "window"), r.Window, time.Minute, 24*time.Hour)
		}
	}
	if has("period") {
		switch {
		case r.Period.IsZero():
			c.add(key(rp, "period"), "required for period rules; use 15m, 1h, day or year")
		case !r.Period.Year && (r.Period.D < time.Minute || (24*time.Hour)%r.Period.D != 0):
			c.add(key(rp, "period"), "%v does not divide a day into whole periods of a minute or more; use 15m, 1h, day or year", r.Period)
		}
	}
	if has("aggregate") {
		switch r.Aggregate {
		case Mean, Max, Min:
		default:
			c.add(key(rp, "aggregate"), "%q is not an aggregate; use mean, max or min", r.Aggregate)
		}
	}
	if has("min_samples") && r.MinSamples < 1 {
		c.add(key(rp, "min_samples"), "%d must be at least 1", r.MinSamples)
	}
	switch {
	case r.AllowedPerDay < 0:
		c.add(key(rp, "allowed_per_day"), "%d must not be negative", r.AllowedPerDay)
	case r.AllowedPerDay > 0 && r.Period.Year:
		c.add(key(rp, "allowed_per_day"), "counts periods within a day; a year period has none")
	case r.AllowedPerDay > 0 && r.Period.D > 0 && (24*time.Hour)%r.Period.D == 0 && r.AllowedPerDay >= int(24*time.Hour/r.Period.D):
		// Tolerating every period of the day would leave a rule that can
		// never open, and say nothing about it.
		c.add(key(rp, "allowed_per_day"), "%d would tolerate every period of the day (a day has %d of %v): the rule could never open", r.AllowedPerDay, 24*time.Hour/r.Period.D, Duration(r.Period.D))
	}
	c.durationIn(key(rp, "for"), r.For, 0, 7*24*time.Hour)
	c.durationIn(key(rp, "clear_for"), r.ClearFor, 0, 7*24*time.Hour)
	switch r.Kind {
	case Rate:
		c.durationIn(key(rp, "per"), r.Per, time.Second, 24*time.Hour)
	case Silence:
		if r.After == 0 {
			c.add(key(rp, "after"), "required for silence rules")
		} else {
			c.durationIn(key(rp, "after"), r.After, time.Minute, 7*24*time.Hour)
		}
	case Stuck:
		if r.For == 0 {
			c.add(key(rp, "for"), "required for stuck rules: how long a value must stay put")
		}
		if c.finite(key(rp, "tolerance"), r.Tolerance) && r.Tolerance < 0 {
			c.add(key(rp, "tolerance"), "%v must not be negative", r.Tolerance)
		}
	case Range:
		if r.Min == nil {
			c.add(key(rp, "min"), "required for range rules")
		}
		if r.Max == nil {
			c.add(key(rp, "max"), "required for range rules")
		}
		if r.Min != nil && r.Max != nil && c.finite(key(rp, "min"), *r.Min) && c.finite(key(rp, "max"), *r.Max) && *r.Min >= *r.Max {
			c.add(key(rp, "max"), "%v is not above min (%v)", *r.Max, *r.Min)
		}
	}
	if r.Office != "" {
		c.id(key(rp, "office"), r.Office)
	}
	switch r.Severity {
	case Info, Warning, Critical:
	default:
		c.add(key(rp, "severity"), "%q is not a severity; use info, warning or critical", r.Severity)
	}
}

func (r Rule) checkLimit(c *checker, rp string) {
	switch {
	case r.Above == nil && r.Below == nil:
		c.add(key(rp, "above"), "%s rules need a limit: above or below", r.Kind)
		return
	case r.Above != nil && r.Below != nil:
		c.add(key(rp, "below"), "a rule has one limit: above or below, not both")
		return
	}
	limit, below := r.Limit()
	lp := key(rp, "above")
	if below {
		lp = key(rp, "below")
	}
	if !c.finite(lp, limit) || r.Clear == nil || !c.finite(key(rp, "clear"), *r.Clear) {
		return
	}
	switch {
	case !below && *r.Clear > limit:
		c.add(key(rp, "clear"), "%v is above the limit (above: %v); an alert clears at or below it", *r.Clear, limit)
	case below && *r.Clear < limit:
		c.add(key(rp, "clear"), "%v is below the limit (below: %v); an alert clears at or above it", *r.Clear, limit)
	}
}

func (t Target) check(c *checker, tp string) {
	c.required(key(tp, "title"), t.Title)
	switch t.Metric {
	case MetricPM25Mean, MetricPM10Mean:
		switch {
		case t.Max == nil || t.Min != nil:
			c.add(key(tp, "max"), "a %s target needs max (µg/m³) and no min", t.Metric)
		case c.finite(key(tp, "max"), *t.Max) && *t.Max <= 0:
			c.add(key(tp, "max"), "%v must be above 0", *t.Max)
		}
	case MetricGoodDayRate:
		switch {
		case t.Min == nil || t.Max != nil:
			c.add(key(tp, "min"), "a good_day_rate target needs min (a fraction, e.g. 0.85) and no max")
		case !(*t.Min >= 0 && *t.Min <= 1): // NaN too: it would pass every comparison
			c.add(key(tp, "min"), "%v is not a fraction between 0 and 1", *t.Min)
		}
	default:
		c.add(key(tp, "metric"), "%q is not a metric; use pm2_5_mean, pm10_mean or good_day_rate", t.Metric)
	}
	c.dates(key(tp, "effective_from"), key(tp, "effective_to"), t.EffectiveFrom, t.EffectiveTo)
	c.scope(key(tp, "scope"), t.Scope)
}

func (a *AQI) check(c *checker, ap string) {
	c.required(key(ap, "name"), a.Name)
	if len(a.Pollutants) == 0 {
		c.add(key(ap, "pollutants"), "at least one pollutant's breakpoints are required")
	}
	// In key order, so that two pollutants on one line are reported in
	// the same order every time.
	for _, q := range slices.Sorted(maps.Keys(a.Pollutants)) {
		bps := a.Pollutants[q]
		pp := key(key(ap, "pollutants"), string(q))
		if q.Unit() == "" {
			c.add(pp, "%q is not a known quantity", q)
			continue
		}
		if len(bps) < 2 || bps[0] != (Breakpoint{0, 0}) {
			c.add(pp, "breakpoints must start at [0, 0] and have at least two points")
			continue
		}
		for i := 1; i < len(bps); i++ {
			if !(bps[i][0] > bps[i-1][0]) || !(bps[i][1] > bps[i-1][1]) || math.IsInf(bps[i][0], 0) || math.IsInf(bps[i][1], 0) {
				c.add(index(pp, i), "%v does not rise above %v: concentrations and IAQI must both ascend", bps[i], bps[i-1])
			}
		}
	}
}

func (c *checker) scope(path string, s Scope) {
	for _, f := range []struct {
		name string
		ids  []string
	}{{"districts", s.Districts}, {"sites", s.Sites}, {"tags", s.Tags}, {"devices", s.Devices}} {
		for i, id := range f.ids {
			if id == "" {
				c.add(index(key(path, f.name), i), "empty")
			}
		}
	}
}

// String names a rule for messages.
func (r Rule) String() string { return fmt.Sprintf("%s (%s)", r.ID, r.Kind) }
