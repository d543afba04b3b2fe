package configs

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// PeriodSpec is a period rule's calendar period: "15m", "1h" or another
// divisor of a day, "day" (or "24h"), or "year". Periods are counted in
// China Standard Time.
type PeriodSpec struct {
	D    time.Duration // the period, when not Year
	Year bool
}

// IsZero reports whether no period is set.
func (p PeriodSpec) IsZero() bool { return p == PeriodSpec{} }

func (p PeriodSpec) String() string {
	switch {
	case p.Year:
		return "year"
	case p.D == 24*time.Hour:
		return "day"
	}
	return Duration(p.D).String()
}

// UnmarshalYAML reads a period.
func (p *PeriodSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "year":
			*p = PeriodSpec{Year: true}
			return nil
		case "day":
			*p = PeriodSpec{D: 24 * time.Hour}
			return nil
		}
		if d, err := time.ParseDuration(n.Value); err == nil && d > 0 {
			*p = PeriodSpec{D: d}
			return nil
		}
	}
	return unmarshalError(n, "configs.PeriodSpec")
}

// MarshalText writes the period as UnmarshalYAML reads it.
func (p PeriodSpec) MarshalText() ([]byte, error) { return []byte(p.String()), nil }
