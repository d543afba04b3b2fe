package collector

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/xiuhua/xiuhua/cloud/alert"
	"github.com/xiuhua/xiuhua/cloud/aqi"
	"github.com/xiuhua/xiuhua/cloud/compliance"
	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/cloud/rules"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/web"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

// RulesFromPlans flattens the plans' rules for the engine, with each
// rule's dates of force (the plan's narrowed by the rule's).
func RulesFromPlans(plans []*configs.Plan) []rules.Rule {
	var out []rules.Rule
	for _, p := range plans {
		for _, r := range p.Rules {
			from, to := p.Span(r.EffectiveFrom, r.EffectiveTo)
			limit, below := r.Limit()
			rr := rules.Rule{
				Plan: p.ID, ID: r.ID, Title: r.Title, Kind: r.Kind, Quantity: r.Quantity,
				Category: r.Category, Office: r.Office, Severity: string(r.Severity), From: from, To: to,
				Below: below, Limit: limit, For: r.For.D(), ClearFor: r.ClearFor.D(),
				Window: r.Window.D(), Period: r.Period.D, Aggregate: r.Aggregate,
				MinSamples: r.MinSamples, Allowed: r.AllowedPerDay, Per: r.Per.D(),
				After: r.After.D(), Tolerance: r.Tolerance,
			}
			if r.Clear != nil {
				rr.Clear = *r.Clear
			}
			if r.Period.Year {
				rr.Period = rules.Year
			}
			if r.Min != nil && r.Max != nil {
				rr.Min, rr.Max = *r.Min, *r.Max
			}
			out = append(out, rr)
		}
	}
	return out
}

// planner answers what the plans and the config say about devices:
// which rules cover them, which office an alert goes to, where they are.
type planner struct {
	cfg    *configs.Collector
	scopes map[string][]configs.Scope // plan/rule → the plan's and the rule's scopes
}

func newPlanner(cfg *configs.Collector) *planner {
	p := &planner{cfg: cfg, scopes: map[string][]configs.Scope{}}
	for _, pl := range cfg.Plans {
		for _, r := range pl.Rules {
			p.scopes[pl.ID+"/"+r.ID] = []configs.Scope{pl.Scope, r.Scope}
		}
	}
	return p
}

// applies reports whether rule r covers device.
func (p *planner) applies(r *rules.Rule, device string) bool {
	w := p.cfg.Where(device)
	for _, s := range p.scopes[r.Plan+"/"+r.ID] {
		if !s.Covers(w) {
			return false
		}
	}
	return true
}

// route names the office of an alert of r on device: the rule's own, else
// the first route whose category and scope match the device (never a
// route whose scope does not). configs refuses a config in which a device
// that a rule without an office judges has no such route; should one
// slip through (a config built in code and never validated), the alert
// goes to the first office declared rather than to no one.
func (p *planner) route(r *rules.Rule, device string) string {
	if r.Office != "" {
		return r.Office
	}
	if office, ok := p.cfg.Route(r.Category, p.cfg.Where(device)); ok {
		return office
	}
	if len(p.cfg.Offices) > 0 {
		return p.cfg.Offices[0].ID
	}
	return ""
}

func (p *planner) place(device string) alert.Place {
	w := p.cfg.Where(device)
	return alert.Place{Site: w.Site, District: w.District}
}

func (p *planner) offices() []alert.Office {
	out := make([]alert.Office, len(p.cfg.Offices))
	for i, o := range p.cfg.Offices {
		cs := make([]notify.Contact, len(o.Contacts))
		for j, c := range o.Contacts {
			cs[j] = notify.Contact{Name: c.Name, Phone: c.Phone}
		}
		out[i] = alert.Office{ID: o.ID, Name: o.Name, Contacts: cs, EscalateAfter: o.EscalateAfter.D(), EscalateTo: o.EscalateTo}
	}
	return out
}

func (p *planner) channels() []notify.Channel {
	out := make([]notify.Channel, len(p.cfg.Notify.Channels))
	for i, c := range p.cfg.Notify.Channels {
		out[i] = notify.Channel{Name: c.Name, Type: c.Type, URL: c.URL, Secret: c.Secret, Topic: c.Topic,
			Offices: c.Offices, Timeout: c.Timeout.D()}
	}
	return out
}

// compliance returns the report of district in year, at now.
func (p *planner) compliance(st store.Store, now func() time.Time) web.Compliance {
	return func(ctx context.Context, district string, year int) (any, error) {
		in := &compliance.Input{District: district, Year: year, Now: now()}
		from, to, err := compliance.Period(year, in.Now)
		if err != nil {
			return nil, fmt.Errorf("%w: year: %v", web.ErrBadRequest, err)
		}
		var air []string
		known := false
		for _, s := range p.cfg.Sites {
			if s.District == district {
				known = true
				air = append(air, s.Devices...)
			}
		}
		if !known {
			return nil, fmt.Errorf("%w: district: no site of the collector config is in district %q", web.ErrBadRequest, district)
		}
		w := configs.Where{District: district}
		for _, pl := range p.cfg.Plans {
			if pl.AQI != nil {
				in.Tables = append(in.Tables, aqiTable(pl))
			}
			for _, tg := range pl.Targets {
				if !pl.Scope.Covers(w) && !pl.Scope.IsZero() || !tg.Scope.Covers(w) && !tg.Scope.IsZero() {
					continue
				}
				if pl.Kind == configs.KindStandard {
					f, t := pl.Span(tg.EffectiveFrom, tg.EffectiveTo)
					in.Limits = append(in.Limits, compliance.Limit{ID: pl.ID + "/" + tg.ID, Title: tg.Title,
						Metric: compliance.Metric(tg.Metric), Max: *tg.Max, From: f, To: t, Source: pl.Source})
					continue
				}
				if !pl.InForce(tg.EffectiveFrom, tg.EffectiveTo, to.Add(-time.Nanosecond)) {
					continue
				}
				in.Targets = append(in.Targets, compliance.Target{ID: pl.ID + "/" + tg.ID, Plan: pl.ID, Title: tg.Title,
					Metric: compliance.Metric(tg.Metric), Max: tg.Max, Min: tg.Min, Source: pl.Source})
			}
		}
		in.Water = p.waterStations(district)
		for _, q := range []struct {
			dst *[]store.Rollup
			q   telemetry.Quantity
		}{{&in.PM2_5, telemetry.PM2_5}, {&in.PM10, telemetry.PM10}, {&in.WaterLevel, telemetry.WaterLevel}} {
			if *q.dst, err = st.Rollups(ctx, store.RollupQuery{Devices: air, Quantity: q.q, From: from, To: to}); err != nil {
				return nil, err
			}
		}
		rep, err := compliance.Compute(in)
		switch {
		case errors.Is(err, compliance.ErrInput):
			return nil, fmt.Errorf("%w: %v", web.ErrBadRequest, err)
		case err != nil:
			// A day with no AQI table in force is the plans' fault.
			return nil, fmt.Errorf("compliance of %s in %d: %w", district, year, err)
		}
		return rep, nil
	}
}

// waterStations lists the district's sites that water-level threshold
// rules watch, with those rules' limits as the station's levels.
func (p *planner) waterStations(district string) []compliance.WaterStation {
	var out []compliance.WaterStation
	for _, s := range p.cfg.Sites {
		if s.District != district {
			continue
		}
		st := compliance.WaterStation{Site: s.ID, Devices: s.Devices}
		w := configs.Where{Site: s.ID, District: s.District, Tags: s.Tags}
		for _, pl := range p.cfg.Plans {
			for _, r := range pl.Rules {
				if r.Kind != configs.Threshold || r.Quantity != telemetry.WaterLevel || r.Above == nil ||
					len(r.Scope.Sites) == 0 || !r.Scope.Covers(w) || !pl.Scope.Covers(w) {
					continue
				}
				st.Levels = append(st.Levels, compliance.Level{Name: r.ID, Above: *r.Above})
			}
		}
		if len(st.Levels) > 0 {
			slices.SortFunc(st.Levels, func(a, b compliance.Level) int {
				switch {
				case a.Above < b.Above:
					return -1
				case a.Above > b.Above:
					return 1
				}
				return 0
			})
			out = append(out, st)
		}
	}
	return out
}

func aqiTable(pl *configs.Plan) aqi.Table {
	from, to := pl.Span(configs.Date{}, configs.Date{})
	t := aqi.Table{Name: pl.AQI.Name, From: from, To: to, Pollutants: map[telemetry.Quantity][]aqi.Breakpoint{}}
	for q, bps := range pl.AQI.Pollutants {
		for _, bp := range bps {
			t.Pollutants[q] = append(t.Pollutants[q], aqi.Breakpoint{Conc: bp[0], IAQI: bp[1]})
		}
	}
	return t
}
