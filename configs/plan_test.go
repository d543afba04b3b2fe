package configs

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// TestLoadPlanDefaults pins every default Plan.setDefaults applies, and
// that a value written out is kept.
func TestLoadPlanDefaults(t *testing.T) {
	dir := write(t, map[string]string{"p.yaml": `id: all-kinds
title: All kinds
rules:
  - {id: thr, title: T, quantity: pm2_5, above: 75}
  - {id: low, title: L, quantity: water_level, below: 0.5}
  - {id: win, title: W, kind: window, quantity: temperature, window: 1h, above: 40}
  - {id: per, title: P, kind: period, quantity: pm10, period: day, above: 150}
  - {id: rat, title: R, kind: rate, quantity: loop_current, window: 30m, above: 2}
  - {id: evt, title: E, kind: event, quantity: event_trapped}
  - {id: sil, title: S, kind: silence, quantity: humidity, after: 10m}
  - {id: stk, title: K, kind: stuck, quantity: accel_z, for: 1h}
  - {id: rng, title: N, kind: range, quantity: distance, min: 0, max: 5000}
  - id: given
    title: G
    kind: window
    quantity: pm2_5
    window: 15m
    above: 75
    clear: 60
    aggregate: max
    min_samples: 3
    category: air
    severity: info
    office: parks
    effective_to: 2031-01-01
targets:
  - {id: pm25, title: PM2.5, metric: pm2_5_mean, max: 35}
effective_from: 2016-08-01
`})
	p, err := LoadPlan(filepath.Join(dir, "p.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	hour := Duration(time.Hour)
	want := &Plan{
		ID: "all-kinds", Title: "All kinds", Kind: KindPlan,
		EffectiveFrom: Date{2016, time.August, 1},
		Rules: []Rule{
			{ID: "thr", Title: "T", Kind: Threshold, Quantity: telemetry.PM2_5, Category: CategoryDust,
				Above: ptr(75), Clear: ptr(75), MinSamples: 1, Severity: Warning},
			{ID: "low", Title: "L", Kind: Threshold, Quantity: telemetry.WaterLevel, Category: CategoryWater,
				Below: ptr(0.5), Clear: ptr(0.5), MinSamples: 1, Severity: Warning},
			{ID: "win", Title: "W", Kind: Window, Quantity: telemetry.Temperature, Category: CategoryAir,
				Window: hour, Aggregate: Mean, Above: ptr(40), Clear: ptr(40), MinSamples: 1, Severity: Warning},
			{ID: "per", Title: "P", Kind: Period, Quantity: telemetry.PM10, Category: CategoryDust,
				Period: PeriodSpec{D: 24 * time.Hour}, Aggregate: Mean, Above: ptr(150), Clear: ptr(150), MinSamples: 1, Severity: Warning},
			{ID: "rat", Title: "R", Kind: Rate, Quantity: telemetry.LoopCurrent, Category: CategoryWater,
				Window: Duration(30 * time.Minute), Per: hour, Above: ptr(2), Clear: ptr(2), MinSamples: 1, Severity: Warning},
			{ID: "evt", Title: "E", Kind: Event, Quantity: telemetry.EventTrapped, Category: CategoryElevator,
				MinSamples: 1, Severity: Critical},
			{ID: "sil", Title: "S", Kind: Silence, Quantity: telemetry.Humidity, Category: CategoryAir,
				After: Duration(10 * time.Minute), MinSamples: 1, Severity: Warning},
			{ID: "stk", Title: "K", Kind: Stuck, Quantity: telemetry.AccelZ, Category: CategoryElevator,
				For: hour, MinSamples: 1, Severity: Warning},
			{ID: "rng", Title: "N", Kind: Range, Quantity: telemetry.Distance, Category: CategoryWater,
				Min: ptr(0), Max: ptr(5000), MinSamples: 1, Severity: Warning},
			{ID: "given", Title: "G", Kind: Window, Quantity: telemetry.PM2_5, Category: CategoryAir,
				Window: Duration(15 * time.Minute), Aggregate: Max, Above: ptr(75), Clear: ptr(60), MinSamples: 3,
				Office: "parks", Severity: Info, EffectiveTo: Date{2031, time.January, 1}},
		},
		Targets: []Target{{ID: "pm25", Title: "PM2.5", Metric: MetricPM25Mean, Max: ptr(35)}},
	}
	if !reflect.DeepEqual(p, want) {
		for i := range min(len(p.Rules), len(want.Rules)) {
			if !reflect.DeepEqual(p.Rules[i], want.Rules[i]) {
				t.Errorf("rules[%d]:\ngot  %+v\nwant %+v", i, p.Rules[i], want.Rules[i])
			}
		}
		t.Errorf("got  %+v\nwant %+v", p, want)
	}
	if limit, below := p.Rules[1].Limit(); limit != 0.5 || !below {
		t.Errorf("Limit() of a below rule = %v, %v", limit, below)
	}
	if limit, below := p.Rules[0].Limit(); limit != 75 || below {
		t.Errorf("Limit() of an above rule = %v, %v", limit, below)
	}
}

// TestPlanValidate checks a plan built in code: a field counts as given
// when it is set, since there is no file to say so; the defaults a loader
// applies do not count.
func TestPlanValidate(t *testing.T) {
	p := &Plan{ID: "p", Title: "t", Kind: KindPlan, Rules: []Rule{
		{ID: "thr", Title: "t", Kind: Threshold, Quantity: telemetry.PM10, Category: CategoryDust,
			Above: ptr(150), Clear: ptr(120), MinSamples: 1, Severity: Info},
		{ID: "win", Title: "t", Kind: Window, Quantity: telemetry.PM10, Category: CategoryDust,
			Window: Duration(time.Hour), Aggregate: Mean, Above: ptr(150), Clear: ptr(150), MinSamples: 1, Office: "o", Severity: Info},
		{ID: "rat", Title: "t", Kind: Rate, Quantity: telemetry.WaterLevel, Category: CategoryWater,
			Window: Duration(time.Hour), Per: Duration(time.Hour), Below: ptr(-1), Clear: ptr(-1), MinSamples: 1, Severity: Warning},
		{ID: "evt", Title: "t", Kind: Event, Quantity: telemetry.EventEBike, Category: CategoryElevator, MinSamples: 1, Severity: Critical},
		{ID: "sil", Title: "t", Kind: Silence, Quantity: telemetry.PM10, Category: CategorySensor, After: Duration(time.Hour), Severity: Warning},
	}}
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	p.Rules[0].Aggregate = Mean
	p.Rules[0].MinSamples = 3
	p.Rules[1].Severity = ""
	p.Rules[1].Window = 0
	p.Rules[3].Per = Duration(time.Hour)
	want := []string{
		"rules[0].aggregate: not used by threshold rules",
		"rules[0].min_samples: not used by threshold rules",
		"rules[1].window: required for window rules",
		`rules[1].severity: "" is not a severity; use info, warning or critical`,
		"rules[3].per: not used by event rules",
	}
	if got := p.Validate(); got == nil || got.Error() != strings.Join(want, "\n") {
		t.Errorf("Validate() =\n%v\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

// TestPlanProblems checks the exact problems of a plan as a whole, of its
// targets and of its AQI table.
func TestPlanProblems(t *testing.T) {
	const head = "id: p\ntitle: P\n"
	tests := []struct {
		name, plan string
		want       []string
	}{{
		name: "nothing to do",
		plan: head,
		want: []string{"p.yaml: rules (line 1): a plan needs rules, targets or an aqi table"},
	}, {
		name: "plan mistakes",
		plan: "id: P 1\nkind: law\neffective_from: 2026-03-01\neffective_to: 2016-01-01\ntargets: [{id: t, title: T, metric: pm10_mean, max: 70}]\n",
		want: []string{
			`p.yaml: id (line 1): "P 1" is not a valid id; use 1 to 64 lower-case letters, digits or '-'`,
			"p.yaml: title (line 1): required",
			`p.yaml: kind (line 2): "law" is not a plan kind; use plan or standard`,
			"p.yaml: effective_to (line 4): 2016-01-01 is not after effective_from (2026-03-01)",
		},
	}, {
		name: "rule and target never in force within the plan's dates",
		plan: head + `effective_from: 2026-03-01
effective_to: 2031-01-01
rules:
  - {id: old, title: O, quantity: pm2_5, above: 75, effective_to: 2026-03-01}
targets:
  - {id: late, title: L, metric: pm2_5_mean, max: 25, effective_from: 2031-01-01}
`,
		want: []string{
			"p.yaml: rules[0].effective_to (line 6): 2026-03-01 is not after the plan's effective_from (2026-03-01): never in force",
			"p.yaml: targets[0].effective_from (line 8): 2031-01-01 is not before the plan's effective_to (2031-01-01): never in force",
		},
	}, {
		name: "duplicate ids",
		plan: head + `rules:
  - {id: a, title: A, quantity: pm2_5, above: 75}
  - {id: a, title: A, quantity: pm10, above: 150}
targets:
  - {id: t, title: T, metric: pm10_mean, max: 70}
  - {id: t, title: T, metric: pm2_5_mean, max: 35}
`,
		want: []string{
			`p.yaml: rules[1].id (line 5): "a" is already the id of rules[0]`,
			`p.yaml: targets[1].id (line 8): "t" is already the id of targets[0]`,
		},
	}, {
		name: "targets",
		plan: head + `targets:
  - {id: a, title: A, metric: pm1_mean, max: 10}
  - {id: b, title: B, metric: good_day_rate}
  - {id: c, title: C, metric: good_day_rate, min: 85}
  - {id: d, title: D, metric: good_day_rate, min: -0.1}
  - {id: e, title: E, metric: good_day_rate, min: .nan}
  - {id: f, title: F, metric: good_day_rate, min: 0.8, max: 1}
  - {id: g, title: G, metric: pm2_5_mean}
  - {id: h, title: H, metric: pm10_mean, max: 70, min: 10}
  - {id: i, title: I, metric: pm2_5_mean, max: 0}
  - {id: j, title: J, metric: pm2_5_mean, max: .inf}
  - {id: k, metric: pm2_5_mean, max: 35, scope: {districts: ['']}, effective_from: 2020-01-01, effective_to: 2019-01-01}
`,
		want: []string{
			`p.yaml: targets[0].metric (line 4): "pm1_mean" is not a metric; use pm2_5_mean, pm10_mean or good_day_rate`,
			"p.yaml: targets[1].min (line 5): a good_day_rate target needs min (a fraction, e.g. 0.85) and no max",
			"p.yaml: targets[2].min (line 6): 85 is not a fraction between 0 and 1",
			"p.yaml: targets[3].min (line 7): -0.1 is not a fraction between 0 and 1",
			"p.yaml: targets[4].min (line 8): NaN is not a fraction between 0 and 1",
			"p.yaml: targets[5].min (line 9): a good_day_rate target needs min (a fraction, e.g. 0.85) and no max",
			"p.yaml: targets[6].max (line 10): a pm2_5_mean target needs max (µg/m³) and no min",
			"p.yaml: targets[7].max (line 11): a pm10_mean target needs max (µg/m³) and no min",
			"p.yaml: targets[8].max (line 12): 0 must be above 0",
			"p.yaml: targets[9].max (line 13): +Inf is not a finite number",
			"p.yaml: targets[10].title (line 14): required",
			"p.yaml: targets[10].effective_to (line 14): 2019-01-01 is not after targets[10].effective_from (2020-01-01)",
			"p.yaml: targets[10].scope.districts[0] (line 14): empty",
		},
	}, {
		name: "aqi tables",
		plan: head + `aqi:
  name: X
  pollutants:
    pm2_5: [[1, 0], [35, 50]]
    pm10: [[0, 0]]
    pm1: [[0, 0], [35, 50], [30, 100], [40, 100], [.inf, 200]]
    pm25: [[0, 0], [35, 50]]
`,
		want: []string{
			"p.yaml: aqi.pollutants.pm2_5 (line 6): breakpoints must start at [0, 0] and have at least two points",
			"p.yaml: aqi.pollutants.pm10 (line 7): breakpoints must start at [0, 0] and have at least two points",
			"p.yaml: aqi.pollutants.pm1[2] (line 8): [30 100] does not rise above [35 50]: concentrations and IAQI must both ascend",
			"p.yaml: aqi.pollutants.pm1[3] (line 8): [40 100] does not rise above [30 100]: concentrations and IAQI must both ascend",
			"p.yaml: aqi.pollutants.pm1[4] (line 8): [+Inf 200] does not rise above [40 100]: concentrations and IAQI must both ascend",
			`p.yaml: aqi.pollutants.pm25 (line 9): "pm25" is not a known quantity`,
		},
	}, {
		name: "aqi rows that are not pairs",
		plan: head + `aqi:
  name: X
  pollutants:
    pm2_5:
      - [0, 0]
      - [35, 50, 100]
      - [75]
      - {conc: 115, iaqi: 150}
    pm10: [[0, 0], [50, 50]]
scope: {districts: ['']}
`,
		want: []string{
			"p.yaml: aqi.pollutants.pm2_5[1] (line 8): want a pair of numbers [concentration, IAQI], got a list",
			"p.yaml: aqi.pollutants.pm2_5[2] (line 9): want a pair of numbers [concentration, IAQI], got a list",
			"p.yaml: aqi.pollutants.pm2_5[3] (line 10): want a pair of numbers [concentration, IAQI], got a mapping",
			"p.yaml: scope.districts[0] (line 12): empty",
		},
	}, {
		name: "aqi table without a name or pollutants",
		plan: head + "aqi: {pollutants: {}}\n",
		want: []string{
			"p.yaml: aqi.name (line 3): required",
			"p.yaml: aqi.pollutants (line 3): at least one pollutant's breakpoints are required",
		},
	}, {
		name: "two aqi pollutants on one line come in a fixed order",
		plan: head + "aqi: {name: X, pollutants: {pm4: [[0, 0]], pm10: [[0, 0]], pm1: [[0, 0]]}}\n",
		want: []string{
			"p.yaml: aqi.pollutants.pm1 (line 3): breakpoints must start at [0, 0] and have at least two points",
			"p.yaml: aqi.pollutants.pm10 (line 3): breakpoints must start at [0, 0] and have at least two points",
			"p.yaml: aqi.pollutants.pm4 (line 3): breakpoints must start at [0, 0] and have at least two points",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := write(t, map[string]string{"p.yaml": tt.plan})
			_, err := LoadPlan(filepath.Join(dir, "p.yaml"))
			if got := problems(t, err, dir); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestPlanInForce checks the dates of a plan and of its rules and targets
// combine, as China Standard Time days.
func TestPlanInForce(t *testing.T) {
	p := &Plan{EffectiveFrom: Date{2026, time.March, 1}}
	transition := Date{2031, time.January, 1}
	cst := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, CST) }
	tests := []struct {
		from, to Date
		at       time.Time
		want     bool
	}{
		{Date{}, transition, cst(2026, time.February, 28, 23), false},
		{Date{}, transition, cst(2026, time.March, 1, 0), true},
		// 2026-03-01 00:00 CST is still 2026-02-28 in UTC.
		{Date{}, transition, time.Date(2026, time.February, 28, 16, 0, 0, 0, time.UTC), true},
		{Date{}, transition, cst(2030, time.December, 31, 23), true},
		{Date{}, transition, cst(2031, time.January, 1, 0), false},
		{transition, Date{}, cst(2031, time.January, 1, 0), true},
		{transition, Date{}, cst(2030, time.December, 31, 23), false},
	}
	for _, tt := range tests {
		if got := p.InForce(tt.from, tt.to, tt.at); got != tt.want {
			t.Errorf("InForce(%v, %v, %v) = %v, want %v", tt.from, tt.to, tt.at, got, tt.want)
		}
	}
	from, to := p.Span(Date{2020, time.January, 1}, transition)
	if !from.Equal(cst(2026, time.March, 1, 0)) || !to.Equal(cst(2031, time.January, 1, 0)) {
		t.Errorf("Span = %v, %v: want the later start and the earlier end", from, to)
	}
	if from, to := (&Plan{}).Span(Date{}, Date{}); !from.IsZero() || !to.IsZero() {
		t.Errorf("Span of an unbounded plan = %v, %v, want zero times", from, to)
	}
}
