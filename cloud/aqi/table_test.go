package aqi

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// readSet reads the published HJ 633 tables from testdata/hj633.json (the
// numbers of REFERENCE.md, "Air-quality standards"): the code holds none.
func readSet() (Set, error) {
	b, err := os.ReadFile("testdata/hj633.json")
	if err != nil {
		return nil, err
	}
	var s Set
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return s, s.Validate()
}

func loadSet(t *testing.T) Set {
	t.Helper()
	s, err := readSet()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func cst(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.FixedZone("CST", 8*3600))
}

func TestDay(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		want time.Time
	}{
		{time.Date(2026, 2, 28, 15, 59, 59, 0, time.UTC), cst(2026, 2, 28, 0, 0)},
		{time.Date(2026, 2, 28, 16, 0, 0, 0, time.UTC), cst(2026, 3, 1, 0, 0)},
		{time.Date(2026, 2, 28, 15, 0, 0, 0, time.UTC), cst(2026, 2, 28, 0, 0)}, // 23:00 CST
		{cst(2026, 3, 1, 23, 59), cst(2026, 3, 1, 0, 0)},
		{time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC), cst(2026, 1, 1, 0, 0)},
	} {
		if got := Day(tc.in); !got.Equal(tc.want) || got.Location() != CST {
			t.Errorf("Day(%v) = %v, want %v in CST", tc.in, got, tc.want)
		}
	}
}

func TestSetFor(t *testing.T) {
	s := loadSet(t)
	for _, tc := range []struct {
		day  time.Time
		want string
	}{
		{cst(2013, 1, 1, 0, 0), "HJ 633-2012"},
		{cst(2026, 2, 28, 0, 0), "HJ 633-2012"},
		{cst(2026, 2, 28, 23, 59), "HJ 633-2012"},
		{time.Date(2026, 2, 28, 15, 59, 0, 0, time.UTC), "HJ 633-2012"}, // 23:59 CST on the 28th
		{time.Date(2026, 2, 28, 16, 0, 0, 0, time.UTC), "HJ 633-2026"},  // midnight CST on 1 March
		{cst(2026, 3, 1, 0, 0), "HJ 633-2026"},
		{time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "HJ 633-2026"},
		{cst(2040, 6, 1, 12, 0), "HJ 633-2026"},
	} {
		tab, err := s.For(tc.day)
		if err != nil {
			t.Errorf("For(%v): %v", tc.day, err)
			continue
		}
		if tab.Name != tc.want {
			t.Errorf("For(%v) = %s, want %s", tc.day, tab.Name, tc.want)
		}
	}

	// The same concentration reads differently on either side of the switch.
	for _, tc := range []struct {
		day  time.Time
		want int
	}{{cst(2026, 2, 28, 12, 0), 94}, {cst(2026, 3, 1, 12, 0), 110}} {
		tab, _ := s.For(tc.day)
		if got, _, _ := tab.IAQI(telemetry.PM2_5, 70); got != tc.want {
			t.Errorf("%s: IAQI(pm2_5, 70) = %d, want %d", tab.Name, got, tc.want)
		}
	}
}

func TestSetForErrors(t *testing.T) {
	s := loadSet(t)
	pm := s[0].Pollutants
	gap := Set{
		{Name: "a", To: cst(2026, 3, 1, 0, 0), Pollutants: pm},
		{Name: "b", From: cst(2026, 3, 2, 0, 0), Pollutants: pm},
	}
	if err := gap.Validate(); err != nil {
		t.Fatalf("a gap is allowed: %v", err)
	}
	if _, err := gap.For(cst(2026, 3, 1, 9, 0)); !errors.Is(err, ErrNoTable) {
		t.Errorf("day in the gap: %v, want ErrNoTable", err)
	}
	if _, err := (Set{}).For(cst(2026, 3, 1, 9, 0)); !errors.Is(err, ErrNoTable) {
		t.Errorf("empty set: %v, want ErrNoTable", err)
	}
	overlapping := Set{
		{Name: "a", To: cst(2026, 3, 2, 0, 0), Pollutants: pm},
		{Name: "b", From: cst(2026, 3, 1, 0, 0), Pollutants: pm},
	}
	if _, err := overlapping.For(cst(2026, 3, 1, 9, 0)); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("overlap: %v, want ErrAmbiguous", err)
	}
	if tab, err := overlapping.For(cst(2026, 3, 2, 0, 0)); err != nil || tab.Name != "b" {
		t.Errorf("after the overlap: %v, %v", tab, err)
	}
}

func TestSetValidate(t *testing.T) {
	pm := loadSet(t)[0].Pollutants
	d := func(day int) time.Time { return cst(2026, 3, day, 0, 0) }
	for _, tc := range []struct {
		name string
		set  Set
		ok   bool
	}{
		{"adjacent", Set{{Name: "a", To: d(1), Pollutants: pm}, {Name: "b", From: d(1), Pollutants: pm}}, true},
		{"bounded both sides", Set{{Name: "a", From: d(1), To: d(2), Pollutants: pm}, {Name: "b", From: d(2), To: d(3), Pollutants: pm}}, true},
		{"one day shared", Set{{Name: "a", To: d(2), Pollutants: pm}, {Name: "b", From: d(1), Pollutants: pm}}, false},
		{"both unbounded", Set{{Name: "a", Pollutants: pm}, {Name: "b", From: d(5), To: d(6), Pollutants: pm}}, false},
		{"inside", Set{{Name: "a", From: d(1), To: d(9), Pollutants: pm}, {Name: "b", From: d(3), To: d(4), Pollutants: pm}}, false},
		{"same name", Set{{Name: "a", To: d(1), Pollutants: pm}, {Name: "a", From: d(1), Pollutants: pm}}, false},
		{"bad member", Set{{Name: "a", Pollutants: nil}}, false},
	} {
		err := tc.set.Validate()
		if tc.ok != (err == nil) {
			t.Errorf("%s: Validate() = %v, want ok %v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidTable) {
			t.Errorf("%s: %v is not ErrInvalidTable", tc.name, err)
		}
	}
}

func TestTableValidate(t *testing.T) {
	good := []Breakpoint{{0, 0}, {35, 50}, {75, 100}}
	pm := func(bps ...Breakpoint) map[telemetry.Quantity][]Breakpoint {
		return map[telemetry.Quantity][]Breakpoint{telemetry.PM2_5: bps}
	}
	for _, tc := range []struct {
		name string
		tab  Table
		ok   bool
	}{
		{"good", Table{Name: "t", Pollutants: pm(good...)}, true},
		{"two points", Table{Name: "t", Pollutants: pm(Breakpoint{0, 0}, Breakpoint{500, 500})}, true},
		{"dates", Table{Name: "t", From: cst(2026, 3, 1, 0, 0), To: cst(2027, 1, 1, 0, 0), Pollutants: pm(good...)}, true},
		{"no name", Table{Pollutants: pm(good...)}, false},
		{"no pollutant", Table{Name: "t"}, false},
		{"empty pollutant name", Table{Name: "t", Pollutants: map[telemetry.Quantity][]Breakpoint{"": good}}, false},
		{"one point", Table{Name: "t", Pollutants: pm(Breakpoint{0, 0})}, false},
		{"no points", Table{Name: "t", Pollutants: pm()}, false},
		{"not from zero", Table{Name: "t", Pollutants: pm(Breakpoint{1, 0}, Breakpoint{35, 50})}, false},
		{"index not from zero", Table{Name: "t", Pollutants: pm(Breakpoint{0, 1}, Breakpoint{35, 50})}, false},
		{"conc repeats", Table{Name: "t", Pollutants: pm(Breakpoint{0, 0}, Breakpoint{35, 50}, Breakpoint{35, 100})}, false},
		{"conc falls", Table{Name: "t", Pollutants: pm(Breakpoint{0, 0}, Breakpoint{35, 50}, Breakpoint{30, 100})}, false},
		{"index flat", Table{Name: "t", Pollutants: pm(Breakpoint{0, 0}, Breakpoint{35, 50}, Breakpoint{75, 50})}, false},
		{"NaN", Table{Name: "t", Pollutants: pm(Breakpoint{0, 0}, Breakpoint{math.NaN(), 50})}, false},
		{"Inf", Table{Name: "t", Pollutants: pm(Breakpoint{0, 0}, Breakpoint{math.Inf(1), 50})}, false},
		{"from at UTC midnight", Table{Name: "t", From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Pollutants: pm(good...)}, false},
		{"to not midnight", Table{Name: "t", To: cst(2026, 3, 1, 12, 0), Pollutants: pm(good...)}, false},
		{"to before from", Table{Name: "t", From: cst(2026, 3, 2, 0, 0), To: cst(2026, 3, 1, 0, 0), Pollutants: pm(good...)}, false},
		{"to equals from", Table{Name: "t", From: cst(2026, 3, 1, 0, 0), To: cst(2026, 3, 1, 0, 0), Pollutants: pm(good...)}, false},
	} {
		err := tc.tab.Validate()
		if tc.ok != (err == nil) {
			t.Errorf("%s: Validate() = %v, want ok %v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidTable) {
			t.Errorf("%s: %v is not ErrInvalidTable", tc.name, err)
		}
	}
}

// A midnight CST written in UTC is still a midnight CST.
func TestTableValidateUTCInstant(t *testing.T) {
	tab := Table{Name: "t", From: time.Date(2026, 2, 28, 16, 0, 0, 0, time.UTC),
		Pollutants: map[telemetry.Quantity][]Breakpoint{telemetry.PM10: {{0, 0}, {50, 50}}}}
	if err := tab.Validate(); err != nil {
		t.Fatal(err)
	}
	if tab.InForce(cst(2026, 2, 28, 23, 0)) || !tab.InForce(cst(2026, 3, 1, 0, 0)) {
		t.Error("InForce does not switch at midnight CST")
	}
}
