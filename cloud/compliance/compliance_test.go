package compliance

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/aqi"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

const allMinutes = 1<<60 - 1

// run returns n consecutive hourly rollups of one device from start, each
// with mean v over the minutes set in mask (one reading per minute).
func run(dev string, q telemetry.Quantity, start time.Time, n int, v float64, mask uint64) []store.Rollup {
	var rs []store.Rollup
	c := uint64(0)
	for m := mask & allMinutes; m != 0; m &= m - 1 {
		c++
	}
	for i := range n {
		rs = append(rs, store.Rollup{Device: dev, Sensor: "dust", Quantity: q, Hour: start.Add(time.Duration(i) * time.Hour).UTC(),
			Count: c, Sum: v * float64(c), Min: v, Max: v, Minutes: mask})
	}
	return rs
}

func TestPeriod(t *testing.T) {
	for _, tc := range []struct {
		year     int
		now      time.Time
		from, to time.Time
		err      bool
	}{
		{2026, cst(2026, 3, 4, 0), cst(2026, 1, 1, 0), cst(2026, 3, 4, 0), false},
		{2026, time.Date(2026, 3, 4, 3, 30, 0, 0, time.UTC), cst(2026, 1, 1, 0), cst(2026, 3, 4, 11).Add(30 * time.Minute), false},
		{2025, cst(2026, 3, 4, 0), cst(2025, 1, 1, 0), cst(2026, 1, 1, 0), false},
		{2025, cst(2026, 1, 1, 0), cst(2025, 1, 1, 0), cst(2026, 1, 1, 0), false},
		// 31 December 16:00 UTC is already the new year in CST.
		{2026, time.Date(2025, 12, 31, 16, 0, 1, 0, time.UTC), cst(2026, 1, 1, 0), cst(2026, 1, 1, 0).Add(time.Second), false},
		{2026, time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC), time.Time{}, time.Time{}, true},
		{2027, cst(2026, 3, 4, 0), time.Time{}, time.Time{}, true},
	} {
		from, to, err := Period(tc.year, tc.now)
		if (err != nil) != tc.err || !from.Equal(tc.from) || !to.Equal(tc.to) {
			t.Errorf("Period(%d, %v) = %v, %v, %v; want %v, %v, error %v", tc.year, tc.now, from, to, err, tc.from, tc.to, tc.err)
		}
		if err != nil && !errors.Is(err, ErrInput) {
			t.Errorf("Period(%d, %v): %v is not ErrInput", tc.year, tc.now, err)
		}
	}
}

// A day not over at Now is listed, with its means so far, but counted in
// no total.
func TestInProgressDay(t *testing.T) {
	in := weekInput(t)
	in.Now = cst(2026, 3, 3, 23).Add(30 * time.Minute)
	r, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	last := r.Days[len(r.Days)-1]
	if len(r.Days) != 62 || last.Date != "2026-03-03" || !last.InProgress || last.AQI == nil || *last.AQI != 100 || last.PM2_5Hours != 24 {
		t.Fatalf("last day %s", jsonOf(t, last))
	}
	if r.Days[60].InProgress {
		t.Error("2 March is in progress")
	}
	// The week's totals without 3 March: PM2.5 (35 + 103 + 71 + 70)/4.
	tot := r.Totals
	if tot.Days != 61 || tot.ValidDays != 5 || tot.GoodDays != 2 || *tot.PM2_5.Mean != 279.0/4 || tot.PM2_5.ValidDays != 4 {
		t.Errorf("totals %s", jsonOf(t, tot))
	}
}

// yearInput is a whole year 2025 of one station at 30/60 µg/m³, every
// hour of every day, reported on in January 2026.
func yearInput(t *testing.T) *Input {
	start := cst(2025, 1, 1, 0)
	// One hour either side: 31 Dec 2024 23:00 CST and 1 Jan 2026 00:00 CST
	// belong to other years.
	before := run("aq-1", telemetry.PM2_5, start.Add(-time.Hour), 1, 400, allMinutes)
	after := run("aq-1", telemetry.PM2_5, start.AddDate(1, 0, 0), 1, 400, allMinutes)
	pm25 := append(append(before, run("aq-1", telemetry.PM2_5, start, 365*24, 30, allMinutes)...), after...)
	return &Input{
		District: "test",
		Year:     2025,
		Now:      cst(2026, 1, 10, 9),
		PM2_5:    pm25,
		PM10:     run("aq-1", telemetry.PM10, start, 365*24, 60, allMinutes),
		Tables:   loadTables(t),
		Targets:  []Target{{ID: "good", Metric: GoodDayRate, Min: ptr(0.85)}},
		Limits: []Limit{
			{ID: "gb3095-2012-pm25", Metric: PM2_5Mean, Max: 35, To: cst(2026, 3, 1, 0)},
			{ID: "gb3095-2026-pm25", Metric: PM2_5Mean, Max: 30, From: cst(2026, 3, 1, 0), To: cst(2031, 1, 1, 0)},
		},
	}
}

func TestFullYear(t *testing.T) {
	r, err := Compute(yearInput(t))
	if err != nil {
		t.Fatal(err)
	}
	// 30 → 50/35·30 = 42.86 → 43; 60 → 50 + 50/100·10 = 55: AQI 55, good.
	tot := r.Totals
	if !r.YearComplete || len(r.Days) != 365 || tot.Days != 365 || tot.ValidDays != 365 || tot.GoodDays != 365 ||
		*tot.PM2_5.Mean != 30 || *tot.PM10.Mean != 60 || tot.Basis != FullYear || tot.PM2_5.Basis != FullYear {
		t.Fatalf("complete: %v, %d days, totals %s", r.YearComplete, len(r.Days), jsonOf(t, tot))
	}
	if r.Days[0].PM2_5Hours != 24 || r.Days[364].PM2_5Hours != 24 {
		t.Errorf("the neighbouring years' hours leaked in: %d, %d", r.Days[0].PM2_5Hours, r.Days[364].PM2_5Hours)
	}
	// The reference day is 31 December 2025: GB 3095-2012's 35 only.
	if len(r.Limits) != 1 || r.Limits[0].ID != "gb3095-2012-pm25" || r.Limits[0].Status != Met || r.Limits[0].Basis != FullYear {
		t.Errorf("limits %s", jsonOf(t, r.Limits))
	}
	if r.Targets[0].Status != Met || *r.Targets[0].Value != 1 {
		t.Errorf("targets %s", jsonOf(t, r.Targets))
	}
}

func TestTooFewDays(t *testing.T) {
	in := yearInput(t)
	// Keep 323 days of PM2.5 and 324 of PM10: one short of a valid annual
	// PM2.5 mean, just enough for PM10.
	in.PM2_5 = in.PM2_5[:1+323*24]
	in.PM10 = in.PM10[:324*24]
	r, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	tot := r.Totals
	if tot.PM2_5.ValidDays != 323 || tot.PM2_5.Basis != TooFewDays || tot.PM10.ValidDays != 324 || tot.PM10.Basis != FullYear ||
		tot.ValidDays != 324 || tot.Basis != FullYear {
		t.Fatalf("totals %s", jsonOf(t, tot))
	}
	// The value is shown, but no valid annual mean means no verdict.
	if l := r.Limits[0]; l.Status != Insufficient || *l.Value != 30 {
		t.Errorf("limit %s", jsonOf(t, l))
	}
	in.Params = &Params{MinDays: 300}
	if r, err = Compute(in); err != nil {
		t.Fatal(err)
	}
	if r.Limits[0].Status != Met || r.Params != (Params{MinMinutes: 45, MinHours: 20, MinDays: 300, GoodAQI: 100}) {
		t.Errorf("with min_days 300: %s, params %+v", r.Limits[0].Status, r.Params)
	}
}

// The limits judged are those in force on the day of Now during the year.
func TestLimitReferenceDay(t *testing.T) {
	in := weekInput(t)
	for _, tc := range []struct {
		now  time.Time
		want []string
	}{
		{cst(2026, 2, 15, 12), []string{"gb3095-2012-pm25", "gb3095-2012-pm10"}},
		{cst(2026, 3, 1, 0), []string{"gb3095-2012-pm25", "gb3095-2012-pm10"}}, // the period ends at midnight: 28 February
		{cst(2026, 3, 1, 0).Add(time.Minute), []string{"gb3095-2026-pm25-transition", "gb3095-2026-pm10-transition"}},
	} {
		in.Now = tc.now
		r, err := Compute(in)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, l := range r.Limits {
			ids = append(ids, l.ID)
		}
		if strings.Join(ids, " ") != strings.Join(tc.want, " ") {
			t.Errorf("at %v: limits %v, want %v", tc.now, ids, tc.want)
		}
	}
}

// The district's hour is the mean of its stations' valid hourly means,
// not a pooling of their readings; a station's hour is valid with
// MinMinutes distinct minutes, merged over its sensors.
func TestHourValidity(t *testing.T) {
	day := cst(2026, 5, 5, 0)
	first45 := uint64(1)<<45 - 1
	first44 := uint64(1)<<44 - 1
	rollups := func(hour0 []store.Rollup) []store.Rollup {
		// Hours 1–23 at 20 µg/m³ from a third station, so that the day is
		// valid and hour 0 decides its mean.
		return append(hour0, run("aq-z", telemetry.PM2_5, day.Add(time.Hour), 23, 20, allMinutes)...)
	}
	split := run("aq-b", telemetry.PM2_5, day, 1, 50, first44)
	split = append(split, run("aq-b", telemetry.PM2_5, day, 1, 50, allMinutes&^first44)...)
	split[1].Sensor = "sds011"
	for _, tc := range []struct {
		name  string
		hour0 []store.Rollup
		want  float64 // the district's value at hour 0, or NaN when it has none
	}{
		{"two stations", append(run("aq-a", telemetry.PM2_5, day, 1, 10, allMinutes), run("aq-b", telemetry.PM2_5, day, 1, 40, first45)...), 25},
		{"44 minutes", append(run("aq-a", telemetry.PM2_5, day, 1, 10, allMinutes), run("aq-b", telemetry.PM2_5, day, 1, 40, first44)...), 10},
		{"minute bits above 59 ignored", run("aq-a", telemetry.PM2_5, day, 1, 10, first44|0xf<<60), math.NaN()},
		{"negative mean", run("aq-a", telemetry.PM2_5, day, 1, -5, allMinutes), math.NaN()},
		{"no readings", []store.Rollup{{Device: "aq-a", Quantity: telemetry.PM2_5, Hour: day.UTC(), Minutes: allMinutes}}, math.NaN()},
		{"two sensors merged", split, 50},
	} {
		r, err := Compute(&Input{Year: 2026, Now: cst(2026, 5, 6, 0), PM2_5: rollups(tc.hour0), Tables: loadTables(t)})
		if err != nil {
			t.Fatal(err)
		}
		d := r.Days[len(r.Days)-1]
		hours, want := 23, 20.0
		if !math.IsNaN(tc.want) {
			hours, want = 24, (23*20+tc.want)/24
		}
		if d.PM2_5Hours != hours || *d.PM2_5 != want {
			t.Errorf("%s: %d hours, mean %v; want %d, %v", tc.name, d.PM2_5Hours, *d.PM2_5, hours, want)
		}
	}
}

func TestNoTable(t *testing.T) {
	in := weekInput(t)
	in.Tables = in.Tables[1:] // HJ 633-2026 only
	if _, err := Compute(in); !errors.Is(err, aqi.ErrNoTable) || !strings.Contains(err.Error(), "2026-02-25") {
		t.Errorf("Compute = %v, want aqi.ErrNoTable on 2026-02-25", err)
	}
	// Days without a valid mean need no table.
	in.Now = cst(2026, 2, 20, 0)
	if _, err := Compute(in); err != nil {
		t.Error(err)
	}
}

// An empty report keeps its shape: [] rather than null, null values.
func TestEmptyReport(t *testing.T) {
	r, err := Compute(&Input{District: "d", Year: 2026, Now: cst(2026, 1, 2, 0), Tables: loadTables(t),
		Water: []WaterStation{{Site: "s", Devices: []string{"wl"}, Levels: []Level{{Name: "warning", Above: 4}}}}})
	if err != nil {
		t.Fatal(err)
	}
	got := jsonOf(t, r)
	for _, want := range []string{`"targets":[]`, `"limits":[]`, `"pollutants":[]`, `"primary":[]`, `"iaqi":{}`, `"aqi":null`,
		`"good_day_rate":null`, `"mean":null`, `"peak":null`, `"first":null`, `"levels":[{"name":"warning","above":4,"hours":0`} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %s: %s", want, got)
		}
	}
	var back Report
	if err := json.Unmarshal([]byte(got), &back); err != nil || jsonOf(t, back) != got {
		t.Errorf("report does not round-trip through JSON: %v", err)
	}
}

func TestInputErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Input)
	}{
		{"year", func(in *Input) { in.Year = 0 }},
		{"not started", func(in *Input) { in.Year = 2027 }},
		{"tables overlap", func(in *Input) { in.Tables[1].From = cst(2026, 2, 1, 0) }},
		{"pm2_5 holds pm10", func(in *Input) { in.PM2_5 = append(in.PM2_5, in.PM10[0]) }},
		{"water holds pm10", func(in *Input) { in.WaterLevel = append(in.WaterLevel, in.PM10[0]) }},
		{"hour not on the hour", func(in *Input) { in.PM10[3].Hour = in.PM10[3].Hour.Add(time.Minute) }},
		{"target without id", func(in *Input) { in.Targets[0].ID = "" }},
		{"target id repeated", func(in *Input) { in.Targets[1].ID = in.Targets[0].ID }},
		{"target metric", func(in *Input) { in.Targets[0].Metric = "pm2_5" }},
		{"target without bound", func(in *Input) { in.Targets[0].Max = nil }},
		{"rate in percent", func(in *Input) { in.Targets[1].Min = ptr(85.0) }},
		{"min above max", func(in *Input) { in.Targets[0].Min = ptr(40.0) }},
		{"negative bound", func(in *Input) { in.Targets[0].Max = ptr(-1.0) }},
		{"NaN bound", func(in *Input) { in.Targets[0].Max = ptr(math.NaN()) }},
		{"limit id repeated", func(in *Input) { in.Limits[1].ID = in.Limits[0].ID }},
		{"limit on good days", func(in *Input) { in.Limits[0].Metric = GoodDayRate }},
		{"limit from not midnight CST", func(in *Input) { in.Limits[2].From = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) }},
		{"limit to before from", func(in *Input) { in.Limits[2].To = cst(2025, 1, 1, 0) }},
		{"station without site", func(in *Input) { in.Water[0].Site = "" }},
		{"station repeated", func(in *Input) { in.Water = append(in.Water, in.Water[0]) }},
		{"station without device", func(in *Input) { in.Water[0].Devices = nil }},
		{"station without level", func(in *Input) { in.Water[0].Levels = nil }},
		{"level repeated", func(in *Input) { in.Water[0].Levels[1].Name = "warning" }},
		{"level NaN", func(in *Input) { in.Water[0].Levels[1].Above = math.NaN() }},
		{"min_minutes", func(in *Input) { in.Params = &Params{MinMinutes: 61} }},
		{"min_hours", func(in *Input) { in.Params = &Params{MinHours: -1} }},
		{"min_days", func(in *Input) { in.Params = &Params{MinDays: 400} }},
		{"good_aqi", func(in *Input) { in.Params = &Params{GoodAQI: -100} }},
	} {
		in := weekInput(t)
		tc.change(in)
		if _, err := Compute(in); !errors.Is(err, ErrInput) {
			t.Errorf("%s: Compute = %v, want ErrInput", tc.name, err)
		}
	}
}
