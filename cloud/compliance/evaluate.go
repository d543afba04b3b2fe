package compliance

import (
	"time"

	"github.com/xiuhua/xiuhua/cloud/aqi"
)

// evaluate judges every target, and every limit in force on the reference
// day: 31 December when the year is over, else the day of Now.
func evaluate(in *Input, r *Report) (targets, limits []Evaluation) {
	targets, limits = []Evaluation{}, []Evaluation{}
	for _, t := range in.Targets {
		e := Evaluation{ID: t.ID, Kind: "target", Plan: t.Plan, Title: t.Title, Source: t.Source,
			Metric: t.Metric, Min: t.Min, Max: t.Max}
		judge(&e, &r.Totals)
		targets = append(targets, e)
	}
	ref := aqi.Day(r.To.Add(-time.Nanosecond))
	for _, l := range in.Limits {
		if !l.inForce(ref) {
			continue
		}
		e := Evaluation{ID: l.ID, Kind: "limit", Title: l.Title, Source: l.Source,
			Metric: l.Metric, Max: &l.Max, From: date(l.From), To: date(l.To)}
		judge(&e, &r.Totals)
		limits = append(limits, e)
	}
	return targets, limits
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(aqi.CST).Format(time.DateOnly)
}

// judge fills e's value, valid days, basis and status from the totals.
func judge(e *Evaluation, t *Totals) {
	switch e.Metric {
	case PM2_5Mean:
		e.Value, e.ValidDays, e.Basis = t.PM2_5.Mean, t.PM2_5.ValidDays, t.PM2_5.Basis
	case PM10Mean:
		e.Value, e.ValidDays, e.Basis = t.PM10.Mean, t.PM10.ValidDays, t.PM10.Basis
	case GoodDayRate:
		e.Value, e.ValidDays, e.Basis = t.GoodDayRate, t.ValidDays, t.Basis
	}
	switch {
	case e.Value == nil || e.Basis == TooFewDays:
		e.Status = Insufficient
	case (e.Max == nil || *e.Value <= *e.Max) && (e.Min == nil || *e.Value >= *e.Min):
		e.Status = Met
	default:
		e.Status = NotMet
	}
}
