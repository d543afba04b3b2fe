package alert

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/cloud/rules"
)

func round(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 2, 64), 64)
	return f
}

func limitOf(r *rules.Rule) float64 {
	switch r.Kind {
	case rules.Range:
		if r.Min != 0 {
			return r.Min
		}
		return r.Max
	case rules.Silence:
		return r.After.Seconds()
	case rules.Stuck:
		return r.For.Seconds()
	case rules.Event:
		return 1
	}
	return r.Limit
}

func unitOf(r *rules.Rule) string {
	switch r.Kind {
	case rules.Silence, rules.Stuck:
		return "s"
	case rules.Rate:
		return r.Quantity.Unit() + "/" + span(r.Per)
	}
	return r.Quantity.Unit()
}

// what describes the judged value: "PM2.5 15m mean", "water_level".
func what(r *rules.Rule) string {
	q := string(r.Quantity)
	switch r.Kind {
	case rules.Window:
		return fmt.Sprintf("%s %s over %s", q, r.Aggregate, span(r.Window))
	case rules.Period:
		if r.Period == rules.Year {
			return fmt.Sprintf("%s year-to-date %s", q, r.Aggregate)
		}
		return fmt.Sprintf("%s %s %s", q, span(r.Period), r.Aggregate)
	case rules.Rate:
		return fmt.Sprintf("%s change per %s over %s", q, span(r.Per), span(r.Window))
	}
	return q
}

func dir(r *rules.Rule) string {
	if r.Below {
		return "below"
	}
	return "above"
}

func openMessage(tr rules.Transition) string {
	r := tr.Rule
	head := r.Title + ": " + tr.Device + "/" + tr.Sensor + " "
	var s string
	switch r.Kind {
	case rules.Event:
		s = head + "reported " + string(r.Quantity)
	case rules.Silence:
		s = head + fmt.Sprintf("sent no %s since %s", r.Quantity, tr.Since.UTC().Format(time.RFC3339))
	case rules.Stuck:
		s = head + fmt.Sprintf("%s has stayed at %g since %s", r.Quantity, tr.Value, tr.Since.UTC().Format(time.RFC3339))
	case rules.Range:
		s = head + fmt.Sprintf("%s %g is outside the possible %g to %g", r.Quantity, tr.Value, r.Min, r.Max)
	default:
		s = head + fmt.Sprintf("%s is %.1f %s, %s %g", what(r), tr.Value, unitOf(r), dir(r), r.Limit)
		if tr.Samples > 1 {
			s += fmt.Sprintf(" (%d readings)", tr.Samples)
		}
		if r.Allowed > 0 {
			s += fmt.Sprintf("; exceedance %d today, %d allowed", tr.Exceedances, r.Allowed)
		}
	}
	if tr.Retrospective {
		s += "; found in data that arrived late"
	}
	return s
}

func clearMessage(tr rules.Transition) string {
	r := tr.Rule
	head := r.Title + ": " + tr.Device + "/" + tr.Sensor + " "
	switch r.Kind {
	case rules.Event:
		return head + string(r.Quantity) + " ended"
	case rules.Silence:
		return head + "is sending again"
	case rules.Stuck:
		return head + fmt.Sprintf("%s moves again (%g)", r.Quantity, tr.Value)
	case rules.Range:
		return head + fmt.Sprintf("%s is back in range (%g)", r.Quantity, tr.Value)
	}
	return head + fmt.Sprintf("%s is back to %.1f %s (clears at %g)", what(r), tr.Value, unitOf(r), r.Clear)
}

// span writes a duration the way plans do: "15m", not "15m0s".
func span(d time.Duration) string {
	switch {
	case d == 24*time.Hour:
		return "day"
	case d == time.Hour:
		return "hour"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
