package configs

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

const dateLayout = "2006-01-02"

// Date is a calendar day, written 2016-08-01. It has no time zone: a plan
// takes effect on a day wherever its collector runs, and In places it in
// a zone. The zero Date means "not set".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// IsZero tells whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

// In returns the midnight that starts d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Before tells whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.In(time.UTC).Before(e.In(time.UTC)) }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.In(time.UTC).Format(dateLayout)
}

func parseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("configs: %q is not a date of the form %s", s, dateLayout)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// UnmarshalYAML reads a date. A full timestamp is rejected: a plan's
// dates are days.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if v, err := parseDate(n.Value); err == nil {
			*d = v
			return nil
		}
	}
	return unmarshalError(n, "configs.Date")
}

// MarshalYAML writes the date as UnmarshalYAML reads it, and the zero
// Date as null.
func (d Date) MarshalYAML() (any, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// MarshalText lets JSON show the date as YAML does.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := parseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// CST is China Standard Time (UTC+8): plans' dates are CST days.
var CST = time.FixedZone("CST", 8*3600)

// Time is the start of the day d in China Standard Time.
func (d Date) Time() time.Time { return d.In(CST) }
