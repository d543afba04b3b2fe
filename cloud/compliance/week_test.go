package compliance

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/aqi"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

var update = flag.Bool("update", false, "rewrite testdata/week.golden.json from the current code")

var cstZone = time.FixedZone("CST", 8*3600)

func cst(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, cstZone) }

func ptr[T any](v T) *T { return &v }

// loadTables reads the published HJ 633 tables, kept with package aqi's
// tests (the code holds no breakpoint).
func loadTables(t *testing.T) aqi.Set {
	t.Helper()
	b, err := os.ReadFile("../aqi/testdata/hj633.json")
	if err != nil {
		t.Fatal(err)
	}
	var s aqi.Set
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// loadRollups reads a CSV of hourly rollups:
// device,sensor,quantity,hour_utc,count,sum,min,max,minutes.
func loadRollups(t *testing.T, path string) map[telemetry.Quantity][]store.Rollup {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[telemetry.Quantity][]store.Rollup{}
	for i, rec := range recs[1:] {
		var errs []error
		num := func(s string) float64 {
			v, err := strconv.ParseFloat(s, 64)
			errs = append(errs, err)
			return v
		}
		unsigned := func(s string) uint64 {
			v, err := strconv.ParseUint(s, 0, 64)
			errs = append(errs, err)
			return v
		}
		hour, err := time.Parse(time.RFC3339, rec[3])
		errs = append(errs, err)
		ro := store.Rollup{Device: rec[0], Sensor: rec[1], Quantity: telemetry.Quantity(rec[2]), Hour: hour,
			Count: unsigned(rec[4]), Sum: num(rec[5]), Min: num(rec[6]), Max: num(rec[7]), Minutes: unsigned(rec[8])}
		for _, err := range errs {
			if err != nil {
				t.Fatalf("%s row %d: %v", path, i+2, err)
			}
		}
		out[ro.Quantity] = append(out[ro.Quantity], ro)
	}
	return out
}

// weekInput is the week of testdata/week.csv (see its header) reported on
// at midnight CST ending 3 March 2026, with Xuhui's targets and GB 3095's
// annual limits.
func weekInput(t *testing.T) *Input {
	rs := loadRollups(t, "testdata/week.csv")
	return &Input{
		District: "xuhui",
		Year:     2026,
		Now:      cst(2026, 3, 4, 0),
		PM2_5:    rs[telemetry.PM2_5],
		PM10:     rs[telemetry.PM10],
		Tables:   loadTables(t),
		Targets: []Target{
			{ID: "xuhui-pm25", Plan: "xuhui-2023", Title: "PM2.5 average not above 32 µg/m³", Metric: PM2_5Mean, Max: ptr(32.0),
				Source: "Xuhui district 2023 government work report"},
			{ID: "xuhui-good-days", Plan: "xuhui-2023", Title: "Good-day rate not below 85%", Metric: GoodDayRate, Min: ptr(0.85),
				Source: "Xuhui district 2023 government work report"},
			{ID: "pm10-120", Plan: "test", Title: "PM10 average not above 120 µg/m³", Metric: PM10Mean, Max: ptr(120.0)},
		},
		Limits: []Limit{
			{ID: "gb3095-2012-pm25", Title: "PM2.5 annual, grade II", Metric: PM2_5Mean, Max: 35, To: cst(2026, 3, 1, 0), Source: "GB 3095-2012"},
			{ID: "gb3095-2012-pm10", Title: "PM10 annual, grade II", Metric: PM10Mean, Max: 70, To: cst(2026, 3, 1, 0), Source: "GB 3095-2012"},
			{ID: "gb3095-2026-pm25-transition", Title: "PM2.5 annual, grade II (transition)", Metric: PM2_5Mean, Max: 30,
				From: cst(2026, 3, 1, 0), To: cst(2031, 1, 1, 0), Source: "GB 3095-2026"},
			{ID: "gb3095-2026-pm10-transition", Title: "PM10 annual, grade II (transition) (?)", Metric: PM10Mean, Max: 60,
				From: cst(2026, 3, 1, 0), To: cst(2031, 1, 1, 0), Source: "GB 3095-2026"},
			{ID: "gb3095-2026-pm25", Title: "PM2.5 annual, grade II", Metric: PM2_5Mean, Max: 25, From: cst(2031, 1, 1, 0), Source: "GB 3095-2026"},
		},
		Water: []WaterStation{{Site: "huangpu-xujiahui", Devices: []string{"wl-1", "wl-2"},
			Levels: []Level{{Name: "warning", Above: 4.0}, {Name: "guaranteed", Above: 4.8}}}},
		WaterLevel: rs[telemetry.WaterLevel],
	}
}

// TestWeekGolden compares the whole report with testdata/week.golden.json
// (go test -run TestWeekGolden -update rewrites it); TestWeekByHand checks
// the same report's numbers worked out by hand, so that the golden file is
// not merely self-consistent.
func TestWeekGolden(t *testing.T) {
	r, err := Compute(weekInput(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const golden = "testdata/week.golden.json"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report differs from %s; if the change is intended, run go test -run TestWeekGolden -update and review the diff", golden)
	}
}

// TestWeekByHand checks the week's report against numbers worked out by
// hand from testdata/week.csv (see its header). Where both stations are
// valid, A = m + e(h) and B = m − e(h), so the district's hour is m.
func TestWeekByHand(t *testing.T) {
	r, err := Compute(weekInput(t))
	if err != nil {
		t.Fatal(err)
	}
	// 1 January to 3 March: 31 + 28 + 3 days, all over at Now.
	if len(r.Days) != 62 || r.Totals.Days != 62 || r.YearComplete {
		t.Fatalf("%d days, %d complete, year complete %v; want 62, 62, false", len(r.Days), r.Totals.Days, r.YearComplete)
	}
	days := map[string]Day{}
	for _, d := range r.Days {
		days[d.Date] = d
	}
	// Exported fields: the comparison is of their JSON.
	type want struct {
		PM25, PM10          *float64
		Hours25, Hours10    int
		AQI                 *int
		IAQI                map[telemetry.Quantity]int
		Category            int
		Primary, Pollutants []telemetry.Quantity
		Good                *bool
		Table               string
	}
	pm := []telemetry.Quantity{telemetry.PM10, telemetry.PM2_5}
	for date, w := range map[string]want{
		// 23:00 CST on 24 February is 15:00 UTC: one hour, 400/500, which
		// must not leak into the 25th.
		"2026-02-24": {Hours25: 1, Hours10: 1},
		// All valid: 35 → IAQI 50 (breakpoint), 50 → 50. AQI 50 is not
		// above 50: no primary pollutant, though both tie.
		"2026-02-25": {PM25: ptr(35.0), PM10: ptr(50.0), Hours25: 24, Hours10: 24, AQI: ptr(50),
			IAQI: map[telemetry.Quantity]int{telemetry.PM10: 50, telemetry.PM2_5: 50}, Category: 1,
			Primary: []telemetry.Quantity{}, Pollutants: pm, Good: ptr(true), Table: "HJ 633-2012"},
		// B has 40 minutes at 00–05 (its 500s are dropped), so those six
		// hours are A's 112/224 and the other 18 are 100/200:
		// PM2.5 (6·112 + 18·100)/24 = 2472/24 = 103 → 100 + 50/40·(103−75) = 135;
		// PM10 (6·224 + 18·200)/24 = 4944/24 = 206 → 100 + 50/100·(206−150) = 128.
		"2026-02-26": {PM25: ptr(103.0), PM10: ptr(206.0), Hours25: 24, Hours10: 24, AQI: ptr(135),
			IAQI: map[telemetry.Quantity]int{telemetry.PM10: 128, telemetry.PM2_5: 135}, Category: 3,
			Primary: []telemetry.Quantity{telemetry.PM2_5}, Pollutants: pm, Good: ptr(false), Table: "HJ 633-2012"},
		// Hours 19–23 have 30 minutes at both stations: 19 valid hours,
		// fewer than 20, so neither daily mean is valid and there is no AQI.
		"2026-02-27": {Hours25: 19, Hours10: 19},
		// Hour 12: B's 44 minutes do not count, A's 70/100 stand alone.
		// Hour 23 (15:00 UTC, still the 28th): B is missing, A covers
		// exactly 45 minutes with 94/124.
		// PM2.5 (23·70 + 94)/24 = 1704/24 = 71 → 50 + 50/40·(71−35) = 95;
		// PM10 (23·100 + 124)/24 = 2424/24 = 101 → 50 + 50/100·51 = 75.5 → 76.
		"2026-02-28": {PM25: ptr(71.0), PM10: ptr(101.0), Hours25: 24, Hours10: 24, AQI: ptr(95),
			IAQI: map[telemetry.Quantity]int{telemetry.PM10: 76, telemetry.PM2_5: 95}, Category: 2,
			Primary: []telemetry.Quantity{telemetry.PM2_5}, Pollutants: pm, Good: ptr(true), Table: "HJ 633-2012"},
		// HJ 633-2026 from today. A's 05:00 is two sensors of 30 minutes
		// each, valid once merged, so every hour is 70/100:
		// PM2.5 70 → 100 + 50/55·(70−60) = 109.09 → 110 (it was 94 under 2012);
		// PM10 100 → 50 + 50/70·(100−50) = 85.71 → 86.
		"2026-03-01": {PM25: ptr(70.0), PM10: ptr(100.0), Hours25: 24, Hours10: 24, AQI: ptr(110),
			IAQI: map[telemetry.Quantity]int{telemetry.PM10: 86, telemetry.PM2_5: 110}, Category: 3,
			Primary: []telemetry.Quantity{telemetry.PM2_5}, Pollutants: pm, Good: ptr(false), Table: "HJ 633-2026"},
		// B offline; A's PM2.5 has 44 minutes at 18–23: 18 valid hours, no
		// PM2.5 mean. A's PM10 alternates 134/126: mean 130, so the AQI is
		// PM10's alone: 100 + 50/130·(130−120) = 103.85 → 104.
		"2026-03-02": {PM10: ptr(130.0), Hours25: 18, Hours10: 24, AQI: ptr(104),
			IAQI: map[telemetry.Quantity]int{telemetry.PM10: 104}, Category: 3,
			Primary: []telemetry.Quantity{telemetry.PM10}, Pollutants: []telemetry.Quantity{telemetry.PM10},
			Good: ptr(false), Table: "HJ 633-2026"},
		// 60 and 120 are both the 100 breakpoint of HJ 633-2026: a tie,
		// both primary, and still a good day (AQI ≤ 100).
		"2026-03-03": {PM25: ptr(60.0), PM10: ptr(120.0), Hours25: 24, Hours10: 24, AQI: ptr(100),
			IAQI: map[telemetry.Quantity]int{telemetry.PM10: 100, telemetry.PM2_5: 100}, Category: 2,
			Primary: pm, Pollutants: pm, Good: ptr(true), Table: "HJ 633-2026"},
		"2026-01-01": {},
	} {
		d, ok := days[date]
		if !ok {
			t.Errorf("no day %s", date)
			continue
		}
		if w.IAQI == nil {
			w.IAQI = map[telemetry.Quantity]int{}
		}
		for _, s := range []*[]telemetry.Quantity{&w.Primary, &w.Pollutants} {
			if *s == nil {
				*s = []telemetry.Quantity{}
			}
		}
		got := want{d.PM2_5, d.PM10, d.PM2_5Hours, d.PM10Hours, d.AQI, d.IAQI, 0, d.Primary, d.Pollutants, d.Good, d.Table}
		if d.Category != nil {
			got.Category = d.Category.Level
		}
		if g, w := jsonOf(t, got), jsonOf(t, w); g != w {
			t.Errorf("%s:\n got %s\nwant %s", date, g, w)
		}
	}

	// Valid days: 25, 26, 28 February, 1, 2, 3 March. Good: 25, 28, 3.
	// PM2.5 over its five valid days (not 27 February, not 2 March):
	// (35 + 103 + 71 + 70 + 60)/5 = 339/5 = 67.8.
	// PM10 over six: (50 + 206 + 101 + 100 + 130 + 120)/6 = 707/6 = 117.83.
	tot := r.Totals
	if tot.ValidDays != 6 || tot.GoodDays != 3 || *tot.GoodDayRate != 0.5 || tot.Basis != YearToDate {
		t.Errorf("totals: %d valid, %d good, rate %v, %s; want 6, 3, 0.5, year_to_date", tot.ValidDays, tot.GoodDays, *tot.GoodDayRate, tot.Basis)
	}
	if *tot.PM2_5.Mean != 339.0/5 || tot.PM2_5.ValidDays != 5 || *tot.PM10.Mean != 707.0/6 || tot.PM10.ValidDays != 6 {
		t.Errorf("annual: PM2.5 %v over %d days, PM10 %v over %d; want 67.8 over 5, 117.83 over 6",
			*tot.PM2_5.Mean, tot.PM2_5.ValidDays, *tot.PM10.Mean, tot.PM10.ValidDays)
	}

	// Targets: 67.8 > 32 not met; 0.5 < 0.85 not met; 117.83 ≤ 120 met.
	// Limits in force on 3 March are GB 3095-2026's transition values.
	statuses := map[string]Status{}
	for _, e := range append(r.Targets, r.Limits...) {
		statuses[e.ID] = e.Status
	}
	if g, w := jsonOf(t, statuses), jsonOf(t, map[string]Status{"xuhui-pm25": NotMet, "xuhui-good-days": NotMet, "pm10-120": Met,
		"gb3095-2026-pm25-transition": NotMet, "gb3095-2026-pm10-transition": NotMet}); g != w {
		t.Errorf("statuses %s, want %s", g, w)
	}

	// Water: warning (above 4.0) at 24 Feb 23:00 (4.10), 1 March 10, 11
	// and 12 (4.30; 4.90 and 4.95 the same hour, once; 4.50 and 4.85), 3
	// March 23:00 (4.20, 15:00 UTC); not 26 Feb 02:00 (4.00 is not above);
	// not 4 March 00:00 (after Now); not wl-9. Guaranteed (above 4.8): 1
	// March 11 and 12 (12 by wl-2 alone). wl-1 reported 1 + 7·24 hours.
	w := r.Water[0]
	lv := func(i int) [3]string {
		e := w.Levels[i]
		return [3]string{strconv.Itoa(e.Hours), e.First.Format(time.RFC3339), e.Last.Format(time.RFC3339)}
	}
	if w.Hours != 169 || *w.Peak != 4.95 || !w.PeakHour.Equal(cst(2026, 3, 1, 11)) ||
		lv(0) != [3]string{"5", "2026-02-24T23:00:00+08:00", "2026-03-03T23:00:00+08:00"} ||
		lv(1) != [3]string{"2", "2026-03-01T11:00:00+08:00", "2026-03-01T12:00:00+08:00"} {
		t.Errorf("water: %s", jsonOf(t, w))
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
