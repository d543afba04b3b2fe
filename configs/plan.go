package configs

import (
	"fmt"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
	"go.yaml.in/yaml/v3"
)

// Plan is one plan file: what a district plan or a standard asks of the
// readings, as data with its source and dates. It holds rules (alerts),
// targets (how a district stands over a year) and, for an AQI standard,
// the breakpoint table.
type Plan struct {
	ID     string `yaml:"id"`     // required, unique among a collector's plans; [a-z0-9-]{1,64}
	Title  string `yaml:"title"`  // required; shown to the offices
	Source string `yaml:"source"` // the document the plan comes from; free text
	// Kind is "plan" (a district's commitment: its targets are goals) or
	// "standard" (a national or local standard: its targets are limits,
	// judged by the one in force). Default plan.
	Kind string `yaml:"kind"`
	// The plan is in force from EffectiveFrom (inclusive) to EffectiveTo
	// (exclusive), in China Standard Time; zero means no bound. Readings
	// are judged by the plans in force on their own date.
	EffectiveFrom Date `yaml:"effective_from"`
	EffectiveTo   Date `yaml:"effective_to"`
	// Scope limits the plan to some devices; rules and targets may narrow
	// it further. Empty means every device.
	Scope   Scope    `yaml:"scope"`
	Rules   []Rule   `yaml:"rules"`
	Targets []Target `yaml:"targets"`
	AQI     *AQI     `yaml:"aqi"`
}

// Plan kinds.
const (
	KindPlan     = "plan"
	KindStandard = "standard"
)

// Rule raises alerts. Which fields apply depends on Kind; a field the kind
// does not use is an error, so that a misplaced setting is never silently
// ignored.
type Rule struct {
	ID       string             `yaml:"id"`       // required, unique in the plan; [a-z0-9-]{1,64}
	Title    string             `yaml:"title"`    // required; the alert's headline
	Kind     RuleKind           `yaml:"kind"`     // default threshold
	Quantity telemetry.Quantity `yaml:"quantity"` // required
	// Category routes the alert: dust, air, water, elevator or sensor.
	// Default from the quantity (pm* dust, water quantities water,
	// elevator quantities and events elevator).
	Category string `yaml:"category"`
	Scope    Scope  `yaml:"scope"` // narrows the plan's scope
	// EffectiveFrom and EffectiveTo narrow the plan's dates for this rule
	// (a standard's transition limits, for example).
	EffectiveFrom Date `yaml:"effective_from"`
	EffectiveTo   Date `yaml:"effective_to"`

	// Above or Below (exactly one, for threshold, window, period and rate
	// rules) is the limit, in the quantity's unit (rate: per Per). The
	// rule breaks when the value is strictly beyond it.
	Above *float64 `yaml:"above"`
	Below *float64 `yaml:"below"`
	// Clear is where an open alert clears (hysteresis): default the limit.
	// It must not be beyond the limit.
	Clear *float64 `yaml:"clear"`
	// For is how long the rule must be broken before it opens (stuck: how
	// long the value must stay put); ClearFor how long it must be clear
	// before it resolves by itself. Default 0: at once.
	For      Duration `yaml:"for"`
	ClearFor Duration `yaml:"clear_for"`

	Window     Duration   `yaml:"window"`      // window, rate: 1m to 24h
	Period     PeriodSpec `yaml:"period"`      // period: 15m, 1h, day (or 24h), year; a divisor of a day or year
	Aggregate  Aggregate  `yaml:"aggregate"`   // window, period: mean (default), max or min
	MinSamples int        `yaml:"min_samples"` // window, period, rate: readings needed to judge; default 1
	// AllowedPerDay is how many exceeding periods a day a period rule
	// tolerates before it opens (construction dust allows one).
	AllowedPerDay int      `yaml:"allowed_per_day"`
	Per           Duration `yaml:"per"` // rate: the rate's unit, default 1h

	After     Duration `yaml:"after"`     // silence: no reading for this long (1m to 7d)
	Tolerance float64  `yaml:"tolerance"` // stuck: the change that counts as moving; default 0
	Min       *float64 `yaml:"min"`       // range: the lowest possible value
	Max       *float64 `yaml:"max"`       // range: the highest possible value

	// Office receives the alerts; default: routed by category and scope
	// (the collector's routes).
	Office   string   `yaml:"office"`
	Severity Severity `yaml:"severity"` // default warning (event rules: critical)
}

// RuleKind names what a rule watches (see package cloud/rules).
type RuleKind string

// Rule kinds.
const (
	Threshold RuleKind = "threshold"
	Window    RuleKind = "window"
	Period    RuleKind = "period"
	Rate      RuleKind = "rate"
	Event     RuleKind = "event"
	Silence   RuleKind = "silence"
	Stuck     RuleKind = "stuck"
	Range     RuleKind = "range"
)

// Aggregate names how a rule combines the readings in its window.
type Aggregate string

// Aggregates.
const (
	Mean Aggregate = "mean"
	Max  Aggregate = "max"
	Min  Aggregate = "min"
)

// Severity says how urgent a rule's alerts are.
type Severity string

// Severities, from the least urgent.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// Categories of alerts, which routes name.
const (
	CategoryDust     = "dust"
	CategoryAir      = "air"
	CategoryWater    = "water"
	CategoryElevator = "elevator"
	CategorySensor   = "sensor"
)

// Categories lists the categories.
func Categories() []string {
	return []string{CategoryDust, CategoryAir, CategoryWater, CategoryElevator, CategorySensor}
}

// CategoryOf is the default category of a quantity's alerts.
func CategoryOf(q telemetry.Quantity) string {
	switch q {
	case telemetry.PM1, telemetry.PM2_5, telemetry.PM4, telemetry.PM10:
		return CategoryDust
	case telemetry.Distance, telemetry.WaterLevel, telemetry.LoopCurrent, telemetry.Rainfall:
		return CategoryWater
	case telemetry.Temperature, telemetry.Humidity:
		return CategoryAir
	}
	return CategoryElevator
}

// Target is a yearly measure of a district against a plan or a standard:
// the year-to-date mean of a pollutant, or the good-day rate.
type Target struct {
	ID     string   `yaml:"id"`     // required, unique in the plan
	Title  string   `yaml:"title"`  // required
	Metric string   `yaml:"metric"` // pm2_5_mean, pm10_mean or good_day_rate
	Max    *float64 `yaml:"max"`    // the metric must not be above (means, µg/m³)
	Min    *float64 `yaml:"min"`    // the metric must not be below (rates, 0–1)
	Scope  Scope    `yaml:"scope"`
	// EffectiveFrom and EffectiveTo narrow the plan's dates (a standard's
	// transition limit and its final one).
	EffectiveFrom Date `yaml:"effective_from"`
	EffectiveTo   Date `yaml:"effective_to"`
}

// Target metrics.
const (
	MetricPM25Mean    = "pm2_5_mean"
	MetricPM10Mean    = "pm10_mean"
	MetricGoodDayRate = "good_day_rate"
)

// AQI is an air-quality-index standard's breakpoint table (HJ 633): for
// each pollutant, ascending [concentration, IAQI] pairs starting at
// [0, 0]. It is in force over the plan's dates.
type AQI struct {
	Name       string                              `yaml:"name"` // required, e.g. "HJ 633-2026"
	Pollutants map[telemetry.Quantity][]Breakpoint `yaml:"pollutants"`
}

// Breakpoint is a row of an AQI table: a concentration, in the
// pollutant's unit, and its IAQI, written [35, 50].
type Breakpoint [2]float64

// UnmarshalYAML reads a pair of numbers. yaml.v3 gives up on the whole
// file when a list has the wrong length for a Go array; this reports the
// row instead, so that the file's other problems are reported too.
func (b *Breakpoint) UnmarshalYAML(n *yaml.Node) error {
	var v []float64
	if n.Kind == yaml.SequenceNode && len(n.Content) == 2 && n.Decode(&v) == nil {
		*b = Breakpoint{v[0], v[1]}
		return nil
	}
	return unmarshalError(n, "configs.Breakpoint")
}

// Scope selects devices by where they are (the collector's sites). Fields
// combine with AND, the entries of one field with OR; an empty scope
// selects every device.
type Scope struct {
	Districts []string `yaml:"districts"`
	Sites     []string `yaml:"sites"`
	Tags      []string `yaml:"tags"`
	Devices   []string `yaml:"devices"`
}

// IsZero reports whether s selects every device.
func (s Scope) IsZero() bool {
	return len(s.Districts)+len(s.Sites)+len(s.Tags)+len(s.Devices) == 0
}

// LoadPlan reads, decodes, completes and validates the plan at path. The
// offices its rules name are checked only by LoadCollector, which knows
// them.
func LoadPlan(path string) (*Plan, error) {
	var r report
	p, _, err := loadPlan(path, &r)
	if err != nil {
		return nil, fmt.Errorf("configs: load plan: %w", err)
	}
	if err := r.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// loadPlan loads the plan at path, adding its problems to r. The returned
// checker lets a collector config add problems about the plan file.
func loadPlan(path string, r *report) (*Plan, *checker, error) {
	p := new(Plan)
	c, _, err := decodeFile(path, p, r)
	if err != nil {
		return nil, nil, err
	}
	if !c.broken {
		p.setDefaults(c)
		p.check(c)
	}
	return p, c, nil
}

// Validate checks p, with its defaults applied, and returns an *Error
// listing its problems by path.
func (p *Plan) Validate() error {
	var r report
	p.check(r.file("", nil))
	return r.err()
}

// setDefaults fills in what the file leaves out. Numbers take defaults
// only where their key is absent: "min_samples: 0" is an error, not 1.
func (p *Plan) setDefaults(c *checker) {
	if p.Kind == "" {
		p.Kind = KindPlan
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		rp := index("rules", i)
		if r.Kind == "" {
			r.Kind = Threshold
		}
		if r.Category == "" && !localAlarmEvent(r.Quantity) {
			// A local alarm can watch anything: its category is the
			// plan's to say.
			r.Category = CategoryOf(r.Quantity)
		}
		if r.Aggregate == "" && (r.Kind == Window || r.Kind == Period) {
			r.Aggregate = Mean
		}
		if !c.has(key(rp, "min_samples")) {
			r.MinSamples = 1
		}
		if r.Kind == Rate && !c.has(key(rp, "per")) {
			r.Per = Duration(time.Hour)
		}
		if r.Clear == nil {
			if r.Above != nil {
				r.Clear = ptr(*r.Above)
			} else if r.Below != nil {
				r.Clear = ptr(*r.Below)
			}
		}
		if r.Severity == "" {
			r.Severity = Warning
			if r.Kind == Event {
				r.Severity = Critical
			}
		}
	}
}

func ptr(v float64) *float64 { return &v }

// Limit returns the rule's limit and whether it is a lower one.
func (r Rule) Limit() (limit float64, below bool) {
	if r.Below != nil {
		return *r.Below, true
	}
	if r.Above != nil {
		return *r.Above, false
	}
	return 0, false
}

// In reports whether the day holding t (China Standard Time) is within
// [from, to).
func inDates(from, to Date, t time.Time) bool {
	return (from.IsZero() || !t.Before(from.Time())) && (to.IsZero() || t.Before(to.Time()))
}

// Span returns the rule's force as instants: the later start and the
// earlier end of the plan's and the rule's dates; zero means unbounded.
func (p *Plan) Span(from, to Date) (time.Time, time.Time) {
	f, t := p.EffectiveFrom, p.EffectiveTo
	if !from.IsZero() && (f.IsZero() || f.Time().Before(from.Time())) {
		f = from
	}
	if !to.IsZero() && (t.IsZero() || to.Time().Before(t.Time())) {
		t = to
	}
	var ft, tt time.Time
	if !f.IsZero() {
		ft = f.Time()
	}
	if !t.IsZero() {
		tt = t.Time()
	}
	return ft, tt
}

// InForce reports whether target tg of p is in force on t's date.
func (p *Plan) InForce(from, to Date, t time.Time) bool {
	return inDates(p.EffectiveFrom, p.EffectiveTo, t) && inDates(from, to, t)
}

func quantityList() string {
	quantities := telemetry.Quantities()
	s := make([]string, len(quantities))
	for i, q := range quantities {
		s[i] = string(q)
	}
	return strings.Join(s, ", ")
}
