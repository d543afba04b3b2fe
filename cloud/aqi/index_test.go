package aqi

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/xiuhua/xiuhua/telemetry"
)

func table(t *testing.T, name string) *Table {
	t.Helper()
	s := loadSet(t)
	for i := range s {
		if s[i].Name == name {
			return &s[i]
		}
	}
	t.Fatalf("no table %q", name)
	return nil
}

type iaqiCase struct {
	q      telemetry.Quantity
	conc   float64
	want   int
	beyond bool
}

// The expected indexes are written out, not read from the fixture: every
// breakpoint of REFERENCE.md's table, then concentrations between
// breakpoints worked by hand, IAQI = ΔIAQI/ΔBP · (C − BPlo) + IAQIlo,
// rounded up.
var iaqiCases = map[string][]iaqiCase{
	"HJ 633-2012": {
		// Every breakpoint.
		{telemetry.PM2_5, 0, 0, false},
		{telemetry.PM2_5, 35, 50, false},
		{telemetry.PM2_5, 75, 100, false},
		{telemetry.PM2_5, 115, 150, false},
		{telemetry.PM2_5, 150, 200, false},
		{telemetry.PM2_5, 250, 300, false},
		{telemetry.PM2_5, 350, 400, false},
		{telemetry.PM2_5, 500, 500, false},
		{telemetry.PM10, 0, 0, false},
		{telemetry.PM10, 50, 50, false},
		{telemetry.PM10, 150, 100, false},
		{telemetry.PM10, 250, 150, false},
		{telemetry.PM10, 350, 200, false},
		{telemetry.PM10, 420, 300, false},
		{telemetry.PM10, 500, 400, false},
		{telemetry.PM10, 600, 500, false},
		// Between breakpoints.
		{telemetry.PM2_5, 4.9, 7, false},     // 50/35·4.9 = 7 exactly (float gives 7.000000000000001)
		{telemetry.PM2_5, 10, 15, false},     // 50/35·10 = 14.29 → 15
		{telemetry.PM2_5, 17.5, 25, false},   // 50/35·17.5 = 25 exactly
		{telemetry.PM2_5, 35.1, 51, false},   // 50 + 50/40·0.1 = 50.125 → 51
		{telemetry.PM2_5, 35.8, 51, false},   // 50 + 50/40·0.8 = 51 exactly
		{telemetry.PM2_5, 55, 75, false},     // 50 + 50/40·20 = 75
		{telemetry.PM2_5, 70, 94, false},     // 50 + 50/40·35 = 93.75 → 94
		{telemetry.PM2_5, 75.1, 101, false},  // 100 + 50/40·0.1 = 100.125 → 101
		{telemetry.PM2_5, 100, 132, false},   // 100 + 50/40·25 = 131.25 → 132
		{telemetry.PM2_5, 103, 135, false},   // 100 + 50/40·28 = 135
		{telemetry.PM2_5, 120, 158, false},   // 150 + 50/35·5 = 157.14 → 158
		{telemetry.PM2_5, 200, 250, false},   // 200 + 100/100·50 = 250
		{telemetry.PM2_5, 300, 350, false},   // 300 + 100/100·50 = 350
		{telemetry.PM2_5, 425, 450, false},   // 400 + 100/150·75 = 450
		{telemetry.PM2_5, 499.9, 500, false}, // 400 + 100/150·149.9 = 499.93 → 500
		{telemetry.PM10, 100, 75, false},     // 50 + 50/100·50 = 75
		{telemetry.PM10, 130, 90, false},     // 50 + 50/100·80 = 90
		{telemetry.PM10, 151, 101, false},    // 100 + 50/100·1 = 100.5 → 101
		{telemetry.PM10, 200, 125, false},    // 100 + 50/100·50 = 125
		{telemetry.PM10, 385, 250, false},    // 200 + 100/70·35 = 250
		{telemetry.PM10, 450, 338, false},    // 300 + 100/80·30 = 337.5 → 338
		// Beyond the table: capped at its top.
		{telemetry.PM2_5, 500.1, 500, true},
		{telemetry.PM2_5, 1000, 500, true},
		{telemetry.PM10, 600.01, 500, true},
	},
	"HJ 633-2026": {
		{telemetry.PM2_5, 0, 0, false},
		{telemetry.PM2_5, 35, 50, false},
		{telemetry.PM2_5, 60, 100, false},
		{telemetry.PM2_5, 115, 150, false},
		{telemetry.PM2_5, 150, 200, false},
		{telemetry.PM2_5, 250, 300, false},
		{telemetry.PM2_5, 350, 400, false},
		{telemetry.PM2_5, 500, 500, false},
		{telemetry.PM10, 0, 0, false},
		{telemetry.PM10, 50, 50, false},
		{telemetry.PM10, 120, 100, false},
		{telemetry.PM10, 250, 150, false},
		{telemetry.PM10, 350, 200, false},
		{telemetry.PM10, 420, 300, false},
		{telemetry.PM10, 500, 400, false},
		{telemetry.PM10, 600, 500, false},
		{telemetry.PM2_5, 50, 80, false},    // 50 + 50/25·15 = 80
		{telemetry.PM2_5, 59.9, 100, false}, // 50 + 50/25·24.9 = 99.8 → 100
		{telemetry.PM2_5, 60.1, 101, false}, // 100 + 50/55·0.1 = 100.09 → 101
		{telemetry.PM2_5, 70, 110, false},   // 100 + 50/55·10 = 109.09 → 110
		{telemetry.PM2_5, 75, 114, false},   // 100 + 50/55·15 = 113.64 → 114 (100 under 2012)
		{telemetry.PM10, 85, 75, false},     // 50 + 50/70·35 = 75
		{telemetry.PM10, 100, 86, false},    // 50 + 50/70·50 = 85.71 → 86
		{telemetry.PM10, 120.5, 101, false}, // 100 + 50/130·0.5 = 100.19 → 101
		{telemetry.PM10, 130, 104, false},   // 100 + 50/130·10 = 103.85 → 104
		{telemetry.PM10, 150, 112, false},   // 100 + 50/130·30 = 111.54 → 112 (100 under 2012)
		{telemetry.PM10, 600.5, 500, true},
	},
}

func TestIAQI(t *testing.T) {
	for name, cases := range iaqiCases {
		tab := table(t, name)
		for _, c := range cases {
			got, beyond, err := tab.IAQI(c.q, c.conc)
			if err != nil || got != c.want || beyond != c.beyond {
				t.Errorf("%s: IAQI(%s, %v) = %d, %v, %v; want %d, %v", name, c.q, c.conc, got, beyond, err, c.want, c.beyond)
			}
		}
	}
}

// The rule is "round up": anything above an integer, however little, is
// the next integer.
func TestIAQIRoundsUp(t *testing.T) {
	tab := table(t, "HJ 633-2012")
	for _, c := range []iaqiCase{
		{telemetry.PM2_5, 0.001, 1, false},    // 0.0014 → 1
		{telemetry.PM2_5, 0.7, 1, false},      // 1 exactly
		{telemetry.PM2_5, 0.71, 2, false},     // 1.014 → 2
		{telemetry.PM2_5, 35.0001, 51, false}, // 50.000125 → 51
		{telemetry.PM2_5, 74.999, 100, false}, // 99.99875 → 100
		{telemetry.PM10, 0.5, 1, false},       // 0.5 → 1
		{telemetry.PM10, 150.001, 101, false},
	} {
		if got, _, err := tab.IAQI(c.q, c.conc); err != nil || got != c.want {
			t.Errorf("IAQI(%s, %v) = %d, %v; want %d", c.q, c.conc, got, err, c.want)
		}
	}
}

// exactIAQI computes, in integer arithmetic, the index at k/100 µg/m³
// for breakpoints that are whole numbers (the published ones are).
func exactIAQI(t *testing.T, bps []Breakpoint, k int64) (int, bool) {
	n := func(f float64) int64 {
		if f != math.Trunc(f) {
			t.Fatalf("breakpoint %v is not a whole number", f)
		}
		return int64(f)
	}
	top := bps[len(bps)-1]
	if k > 100*n(top.Conc) {
		return int(n(top.IAQI)), true
	}
	for i := 1; i < len(bps); i++ {
		lo, hi := bps[i-1], bps[i]
		if k > 100*n(hi.Conc) {
			continue
		}
		// lo.IAQI + ΔIAQI·(k/100 − lo.Conc)/ΔConc, rounded up.
		num := (n(hi.IAQI) - n(lo.IAQI)) * (k - 100*n(lo.Conc))
		den := 100 * (n(hi.Conc) - n(lo.Conc))
		return int(n(lo.IAQI) + (num+den-1)/den), false
	}
	panic("unreachable")
}

// Every concentration to 0.01 µg/m³ from 0 to past the top of both tables
// gives the exact rounded-up index: float error never pushes an exact
// integer up by one (a bare math.Ceil fails at 4.9 µg/m³ under HJ 633-2012,
// whose exact index 7 computes as 7.000000000000001).
func TestIAQIMatchesExactArithmetic(t *testing.T) {
	for _, tab := range loadSet(t) {
		for _, q := range []telemetry.Quantity{telemetry.PM2_5, telemetry.PM10} {
			bps := tab.Pollutants[q]
			for k := int64(0); k <= 61000; k++ {
				want, wantBeyond := exactIAQI(t, bps, k)
				got, beyond, err := tab.IAQI(q, float64(k)/100)
				if err != nil || got != want || beyond != wantBeyond {
					t.Fatalf("%s: IAQI(%s, %d/100) = %d, %v, %v; exact %d, %v", tab.Name, q, k, got, beyond, err, want, wantBeyond)
				}
			}
		}
	}
}

func TestIAQIErrors(t *testing.T) {
	tab := table(t, "HJ 633-2012")
	for _, tc := range []struct {
		q    telemetry.Quantity
		conc float64
		want error
	}{
		{telemetry.PM2_5, -0.1, ErrConcentration},
		{telemetry.PM10, -1, ErrConcentration},
		{telemetry.PM2_5, math.NaN(), ErrConcentration},
		{telemetry.PM2_5, math.Inf(1), ErrConcentration},
		{"so2", 10, ErrPollutant},
		{telemetry.PM1, 10, ErrPollutant},
	} {
		if _, _, err := tab.IAQI(tc.q, tc.conc); !errors.Is(err, tc.want) {
			t.Errorf("IAQI(%s, %v) = %v, want %v", tc.q, tc.conc, err, tc.want)
		}
	}
	broken := &Table{Name: "broken", Pollutants: map[telemetry.Quantity][]Breakpoint{telemetry.PM10: {{10, 0}, {50, 50}}}}
	if _, _, err := broken.IAQI(telemetry.PM10, 5); !errors.Is(err, ErrInvalidTable) {
		t.Errorf("unvalidated table: %v, want ErrInvalidTable", err)
	}
}

func TestDailyAQI(t *testing.T) {
	pm := func(pm25, pm10 float64) map[telemetry.Quantity]float64 {
		m := map[telemetry.Quantity]float64{}
		if pm25 >= 0 {
			m[telemetry.PM2_5] = pm25
		}
		if pm10 >= 0 {
			m[telemetry.PM10] = pm10
		}
		return m
	}
	const none = -1
	for _, tc := range []struct {
		table    string
		means    map[telemetry.Quantity]float64
		aqi      int
		cat      Category
		primary  []telemetry.Quantity
		beyond   bool
		subIAQIs []int // by quantity name: pm10 before pm2_5
	}{
		// A tie at 50: no primary pollutant, AQI not above 50.
		{"HJ 633-2012", pm(35, 50), 50, Excellent, []telemetry.Quantity{}, false, []int{50, 50}},
		{"HJ 633-2012", pm(0, 0), 0, Excellent, []telemetry.Quantity{}, false, []int{0, 0}},
		{"HJ 633-2012", pm(35.1, 50), 51, Good, []telemetry.Quantity{telemetry.PM2_5}, false, []int{50, 51}},
		{"HJ 633-2012", pm(70, 100), 94, Good, []telemetry.Quantity{telemetry.PM2_5}, false, []int{75, 94}},
		// The same day's means after the switch: no longer a good day.
		{"HJ 633-2026", pm(70, 100), 110, LightlyPolluted, []telemetry.Quantity{telemetry.PM2_5}, false, []int{86, 110}},
		// A tie above 50: both are primary.
		{"HJ 633-2026", pm(60, 120), 100, Good, []telemetry.Quantity{telemetry.PM10, telemetry.PM2_5}, false, []int{100, 100}},
		{"HJ 633-2012", pm(75, 150), 100, Good, []telemetry.Quantity{telemetry.PM10, telemetry.PM2_5}, false, []int{100, 100}},
		// One pollutant only.
		{"HJ 633-2026", pm(none, 130), 104, LightlyPolluted, []telemetry.Quantity{telemetry.PM10}, false, []int{104}},
		{"HJ 633-2012", pm(103, 200), 135, LightlyPolluted, []telemetry.Quantity{telemetry.PM2_5}, false, []int{125, 135}},
		{"HJ 633-2012", pm(120, 450), 338, SeverelyPolluted, []telemetry.Quantity{telemetry.PM10}, false, []int{338, 158}},
		{"HJ 633-2012", pm(200, 100), 250, HeavilyPolluted, []telemetry.Quantity{telemetry.PM2_5}, false, []int{75, 250}},
		{"HJ 633-2012", pm(120, 50), 158, ModeratelyPolluted, []telemetry.Quantity{telemetry.PM2_5}, false, []int{50, 158}},
		{"HJ 633-2012", pm(800, 50), 500, SeverelyPolluted, []telemetry.Quantity{telemetry.PM2_5}, true, []int{50, 500}},
	} {
		tab := table(t, tc.table)
		x, err := DailyAQI(tab, tc.means)
		if err != nil {
			t.Errorf("%s %v: %v", tc.table, tc.means, err)
			continue
		}
		var subs []int
		for _, s := range x.Subs {
			subs = append(subs, s.IAQI)
			if s.Conc != tc.means[s.Quantity] {
				t.Errorf("%s %v: sub %v does not carry its concentration", tc.table, tc.means, s)
			}
		}
		if x.AQI != tc.aqi || x.Category != tc.cat || !slices.Equal(x.Primary, tc.primary) || x.Primary == nil ||
			x.Beyond() != tc.beyond || !slices.Equal(subs, tc.subIAQIs) || x.Table != tc.table {
			t.Errorf("%s %v = %+v; want AQI %d %v primary %v beyond %v subs %v",
				tc.table, tc.means, x, tc.aqi, tc.cat, tc.primary, tc.beyond, tc.subIAQIs)
		}
	}
}

func TestDailyAQIErrors(t *testing.T) {
	tab := table(t, "HJ 633-2026")
	for _, tc := range []struct {
		means map[telemetry.Quantity]float64
		want  error
	}{
		{nil, ErrNoPollutants},
		{map[telemetry.Quantity]float64{telemetry.PM2_5: 10, "so2": 5}, ErrPollutant},
		{map[telemetry.Quantity]float64{telemetry.PM2_5: 10, telemetry.PM10: -3}, ErrConcentration},
	} {
		if _, err := DailyAQI(tab, tc.means); !errors.Is(err, tc.want) {
			t.Errorf("DailyAQI(%v) = %v, want %v", tc.means, err, tc.want)
		}
	}
}

func TestCategory(t *testing.T) {
	for _, tc := range []struct {
		aqi int
		cat Category
	}{
		{0, Excellent}, {50, Excellent},
		{51, Good}, {100, Good},
		{101, LightlyPolluted}, {150, LightlyPolluted},
		{151, ModeratelyPolluted}, {200, ModeratelyPolluted},
		{201, HeavilyPolluted}, {300, HeavilyPolluted},
		{301, SeverelyPolluted}, {500, SeverelyPolluted}, {501, SeverelyPolluted},
	} {
		if got := CategoryOf(tc.aqi); got != tc.cat {
			t.Errorf("CategoryOf(%d) = %v, want %v", tc.aqi, got, tc.cat)
		}
	}
	names := map[Category][3]string{
		Excellent:          {"Excellent", "优", "green"},
		Good:               {"Good", "良", "yellow"},
		LightlyPolluted:    {"Lightly polluted", "轻度污染", "orange"},
		ModeratelyPolluted: {"Moderately polluted", "中度污染", "red"},
		HeavilyPolluted:    {"Heavily polluted", "重度污染", "purple"},
		SeverelyPolluted:   {"Severely polluted", "严重污染", "maroon"},
	}
	for c, n := range names {
		if got := [3]string{c.English(), c.Chinese(), c.Colour()}; got != n || c.String() != n[0] {
			t.Errorf("category %d: %v, %q; want %v", int(c), got, c.String(), n)
		}
	}
	for _, c := range []Category{0, 7} {
		if c.English() != "" || c.Chinese() != "" || c.Colour() != "" || c.String() != fmt.Sprintf("Category(%d)", int(c)) {
			t.Errorf("invalid category %d has names", int(c))
		}
	}
}

// FuzzIAQI checks that the index never falls as the concentration rises,
// stays on the scale, and never panics.
func FuzzIAQI(f *testing.F) {
	for _, seed := range [][2]float64{{0, 0.01}, {4.9, 4.9000001}, {35, 35.1}, {59.99, 60}, {499.9, 500.1}, {600, 1e9}} {
		f.Add(seed[0], seed[1])
	}
	set, err := readSet()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a, b float64) {
		if math.IsNaN(a) || math.IsNaN(b) || a < 0 || b < 0 || math.IsInf(a, 0) || math.IsInf(b, 0) {
			return
		}
		lo, hi := min(a, b), max(a, b)
		for i := range set {
			for q := range set[i].Pollutants {
				x, _, err1 := set[i].IAQI(q, lo)
				y, _, err2 := set[i].IAQI(q, hi)
				if err1 != nil || err2 != nil || x > y || x < 0 || y > 500 {
					t.Fatalf("%s %s: IAQI(%v) = %d, %v; IAQI(%v) = %d, %v", set[i].Name, q, lo, x, err1, hi, y, err2)
				}
			}
		}
	})
}
