package configs

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// TestPlanFiles loads every plan file shipped in plans/ and pins the
// numbers and dates the product relies on: a change to any of them must
// be made here too, on purpose.
func TestPlanFiles(t *testing.T) {
	pins := map[string]func(t *testing.T, p *Plan){
		"xuhui-2023.yaml":        pinXuhui2023,
		"gb3095-2012.yaml":       pinGB3095v2012,
		"gb3095-2026.yaml":       pinGB3095v2026,
		"hj633-2012.yaml":        pinHJ633v2012,
		"hj633-2026.yaml":        pinHJ633v2026,
		"construction-dust.yaml": pinConstructionDust,
		"elevator-safety.yaml":   pinElevatorSafety,
		"huangpu-flood.yaml":     pinHuangpuFlood,
	}
	files := glob(t, "plans/*.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			p, err := LoadPlan(f)
			if err != nil {
				t.Fatal(err)
			}
			if pin := pins[filepath.Base(f)]; pin != nil {
				pin(t, p)
			}
		})
	}
	for name := range pins {
		if !slices.Contains(files, filepath.Join("plans", name)) {
			t.Errorf("plans/%s is pinned but missing", name)
		}
	}
}

func pinXuhui2023(t *testing.T, p *Plan) {
	expect(t, "id", p.ID, "xuhui-2023")
	expect(t, "kind", p.Kind, KindPlan)
	expect(t, "effective_from", p.EffectiveFrom, Date{2023, time.January, 1})
	expect(t, "effective_to", p.EffectiveTo, Date{})
	expect(t, "scope.districts", fmt.Sprint(p.Scope.Districts), "[xuhui]")
	expect(t, "pm25-average", target(t, p, "pm25-average"), "pm2_5_mean max 32 from  to ")
	expect(t, "good-day-rate", target(t, p, "good-day-rate"), "good_day_rate min 0.85 from  to ")
	r := rule(t, p, "pm25-year-to-date")
	expect(t, "rule", fmt.Sprintf("%s %s %v %v %v %s", r.Kind, r.Quantity, r.Period, *r.Above, *r.Clear, r.Category), "period pm2_5 year 32 31 air")
}

func pinGB3095v2012(t *testing.T, p *Plan) {
	expect(t, "kind", p.Kind, KindStandard)
	expect(t, "effective_from", p.EffectiveFrom, Date{2016, time.January, 1})
	expect(t, "effective_to", p.EffectiveTo, Date{2026, time.March, 1})
	expect(t, "pm25-annual", target(t, p, "pm25-annual"), "pm2_5_mean max 35 from  to ")
	expect(t, "pm10-annual", target(t, p, "pm10-annual"), "pm10_mean max 70 from  to ")
	expect(t, "pm25-24h", dayRule(t, p, "pm25-24h"), "pm2_5 above 75 from  to ")
	expect(t, "pm10-24h", dayRule(t, p, "pm10-24h"), "pm10 above 150 from  to ")
}

func pinGB3095v2026(t *testing.T, p *Plan) {
	expect(t, "kind", p.Kind, KindStandard)
	expect(t, "effective_from", p.EffectiveFrom, Date{2026, time.March, 1})
	expect(t, "effective_to", p.EffectiveTo, Date{})
	expect(t, "pm25-annual-transition", target(t, p, "pm25-annual-transition"), "pm2_5_mean max 30 from  to 2031-01-01")
	expect(t, "pm25-annual", target(t, p, "pm25-annual"), "pm2_5_mean max 25 from 2031-01-01 to ")
	expect(t, "pm25-24h-transition", dayRule(t, p, "pm25-24h-transition"), "pm2_5 above 60 from  to 2031-01-01")
	expect(t, "pm25-24h", dayRule(t, p, "pm25-24h"), "pm2_5 above 50 from 2031-01-01 to ")
	expect(t, "pm10-annual-transition", target(t, p, "pm10-annual-transition"), "pm10_mean max 60 from  to 2031-01-01")
	expect(t, "pm10-annual", target(t, p, "pm10-annual"), "pm10_mean max 50 from 2031-01-01 to ")
	expect(t, "pm10-24h-transition", dayRule(t, p, "pm10-24h-transition"), "pm10 above 120 from  to 2031-01-01")
	expect(t, "pm10-24h", dayRule(t, p, "pm10-24h"), "pm10 above 100 from 2031-01-01 to ")
}

func pinHJ633v2012(t *testing.T, p *Plan) {
	expect(t, "dates", fmt.Sprint(p.EffectiveFrom, " ", p.EffectiveTo), "2016-01-01 2026-03-01")
	expect(t, "aqi.name", aqiName(p), "HJ 633-2012")
	expect(t, "pm2_5", breakpoints(p, telemetry.PM2_5), "[[0 0] [35 50] [75 100] [115 150] [150 200] [250 300] [350 400] [500 500]]")
	expect(t, "pm10", breakpoints(p, telemetry.PM10), "[[0 0] [50 50] [150 100] [250 150] [350 200] [420 300] [500 400] [600 500]]")
}

func pinHJ633v2026(t *testing.T, p *Plan) {
	expect(t, "dates", fmt.Sprint(p.EffectiveFrom, " ", p.EffectiveTo), "2026-03-01 ")
	expect(t, "aqi.name", aqiName(p), "HJ 633-2026")
	// The IAQI 100 breakpoints follow GB 3095-2026's 24-hour limits:
	// PM2.5 60 (was 75), PM10 120 (was 150).
	expect(t, "pm2_5", breakpoints(p, telemetry.PM2_5), "[[0 0] [35 50] [60 100] [115 150] [150 200] [250 300] [350 400] [500 500]]")
	expect(t, "pm10", breakpoints(p, telemetry.PM10), "[[0 0] [50 50] [120 100] [250 150] [350 200] [420 300] [500 400] [600 500]]")
}

func pinConstructionDust(t *testing.T, p *Plan) {
	expect(t, "id", p.ID, "shanghai-construction-dust")
	expect(t, "effective_from", p.EffectiveFrom, Date{2016, time.August, 1})
	for _, c := range []struct {
		id, tag string
		above   float64
	}{{"pm10-15min-exceedance", "general-area", 75}, {"pm10-15min-exceedance-key-area", "key-area", 60}} {
		r := rule(t, p, c.id)
		expect(t, c.id, fmt.Sprintf("%s %s %v %s %v %d %d %s %v", r.Kind, r.Quantity, r.Period, r.Aggregate, *r.Above, r.AllowedPerDay, r.MinSamples, r.Category, r.Scope.Tags),
			fmt.Sprintf("period pm10 15m mean %v 1 3 dust [%s]", c.above, c.tag))
	}
	r := rule(t, p, "pm25-15min-high")
	expect(t, "pm25-15min-high", fmt.Sprintf("%s %s %v %s %v %v %d", r.Kind, r.Quantity, r.Window, r.Aggregate, *r.Above, *r.Clear, r.MinSamples),
		"window pm2_5 15m mean 75 60 3")
}

func pinElevatorSafety(t *testing.T, p *Plan) {
	for _, c := range []struct {
		id       string
		q        telemetry.Quantity
		severity Severity
	}{
		{"trapped", telemetry.EventTrapped, Critical},
		{"door-open-moving", telemetry.EventDoorOpenMoving, Critical},
		{"overspeed", telemetry.EventOverspeed, Critical},
		{"vibration", telemetry.EventVibration, Warning},
		{"ebike", telemetry.EventEBike, Warning},
		{"local-alarm", telemetry.EventLocalAlarm, Warning},
	} {
		r := rule(t, p, c.id)
		if r.Kind != Event || r.Quantity != c.q || r.Severity != c.severity || r.Category != CategoryElevator {
			t.Errorf("%s: %s %s %s %s, want event %s %s elevator", c.id, r.Kind, r.Quantity, r.Severity, r.Category, c.q, c.severity)
		}
	}
}

func pinHuangpuFlood(t *testing.T, p *Plan) {
	for _, c := range []struct {
		id, want string
	}{
		{"river-gauge-1-warning", "threshold water_level water [river-gauge-1] 4.8 4.7 2m 10m warning"},
		{"river-gauge-1-guaranteed", "threshold water_level water [river-gauge-1] 5.5 5.4 1m 10m critical"},
	} {
		r := rule(t, p, c.id)
		expect(t, c.id, fmt.Sprint(r.Kind, " ", r.Quantity, " ", r.Category, " ", r.Scope.Sites, " ", *r.Above, " ", *r.Clear, " ", r.For, " ", r.ClearFor, " ", r.Severity), c.want)
	}
	r := rule(t, p, "rapid-rise")
	expect(t, "rapid-rise", fmt.Sprint(r.Kind, " ", r.Quantity, " ", r.Window, " ", r.Per, " ", *r.Above, " ", *r.Clear, " ", r.MinSamples), "rate water_level 30m 1h 0.3 0.1 5")
	r = rule(t, p, "level-gauge-silent")
	expect(t, "level-gauge-silent", fmt.Sprint(r.Kind, " ", r.After), "silence 10m")
	r = rule(t, p, "loop-broken")
	expect(t, "loop-broken", fmt.Sprint(r.Kind, " ", r.Quantity, " ", *r.Min, " ", *r.Max), "range loop_current 3.6 21")
}

// TestExampleCollector loads the example collector config with all the
// shipped plans, and checks where its alerts go.
func TestExampleCollector(t *testing.T) {
	c, err := LoadCollector(filepath.Join("examples", "collector.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, p := range c.Plans {
		ids = append(ids, p.ID)
		if !slices.Contains(glob(t, "plans/*.yaml"), c.PlanFiles[i]) {
			t.Errorf("plans[%d] resolved to %s, not a file in plans/", i, c.PlanFiles[i])
		}
	}
	wantIDs := []string{"shanghai-construction-dust", "xuhui-2023", "gb3095-2012", "gb3095-2026", "hj633-2012", "hj633-2026", "huangpu-flood", "elevator-safety"}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("plans %v, want %v", ids, wantIDs)
	}
	if c.Store.Backend != BackendBolt || c.Alerts.FlapOpens != 3 || c.Alerts.FlapWindow.D() != time.Hour || len(c.Notify.Channels) != 2 {
		t.Errorf("store %+v, alerts %+v, channels %+v", c.Store, c.Alerts, c.Notify.Channels)
	}

	// Every rule of every plan reaches an office, at every device.
	for _, p := range c.Plans {
		for _, r := range p.Rules {
			for _, d := range []string{"dust-site-1", "river-gauge-1", "elevator-1", "unlisted"} {
				if _, ok := c.Route(r.Category, c.Where(d)); !ok && r.Office == "" {
					t.Errorf("%s/%s reaches no office at %s", p.ID, r.ID, d)
				}
			}
		}
	}
	for _, tt := range []struct{ category, device, office string }{
		{CategoryWater, "river-gauge-1", "river-chief-office"},
		{CategoryWater, "pumping-station-1", "river-chief-office"},
		{CategoryDust, "dust-site-1", "city-operations-centre"},
		{CategoryAir, "dust-site-1", "city-operations-centre"},
		{CategoryElevator, "elevator-1", "elevator-safety-office"},
		{CategorySensor, "elevator-1", "city-operations-centre"},
	} {
		if got, ok := c.Route(tt.category, c.Where(tt.device)); got != tt.office || !ok {
			t.Errorf("Route(%s, %s) = %q, %v; want %q", tt.category, tt.device, got, ok, tt.office)
		}
	}

	// Escalation: river-chief-office → flood-command after 15m, which
	// escalates no further.
	chain := map[string]string{}
	for id := "river-chief-office"; id != ""; {
		o, ok := c.Office(id)
		if !ok {
			t.Fatalf("no office %q", id)
		}
		chain[id] = fmt.Sprint(o.EscalateTo, " ", o.EscalateAfter)
		id = o.EscalateTo
	}
	if want := map[string]string{"river-chief-office": "flood-command 15m", "flood-command": " 0s"}; fmt.Sprint(chain) != fmt.Sprint(want) {
		t.Errorf("escalation chain %v, want %v", chain, want)
	}
	if o, _ := c.Office("elevator-safety-office"); o.EscalateTo != "city-operations-centre" || o.EscalateAfter.D() != 5*time.Minute || len(o.Contacts) != 1 {
		t.Errorf("elevator-safety-office = %+v", o)
	}

	// Places, and the scopes of plans and rules over them.
	if w := c.Where("pumping-station-1"); w.Site != "river-gauge-1" || w.District != "xuhui" {
		t.Errorf("Where(pumping-station-1) = %+v", w)
	}
	plan := func(id string) *Plan {
		i := slices.IndexFunc(c.Plans, func(p *Plan) bool { return p.ID == id })
		if i < 0 {
			t.Fatalf("no plan %q", id)
		}
		return c.Plans[i]
	}
	for _, tt := range []struct {
		name  string
		scope Scope
		want  []string
	}{
		{"xuhui-2023", plan("xuhui-2023").Scope, []string{"dust-site-1", "river-gauge-1", "pumping-station-1", "elevator-1"}},
		{"huangpu-flood/river-gauge-1-warning", rule(t, plan("huangpu-flood"), "river-gauge-1-warning").Scope, []string{"river-gauge-1", "pumping-station-1"}},
		{"construction-dust general area", rule(t, plan("shanghai-construction-dust"), "pm10-15min-exceedance").Scope, []string{"dust-site-1"}},
		{"construction-dust key area", rule(t, plan("shanghai-construction-dust"), "pm10-15min-exceedance-key-area").Scope, nil},
		{"unscoped", rule(t, plan("huangpu-flood"), "rapid-rise").Scope, []string{"dust-site-1", "river-gauge-1", "pumping-station-1", "elevator-1", "unlisted"}},
	} {
		var got []string
		for _, d := range []string{"dust-site-1", "river-gauge-1", "pumping-station-1", "elevator-1", "unlisted"} {
			if tt.scope.Covers(c.Where(d)) {
				got = append(got, d)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s covers %v, want %v", tt.name, got, tt.want)
		}
	}
}

func expect[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func rule(t *testing.T, p *Plan, id string) Rule {
	t.Helper()
	for _, r := range p.Rules {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("%s has no rule %q", p.ID, id)
	return Rule{}
}

// target describes a target as "metric max|min value from date to date".
func target(t *testing.T, p *Plan, id string) string {
	t.Helper()
	for _, tg := range p.Targets {
		if tg.ID != id {
			continue
		}
		bound := "max"
		v := tg.Max
		if v == nil {
			bound, v = "min", tg.Min
		}
		return fmt.Sprintf("%s %s %v from %v to %v", tg.Metric, bound, *v, tg.EffectiveFrom, tg.EffectiveTo)
	}
	t.Fatalf("%s has no target %q", p.ID, id)
	return ""
}

// dayRule describes a rule on a day's mean, as "quantity above limit from
// date to date".
func dayRule(t *testing.T, p *Plan, id string) string {
	t.Helper()
	r := rule(t, p, id)
	if r.Kind != Period || r.Period != (PeriodSpec{D: 24 * time.Hour}) || r.Aggregate != Mean || r.Above == nil || r.Category != CategoryAir {
		t.Errorf("%s: %s rule on %v (%s, %s), want a period rule on the day's mean, category air", id, r.Kind, r.Period, r.Aggregate, r.Category)
		return ""
	}
	return fmt.Sprintf("%s above %v from %v to %v", r.Quantity, *r.Above, r.EffectiveFrom, r.EffectiveTo)
}

func aqiName(p *Plan) string {
	if p.AQI == nil {
		return ""
	}
	return p.AQI.Name
}

func breakpoints(p *Plan, q telemetry.Quantity) string {
	if p.AQI == nil {
		return ""
	}
	return fmt.Sprint(p.AQI.Pollutants[q])
}
