package configs

import (
	"fmt"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Plan is one plan file: a set of threshold rules taken from a standard or
// a district plan, each routed to the office that must act on it.
type Plan struct {
	ID     string `yaml:"id"`     // required, unique among a collector's plans; [a-z0-9-]{1,64}
	Title  string `yaml:"title"`  // required; shown to the offices
	Source string `yaml:"source"` // the document the rules come from; free text
	// The plan applies from EffectiveFrom (inclusive) to EffectiveTo
	// (exclusive). Either may be zero for no bound; when both are set,
	// From must be the earlier.
	EffectiveFrom Date   `yaml:"effective_from"`
	EffectiveTo   Date   `yaml:"effective_to"`
	Rules         []Rule `yaml:"rules"` // at least one
}

// Rule raises an alert when an aggregate of one quantity over a sliding
// window rises above a threshold, and clears it when the aggregate falls
// below ClearBelow.
type Rule struct {
	ID       string             `yaml:"id"`       // required, unique in the plan; [a-z0-9-]{1,64}
	Title    string             `yaml:"title"`    // required; the alert's headline
	Quantity telemetry.Quantity `yaml:"quantity"` // required; one of the telemetry Quantity constants
	Window   Duration           `yaml:"window"`   // required; 1m to 24h
	// Aggregate is how the window's readings are combined: default mean.
	Aggregate Aggregate `yaml:"aggregate"`
	// Above is the threshold, in the quantity's unit: required, > 0.
	Above float64 `yaml:"above"`
	// ClearBelow is where an open alert clears: default Above, at most
	// Above. A gap between the two stops a value hovering at the threshold
	// from raising alert after alert.
	ClearBelow float64 `yaml:"clear_below"`
	// MinSamples is how many readings a window needs before it is judged:
	// default 1, at least 1.
	MinSamples int      `yaml:"min_samples"`
	Office     string   `yaml:"office"`   // required; an office declared in the collector config
	Severity   Severity `yaml:"severity"` // default warning
}

// Aggregate names how a rule combines the readings in its window.
type Aggregate string

// Mean is the arithmetic mean, the only aggregate so far.
const Mean Aggregate = "mean"

// Severity says how urgent a rule's alerts are.
type Severity string

// Severities, from the least urgent.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

func quantityList() string {
	quantities := telemetry.Quantities()
	s := make([]string, len(quantities))
	for i, q := range quantities {
		s[i] = string(q)
	}
	return strings.Join(s, ", ")
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

// Validate checks p, with no defaults applied, and returns an *Error
// listing its problems by path.
func (p *Plan) Validate() error {
	var r report
	p.check(r.file("", nil))
	return r.err()
}

func (p *Plan) setDefaults(c *checker) {
	for i := range p.Rules {
		r, rp := &p.Rules[i], index("rules", i)
		if r.Aggregate == "" {
			r.Aggregate = Mean
		}
		if !c.has(key(rp, "clear_below")) {
			r.ClearBelow = r.Above
		}
		if !c.has(key(rp, "min_samples")) {
			r.MinSamples = 1
		}
		if r.Severity == "" {
			r.Severity = Warning
		}
	}
}

func (p *Plan) check(c *checker) {
	c.id("id", p.ID)
	c.required("title", p.Title)
	if !p.EffectiveFrom.IsZero() && !p.EffectiveTo.IsZero() && !p.EffectiveFrom.Before(p.EffectiveTo) {
		c.add("effective_to", "%v is not after effective_from (%v)", p.EffectiveTo, p.EffectiveFrom)
	}
	if len(p.Rules) == 0 {
		c.add("rules", "at least one rule is required")
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
	}
}

func (r Rule) check(c *checker, rp string) {
	c.required(key(rp, "title"), r.Title)
	if c.required(key(rp, "quantity"), string(r.Quantity)) && r.Quantity.Unit() == "" {
		c.add(key(rp, "quantity"), "%q is not a known quantity; use one of %s", r.Quantity, quantityList())
	}
	if r.Window == 0 && !c.has(key(rp, "window")) {
		c.add(key(rp, "window"), "required")
	} else {
		c.durationIn(key(rp, "window"), r.Window, time.Minute, 24*time.Hour)
	}
	if r.Aggregate != Mean {
		c.add(key(rp, "aggregate"), "%q is not a supported aggregate; use %s", r.Aggregate, Mean)
	}
	aboveOK := false
	if !c.has(key(rp, "above")) {
		c.add(key(rp, "above"), "required")
	} else if c.finite(key(rp, "above"), r.Above) {
		if aboveOK = r.Above > 0; !aboveOK {
			c.add(key(rp, "above"), "%v must be greater than 0", r.Above)
		}
	}
	if c.finite(key(rp, "clear_below"), r.ClearBelow) && aboveOK && r.ClearBelow > r.Above {
		c.add(key(rp, "clear_below"), "%v is above the threshold (above: %v); an alert clears at or below it", r.ClearBelow, r.Above)
	}
	if r.MinSamples < 1 {
		c.add(key(rp, "min_samples"), "%d must be at least 1", r.MinSamples)
	}
	c.required(key(rp, "office"), r.Office)
	switch r.Severity {
	case Info, Warning, Critical:
	default:
		c.add(key(rp, "severity"), "%q is not a severity; use info, warning or critical", r.Severity)
	}
}
