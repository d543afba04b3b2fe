package web

import (
	"net/http"
	"time"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

// planBody is a loaded plan as /api/v1/plans shows it: the plan file's
// own keys, with the defaults the loader filled in. A setting that is
// not set (an unbounded date, an empty scope, a field the rule's kind
// does not use) is left out rather than shown as null or zero.
type planBody struct {
	ID            string       `json:"id"`
	Title         string       `json:"title"`
	Source        string       `json:"source,omitempty"`
	Kind          string       `json:"kind"`
	EffectiveFrom configs.Date `json:"effective_from,omitzero"`
	EffectiveTo   configs.Date `json:"effective_to,omitzero"`
	Scope         *scopeBody   `json:"scope,omitempty"`
	Rules         []ruleBody   `json:"rules"`
	Targets       []targetBody `json:"targets"`
	AQI           *aqiBody     `json:"aqi,omitempty"`
}

type scopeBody struct {
	Districts []string `json:"districts,omitempty"`
	Sites     []string `json:"sites,omitempty"`
	Tags      []string `json:"tags,omitempty"`
	Devices   []string `json:"devices,omitempty"`
}

type ruleBody struct {
	ID            string             `json:"id"`
	Title         string             `json:"title"`
	Kind          configs.RuleKind   `json:"kind"`
	Quantity      telemetry.Quantity `json:"quantity"`
	Unit          string             `json:"unit"` // of the limits: the quantity's, per Per for a rate ("m/h")
	Category      string             `json:"category"`
	Severity      configs.Severity   `json:"severity"`
	Office        string             `json:"office,omitempty"` // absent: routed by the collector's routes
	Scope         *scopeBody         `json:"scope,omitempty"`
	EffectiveFrom configs.Date       `json:"effective_from,omitzero"`
	EffectiveTo   configs.Date       `json:"effective_to,omitzero"`
	Above         *float64           `json:"above,omitempty"`
	Below         *float64           `json:"below,omitempty"`
	Clear         *float64           `json:"clear,omitempty"`
	For           configs.Duration   `json:"for,omitzero"`
	ClearFor      configs.Duration   `json:"clear_for,omitzero"`
	Window        configs.Duration   `json:"window,omitzero"`
	Period        configs.PeriodSpec `json:"period,omitzero"`
	Aggregate     configs.Aggregate  `json:"aggregate,omitempty"`
	MinSamples    int                `json:"min_samples,omitzero"`
	AllowedPerDay int                `json:"allowed_per_day,omitzero"`
	Per           configs.Duration   `json:"per,omitzero"`
	After         configs.Duration   `json:"after,omitzero"`
	Tolerance     float64            `json:"tolerance,omitzero"`
	Min           *float64           `json:"min,omitempty"`
	Max           *float64           `json:"max,omitempty"`
}

type targetBody struct {
	ID            string       `json:"id"`
	Title         string       `json:"title"`
	Metric        string       `json:"metric"`
	Max           *float64     `json:"max,omitempty"`
	Min           *float64     `json:"min,omitempty"`
	Scope         *scopeBody   `json:"scope,omitempty"`
	EffectiveFrom configs.Date `json:"effective_from,omitzero"`
	EffectiveTo   configs.Date `json:"effective_to,omitzero"`
}

// aqiBody is an AQI table: per pollutant, [concentration, IAQI] pairs.
type aqiBody struct {
	Name       string                                      `json:"name"`
	Pollutants map[telemetry.Quantity][]configs.Breakpoint `json:"pollutants"`
}

type plansBodyJSON struct {
	Plans []planBody `json:"plans"`
}

func (s *server) plansList(w http.ResponseWriter, r *http.Request) {
	s.reply(w, r, http.StatusOK, plansBodyJSON{Plans: s.plans})
}

// plansBody converts the plans once, when the server is made: they do not
// change while the collector runs.
func plansBody(plans []*configs.Plan) []planBody {
	out := make([]planBody, 0, len(plans))
	for _, p := range plans {
		if p == nil {
			continue
		}
		b := planBody{ID: p.ID, Title: p.Title, Source: p.Source, Kind: p.Kind,
			EffectiveFrom: p.EffectiveFrom, EffectiveTo: p.EffectiveTo, Scope: scopeOf(p.Scope),
			Rules: make([]ruleBody, len(p.Rules)), Targets: make([]targetBody, len(p.Targets))}
		for i, r := range p.Rules {
			b.Rules[i] = ruleBody{ID: r.ID, Title: r.Title, Kind: r.Kind, Quantity: r.Quantity, Unit: limitUnit(r),
				Category: r.Category, Severity: r.Severity, Office: r.Office, Scope: scopeOf(r.Scope),
				EffectiveFrom: r.EffectiveFrom, EffectiveTo: r.EffectiveTo, Above: r.Above, Below: r.Below, Clear: r.Clear,
				For: r.For, ClearFor: r.ClearFor, Window: r.Window, Period: r.Period, Aggregate: r.Aggregate,
				MinSamples: r.MinSamples, AllowedPerDay: r.AllowedPerDay, Per: r.Per, After: r.After,
				Tolerance: r.Tolerance, Min: r.Min, Max: r.Max}
		}
		for i, t := range p.Targets {
			b.Targets[i] = targetBody{ID: t.ID, Title: t.Title, Metric: t.Metric, Max: t.Max, Min: t.Min,
				Scope: scopeOf(t.Scope), EffectiveFrom: t.EffectiveFrom, EffectiveTo: t.EffectiveTo}
		}
		if p.AQI != nil {
			b.AQI = &aqiBody{Name: p.AQI.Name, Pollutants: p.AQI.Pollutants}
		}
		out = append(out, b)
	}
	return out
}

// limitUnit is the unit of r's limits, spelt as alerts spell it.
func limitUnit(r configs.Rule) string {
	u := r.Quantity.Unit()
	if r.Kind != configs.Rate {
		return u
	}
	switch per := r.Per.D(); per {
	case time.Second:
		return u + "/s"
	case time.Minute:
		return u + "/min"
	case time.Hour:
		return u + "/h"
	case 24 * time.Hour:
		return u + "/day"
	}
	return u + "/" + r.Per.String()
}

func scopeOf(s configs.Scope) *scopeBody {
	if s.IsZero() {
		return nil
	}
	return &scopeBody{Districts: s.Districts, Sites: s.Sites, Tags: s.Tags, Devices: s.Devices}
}
