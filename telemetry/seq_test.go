package telemetry

import (
	"fmt"
	"strings"
	"testing"
)

func TestRanges(t *testing.T) {
	tests := []struct {
		name  string
		rs    Ranges
		add   []Range
		want  string
		gaps  string // Gaps(10)
		count uint64
	}{
		{"empty", nil, nil, "[]", "[1-10]", 0},
		{"merge touching", RangesOf(1, 2, 3), []Range{{4, 6}}, "[1-6]", "[7-10]", 6},
		{"insert before", RangesOf(5), []Range{{1, 2}}, "[1-2,5]", "[3-4,6-10]", 3},
		{"bridge two", Ranges{{1, 2}, {6, 8}}, []Range{{3, 5}}, "[1-8]", "[9-10]", 8},
		{"swallow several", Ranges{{2, 2}, {4, 4}, {6, 6}}, []Range{{1, 9}}, "[1-9]", "[10]", 9},
		{"duplicate inside", Ranges{{1, 9}}, []Range{{3, 4}}, "[1-9]", "[10]", 9},
		{"beyond gaps bound", Ranges{{12, 15}}, nil, "[12-15]", "[1-10]", 4},
	}
	for _, tt := range tests {
		rs := append(Ranges(nil), tt.rs...)
		for _, r := range tt.add {
			rs = rs.Add(r)
		}
		if rs.String() != tt.want || !rs.Valid() {
			t.Errorf("%s: set = %v (valid %v), want %s", tt.name, rs, rs.Valid(), tt.want)
		}
		if g := rs.Gaps(10).String(); g != tt.gaps {
			t.Errorf("%s: gaps = %s, want %s", tt.name, g, tt.gaps)
		}
		if rs.Count() != tt.count {
			t.Errorf("%s: count = %d, want %d", tt.name, rs.Count(), tt.count)
		}
	}
	if rs := RangesOf(9, 1, 2, 2, 8); rs.String() != "[1-2,8-9]" || !rs.Contains(8) || rs.Contains(3) || rs.Max() != 9 {
		t.Errorf("RangesOf = %v", rs)
	}
}

func TestTopics(t *testing.T) {
	if got, err := DeviceFromUpTopic(UpTopic("site-1")); err != nil || got != "site-1" {
		t.Fatalf("round trip: %q %v", got, err)
	}
	for _, bad := range []string{"xiuhua/v1/dev/site-1/ack", "xiuhua/v1/dev/a/b/up", "other/site-1/up", "xiuhua/v1/dev//up"} {
		if _, err := DeviceFromUpTopic(bad); err == nil {
			t.Errorf("DeviceFromUpTopic(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "-x", ".x", "a b", "a+", "a#", string(make([]byte, 65))} {
		if ValidateDeviceID(bad) == nil {
			t.Errorf("ValidateDeviceID(%q) accepted", bad)
		}
	}
}

func TestEveryQuantityHasAUnit(t *testing.T) {
	for _, q := range Quantities() {
		if q.Unit() == "" {
			t.Errorf("quantity %q has no unit", q)
		}
	}
}

func TestSubtract(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"[1-10]", "[3-4,8]", "[1-2,5-7,9-10]"},
		{"[1-10]", "[]", "[1-10]"},
		{"[1-10]", "[1-10]", "[]"},
		{"[1-3,7-9]", "[2-8]", "[1,9]"},
		{"[5]", "[1-4,6-9]", "[5]"},
		{"[1-2,4-5]", "[0-100]", "[]"},
	}
	parse := func(s string) Ranges {
		var rs Ranges
		for _, p := range strings.Split(strings.Trim(s, "[]"), ",") {
			if p == "" {
				continue
			}
			var a, b uint64
			if n, _ := fmt.Sscanf(p, "%d-%d", &a, &b); n == 1 {
				b = a
			}
			rs = rs.Add(Range{a, b})
		}
		return rs
	}
	for _, tt := range tests {
		if got := parse(tt.a).Subtract(parse(tt.b)).String(); got != tt.want {
			t.Errorf("%s − %s = %s, want %s", tt.a, tt.b, got, tt.want)
		}
	}
	if !parse("[1-10]").Covers(parse("[2-3,9]")) || parse("[1-10]").Covers(parse("[9-11]")) {
		t.Error("Covers")
	}
}

func TestOverlap(t *testing.T) {
	rs := Ranges{{First: 1, Last: 3}, {First: 7, Last: 9}, {First: 20, Last: 20}}
	tests := []struct {
		r    Range
		want uint64
	}{
		{Range{First: 1, Last: 3}, 3},   // exactly a range
		{Range{First: 4, Last: 6}, 0},   // the gap between two
		{Range{First: 2, Last: 8}, 4},   // 2–3 and 7–8
		{Range{First: 1, Last: 100}, 7}, // all of the set
		{Range{First: 20, Last: 25}, 1}, // the last, one number
		{Range{First: 21, Last: 30}, 0}, // after the set
		{Range{First: 9, Last: 9}, 1},   // one number at a range's end
	}
	for _, tc := range tests {
		if got := rs.Overlap(tc.r); got != tc.want {
			t.Errorf("%v.Overlap(%v) = %d, want %d", rs, tc.r, got, tc.want)
		}
	}
	if got := Ranges(nil).Overlap(Range{First: 1, Last: 5}); got != 0 {
		t.Errorf("empty set's Overlap = %d, want 0", got)
	}
}
