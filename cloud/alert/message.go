package alert

import (
	"fmt"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/cloud/rules"
	"github.com/xiuhua/xiuhua/internal/sigfig"
)

// num writes a judged value rounded for reading beside the limits it is
// compared with (sigfig.Round): "80.13", "0.304", "-40".
func num(v float64, limits ...float64) string { return sigfig.String(sigfig.Round(v, limits...)) }

// lim writes a limit as the plan gave it, never rounded: "0.3", "75".
func lim(v float64) string { return sigfig.String(v) }

// stored is the value an alert stores for tr (valueOf), rounded beside
// the rule's edges as its messages show it.
func stored(tr rules.Transition) float64 { return sigfig.Round(valueOf(tr), edges(tr.Rule)...) }

// edges are the values a rule's judged value (valueOf) is read against:
// the limit and the clear edge, a range's bounds, a silence's or a stuck
// stream's time in seconds. Rounding beside them all keeps the value
// that opened an alert and the value that cleared it comparable with
// either edge, as the office reads them.
func edges(r *rules.Rule) []float64 {
	switch r.Kind {
	case rules.Range:
		return []float64{r.Min, r.Max}
	case rules.Silence:
		return []float64{r.After.Seconds()}
	case rules.Stuck:
		return []float64{r.For.Seconds()}
	case rules.Event:
		return nil
	}
	return []float64{r.Limit, r.Clear}
}

// limitOf is the limit an alert of r crossed at value v.
func limitOf(r *rules.Rule, v float64) float64 {
	switch r.Kind {
	case rules.Range:
		if v < r.Min {
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

// valueOf is the value an alert stores for tr, in unitOf's unit. It is
// the value judged, but for a stuck stream (whose transitions carry the
// level it holds) how long it held still, and for the end of a silence
// (whose transition carries the reading that ended it) how long the
// silence lasted: both in seconds, beside a limit in seconds.
func valueOf(tr rules.Transition) float64 {
	switch {
	case tr.Rule.Kind == rules.Stuck, tr.Rule.Kind == rules.Silence && tr.Change == rules.Cleared:
		return tr.Time.Sub(tr.Since).Seconds()
	}
	return tr.Value
}

func unitOf(r *rules.Rule) string {
	switch r.Kind {
	case rules.Silence, rules.Stuck:
		return "s"
	case rules.Rate:
		return r.Quantity.Unit() + "/" + per(r.Per)
	}
	return r.Quantity.Unit()
}

// withUnit writes a number (num or lim) in unit, leaving out the unit of
// a count or a state ("1") and an unknown one.
func withUnit(n, unit string) string {
	if unit == "" || unit == "1" {
		return n
	}
	return n + " " + unit
}

// what describes the judged value: "pm2_5 mean over 1h", "pm10 24h mean",
// "water_level rate of change over 15m".
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
		return fmt.Sprintf("%s rate of change over %s", q, span(r.Window))
	}
	return q
}

func dir(r *rules.Rule) string {
	if r.Below {
		return "below"
	}
	return "above"
}

// head starts a message: "PM2.5 hourly mean: site-7/dust ".
func head(tr rules.Transition) string {
	title := tr.Rule.Title
	if title == "" {
		title = tr.Rule.ID
	}
	return title + ": " + tr.Device + "/" + tr.Sensor + " "
}

// clock writes an event time as the offices read it, in China Standard
// Time.
func clock(t time.Time) string { return t.In(rules.CST).Format("2006-01-02 15:04:05 MST") }

func openMessage(tr rules.Transition) string {
	r := tr.Rule
	s := head(tr)
	unit := r.Quantity.Unit()
	switch r.Kind {
	case rules.Event:
		s += "reported " + string(r.Quantity)
	case rules.Silence:
		s += fmt.Sprintf("sent no %s since %s", r.Quantity, clock(tr.Since))
	case rules.Stuck:
		// The level held, which no limit judges.
		s += fmt.Sprintf("%s has stayed at %s since %s", r.Quantity, withUnit(num(tr.Value), unit), clock(tr.Since))
	case rules.Range:
		s += fmt.Sprintf("%s is %s, outside the possible %s to %s", r.Quantity, withUnit(num(tr.Value, edges(r)...), unit), lim(r.Min), withUnit(lim(r.Max), unit))
	default:
		s += fmt.Sprintf("%s is %s, %s %s", what(r), withUnit(num(tr.Value, edges(r)...), unitOf(r)), dir(r), lim(r.Limit))
		if tr.Samples > 1 {
			s += fmt.Sprintf(" (%d readings)", tr.Samples)
		}
		if r.Allowed > 0 {
			// A rule with Allowed opens only beyond them: at least two.
			s += fmt.Sprintf("; %d exceedances today, %d allowed", tr.Exceedances, r.Allowed)
		}
	}
	if tr.Retrospective {
		s += "; found in data that arrived late"
	}
	return s
}

func clearMessage(tr rules.Transition) string {
	r := tr.Rule
	s := head(tr)
	unit := r.Quantity.Unit()
	switch r.Kind {
	case rules.Event:
		return s + string(r.Quantity) + " ended"
	case rules.Silence:
		return s + "is sending again"
	case rules.Stuck:
		return s + fmt.Sprintf("%s moves again (%s)", r.Quantity, withUnit(num(tr.Value), unit))
	case rules.Range:
		return s + fmt.Sprintf("%s is back in range (%s)", r.Quantity, withUnit(num(tr.Value, edges(r)...), unit))
	}
	return s + fmt.Sprintf("%s is back to %s (clears at %s)", what(r), withUnit(num(tr.Value, edges(r)...), unitOf(r)), lim(r.Clear))
}

// span writes a duration the way plans do: "15m", "1h", "24h", not
// "15m0s".
func span(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// per writes the time unit of a rate: "m/h", "mm/min", "mm/15m".
func per(d time.Duration) string {
	switch d {
	case time.Second:
		return "s"
	case time.Minute:
		return "min"
	case time.Hour:
		return "h"
	case 24 * time.Hour:
		return "day"
	}
	return span(d)
}
