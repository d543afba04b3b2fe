package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

var t0 = time.Date(2026, 11, 21, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))

func rec(sec int, v float64) telemetry.Record {
	return telemetry.Record{Seq: uint64(sec + 1), Reading: telemetry.Reading{
		Sensor: "dust", Quantity: telemetry.PM2_5, Value: v, Time: t0.Add(time.Duration(sec) * time.Second)}}
}

func describe(ts []Transition) string {
	var b strings.Builder
	for _, tr := range ts {
		fmt.Fprintf(&b, "%s@%s=%.2f/%d ", tr.Kind, tr.Time.Sub(t0), tr.Value, tr.Samples)
	}
	return strings.TrimSpace(b.String())
}

func TestWindowMeanThresholdAndHysteresis(t *testing.T) {
	rule := Rule{Plan: "p", ID: "pm25", Quantity: telemetry.PM2_5, Window: 10 * time.Second, Above: 75, ClearBelow: 60, MinSamples: 2}
	tests := []struct {
		name string
		recs []telemetry.Record
		want string
	}{
		{"exactly at the limit does not open", []telemetry.Record{rec(0, 75), rec(1, 75)}, ""},
		{"one sample is not enough", []telemetry.Record{rec(0, 500)}, ""},
		{"mean above opens at the crossing reading", []telemetry.Record{rec(0, 70), rec(1, 70), rec(2, 100)}, "opened@2s=80.00/3"},
		{"inside the hysteresis band stays open", []telemetry.Record{rec(0, 100), rec(1, 100), rec(12, 61), rec(13, 61)}, "opened@1s=100.00/2"},
		{"clears at clear_below exactly", []telemetry.Record{rec(0, 100), rec(1, 100), rec(12, 60), rec(13, 60)}, "opened@1s=100.00/2 cleared@13s=60.00/2"},
		// The window is (t-10s, t]: at t=10 the reading at t=0 has left it.
		{"window edge excludes t-W", []telemetry.Record{rec(0, 1000), rec(9, 10), rec(10, 10)}, "opened@9s=505.00/2 cleared@10s=10.00/2"},
		{"out of order inside the window counts", []telemetry.Record{rec(5, 80), rec(3, 80)}, "opened@5s=80.00/2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New([]Rule{rule})
			if err != nil {
				t.Fatal(err)
			}
			var got []Transition
			for _, r := range tt.recs {
				// One record per call: arrival order is the slice order.
				got = append(got, e.Observe("site-1", []telemetry.Record{r})...)
			}
			if d := describe(got); d != tt.want {
				t.Fatalf("transitions = %q, want %q", d, tt.want)
			}
		})
	}
}

func TestLateReadingIsCountedNotEvaluated(t *testing.T) {
	e, _ := New([]Rule{{Plan: "p", ID: "r", Quantity: telemetry.PM2_5, Window: 10 * time.Second, Above: 75, ClearBelow: 75, MinSamples: 1}})
	e.Observe("d", []telemetry.Record{rec(100, 10)})
	if tr := e.Observe("d", []telemetry.Record{rec(90, 1000)}); len(tr) != 0 || e.Late() != 1 {
		t.Fatalf("late reading gave %q, late=%d; want nothing, late=1", describe(tr), e.Late())
	}
}

func TestStreamsAndQualityAreSeparate(t *testing.T) {
	e, _ := New([]Rule{{Plan: "p", ID: "r", Quantity: telemetry.PM2_5, Window: time.Minute, Above: 75, ClearBelow: 75, MinSamples: 1}})
	bad := rec(0, 900)
	bad.Quality = telemetry.Bad
	pm10 := rec(1, 900)
	pm10.Quantity = telemetry.PM10
	if tr := e.Observe("a", []telemetry.Record{bad, pm10}); len(tr) != 0 {
		t.Fatalf("bad-quality or other-quantity readings opened %q", describe(tr))
	}
	if tr := e.Observe("a", []telemetry.Record{rec(2, 100)}); describe(tr) != "opened@2s=100.00/1" {
		t.Fatalf("device a: %q", describe(tr))
	}
	if tr := e.Observe("b", []telemetry.Record{rec(2, 10)}); len(tr) != 0 {
		t.Fatalf("device b shares device a's window: %q", describe(tr))
	}
}

func TestMarkOpenClearsInsteadOfReopening(t *testing.T) {
	e, _ := New([]Rule{{Plan: "p", ID: "r", Quantity: telemetry.PM2_5, Window: time.Minute, Above: 75, ClearBelow: 75, MinSamples: 1}})
	e.MarkOpen("p", "r", Stream{Device: "a", Sensor: "dust"})
	if tr := e.Observe("a", []telemetry.Record{rec(0, 100)}); len(tr) != 0 {
		t.Fatalf("already-open alert raised again: %q", describe(tr))
	}
	if tr := e.Observe("a", []telemetry.Record{rec(61, 10)}); describe(tr) != "cleared@1m1s=10.00/1" {
		t.Fatalf("got %q", describe(tr))
	}
}

func TestNewRejectsBadRules(t *testing.T) {
	if _, err := New([]Rule{{ID: "r", Window: 0}}); err == nil {
		t.Fatal("zero window accepted")
	}
	if _, err := New([]Rule{{ID: "r", Window: time.Minute, Above: 10, ClearBelow: 20}}); err == nil {
		t.Fatal("clear_below above the limit accepted")
	}
}

func TestReadingsWithUntrustedTimesAreNotJudged(t *testing.T) {
	e, _ := New([]Rule{{Plan: "p", ID: "r", Quantity: telemetry.PM2_5, Window: time.Minute, Above: 75, ClearBelow: 75, MinSamples: 1}})
	future := rec(3*24*3600, 900)
	future.Flags = telemetry.FutureTime
	unsynced := rec(1, 900)
	unsynced.Flags = telemetry.ClockUnsynced
	if tr := e.Observe("a", []telemetry.Record{future, unsynced}); len(tr) != 0 || e.Untrusted() != 2 {
		t.Fatalf("untrusted readings gave %q (untrusted %d)", describe(tr), e.Untrusted())
	}
	// The stream's window was not dragged three days ahead.
	if tr := e.Observe("a", []telemetry.Record{rec(2, 100)}); describe(tr) != "opened@2s=100.00/1" || e.Late() != 0 {
		t.Fatalf("got %q, late %d", describe(tr), e.Late())
	}
}
