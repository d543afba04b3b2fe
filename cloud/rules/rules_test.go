package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// t0 is 08:00 China Standard Time.
var t0 = time.Date(2026, 11, 21, 8, 0, 0, 0, CST)

// step is one thing that happens to an engine: a reading at t0+at, or a
// tick of the collector's clock at t0+at.
type step struct {
	at   time.Duration
	v    float64
	tick bool
	q    telemetry.Quantity // default the rule's
	flag telemetry.Flags
}

func r(at time.Duration, v float64) step { return step{at: at, v: v} }
func tick(at time.Duration) step         { return step{at: at, tick: true} }

// run feeds the steps one at a time and describes what the engine said:
// "opened@5m0s(since 0s)=80" per transition, "late@1m0s" per late span.
func run(t *testing.T, rule Rule, steps ...step) string {
	t.Helper()
	rule.Plan, rule.ID = "p", "r"
	e, err := New([]Rule{rule}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, s := range steps {
		var trs []Transition
		if s.tick {
			trs = e.Tick(t0.Add(s.at))
		} else {
			q := s.q
			if q == "" {
				q = rule.Quantity
			}
			rec := telemetry.Record{Seq: uint64(i + 1), Reading: telemetry.Reading{Sensor: "s", Quantity: q, Value: s.v, Time: t0.Add(s.at), Flags: s.flag}}
			var late []Late
			trs, late = e.Observe("dev", []telemetry.Record{rec})
			for _, l := range late {
				out = append(out, "late@"+l.From.Sub(t0).String())
			}
		}
		out = append(out, describe(trs)...)
	}
	return strings.Join(out, " ")
}

func describe(trs []Transition) []string {
	var out []string
	for _, tr := range trs {
		s := fmt.Sprintf("%s@%s(since %s)=%g", tr.Change, tr.Time.Sub(t0), tr.Since.Sub(t0), float32(tr.Value))
		if tr.Exceedances > 0 {
			s += fmt.Sprintf("#%d", tr.Exceedances)
		}
		if tr.Retrospective {
			s += "(retro)"
		}
		out = append(out, s)
	}
	return out
}

const (
	s = time.Second
	m = time.Minute
	h = time.Hour
)

type ruleCase struct {
	name  string
	rule  Rule
	steps []step
	want  string
}

func runCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(t, tc.rule, tc.steps...); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestThreshold(t *testing.T) {
	level := Rule{Kind: Threshold, Quantity: telemetry.WaterLevel, Limit: 4.8, Clear: 4.6}
	held := level
	held.For, held.ClearFor = 5*m, 10*m
	low := Rule{Kind: Threshold, Quantity: telemetry.WaterLevel, Below: true, Limit: 1, Clear: 1.2}
	runCases(t, []ruleCase{
		{"exactly at the limit does not open", level, []step{r(0, 4.8)}, ""},
		{"just above opens at once", level, []step{r(0, 4.8), r(s, 4.81)}, "opened@1s(since 1s)=4.81"},
		{"inside the band stays open", level, []step{r(0, 5), r(m, 4.7), r(2*m, 4.61)}, "opened@0s(since 0s)=5"},
		{"clears exactly at clear", level, []step{r(0, 5), r(m, 4.6)}, "opened@0s(since 0s)=5 cleared@1m0s(since 0s)=4.6"},
		{"opens only after for", held, []step{r(0, 5), r(4*m, 5), r(5*m, 5)}, "opened@5m0s(since 0s)=5"},
		{"a dip into the band restarts for", held, []step{r(0, 5), r(3*m, 4.7), r(4*m, 5), r(8*m, 5), r(9*m, 5)}, "opened@9m0s(since 4m0s)=5"},
		{"clears only after clear_for", held, []step{r(0, 5), r(5*m, 5), r(6*m, 4.5), r(15*m, 4.5), r(16*m, 4.5)}, "opened@5m0s(since 0s)=5 cleared@16m0s(since 0s)=4.5"},
		{"below: opens under the limit, clears at clear", low, []step{r(0, 1), r(m, 0.99), r(2*m, 1.1), r(3*m, 1.2)}, "opened@1m0s(since 1m0s)=0.99 cleared@3m0s(since 1m0s)=1.2"},
		{"a reading before the watermark is late", level, []step{r(m, 4), r(0, 9)}, "late@0s"},
		{"equal times are not late", level, []step{r(m, 4), r(m, 9)}, "opened@1m0s(since 1m0s)=9"},
		{"untrusted times are not judged", level, []step{{at: 0, v: 9, flag: telemetry.ClockUnsynced}, {at: s, v: 9, flag: telemetry.FutureTime}}, ""},
	})
}

func TestWindow(t *testing.T) {
	// 30 s over 30 buckets: one bucket per second, so edges are exact.
	mean := Rule{Kind: Window, Quantity: telemetry.PM2_5, Window: 30 * s, Limit: 75, Clear: 60, MinSamples: 2}
	peak := mean
	peak.Aggregate, peak.MinSamples = Max, 1
	trough := Rule{Kind: Window, Quantity: telemetry.PM2_5, Window: 30 * s, Aggregate: Min, Below: true, Limit: 10, Clear: 20}
	runCases(t, []ruleCase{
		{"exactly at the limit does not open", mean, []step{r(0, 75), r(s, 75)}, ""},
		{"min samples", mean, []step{r(0, 500)}, ""},
		{"mean above opens at the crossing reading", mean, []step{r(0, 70), r(s, 70), r(2*s, 100)}, "opened@2s(since 2s)=80"},
		{"inside the band stays open", mean, []step{r(0, 100), r(s, 100), r(40*s, 61), r(41*s, 61)}, "opened@1s(since 1s)=100"},
		{"clears at clear exactly", mean, []step{r(0, 100), r(s, 100), r(40*s, 60), r(41*s, 60)}, "opened@1s(since 1s)=100 cleared@41s(since 1s)=60"},
		// At t=30s the window is the buckets 1s..30s: the reading at 0 has left it.
		{"window edge: t-W is out", mean, []step{r(0, 1000), r(29*s, 10), r(30*s, 10)}, "opened@29s(since 29s)=505 cleared@30s(since 29s)=10"},
		{"out of order inside the window counts", mean, []step{r(5*s, 80), r(3*s, 80)}, "opened@5s(since 5s)=80"},
		{"before the window is late", mean, []step{r(40*s, 80), r(5*s, 80)}, "late@5s"},
		{"max aggregate", peak, []step{r(0, 10), r(s, 76), r(2*s, 10), r(31*s, 10), r(32*s, 10)}, "opened@1s(since 1s)=76 cleared@31s(since 1s)=10"},
		// At 32s the window is 3s..32s: the 5 at 1s has left it.
		{"min aggregate, below", trough, []step{r(0, 50), r(s, 5), r(2*s, 40), r(32*s, 30)}, "opened@1s(since 1s)=5 cleared@32s(since 1s)=30"},
	})
}

func TestPeriod(t *testing.T) {
	// Construction dust: 15-minute means, one exceedance a day allowed.
	dust := Rule{Kind: Period, Quantity: telemetry.PM2_5, Period: 15 * m, Limit: 75, Clear: 75, Allowed: 1}
	daily := Rule{Kind: Period, Quantity: telemetry.PM2_5, Period: 24 * h, Limit: 75, Clear: 75, MinSamples: 2}
	ytd := Rule{Kind: Period, Quantity: telemetry.PM2_5, Period: Year, Limit: 32, Clear: 32}
	runCases(t, []ruleCase{
		{"first exceedance of the day is allowed, the second opens", dust,
			[]step{r(0, 80), r(15*m, 80), r(30*m, 10), r(45*m, 10)},
			"opened@30m0s(since 15m0s)=80#2 cleared@45m0s(since 15m0s)=10#2"},
		{"a period at the limit is not an exceedance", dust,
			[]step{r(0, 75), r(15*m, 75), r(30*m, 75), r(45*m, 75)}, ""},
		// 08:00 CST + 16h = 00:00 the next day: the count starts again.
		{"the count restarts at midnight CST", dust,
			[]step{r(15*h+45*m, 80), r(16*h, 80), r(16*h+15*m, 10)}, ""},
		{"a tick after the grace judges a period", dust,
			[]step{r(0, 80), r(15*m, 80), tick(30 * m), tick(31 * m)},
			"opened@30m0s(since 15m0s)=80#2"},
		{"a reading of a judged period is late", dust,
			[]step{r(0, 80), tick(16 * m), r(14*m, 80)}, "late@14m0s"},
		// 15:59:59 UTC and 16:00 UTC are different days in CST.
		{"days are CST days", daily,
			[]step{r(15*h+59*m, 100), r(15*h+59*m+59*s, 100), r(16*h, 1), r(16*h+s, 1), r(40*h, 1)},
			"opened@16h0m0s(since -8h0m0s)=100 cleared@40h0m0s(since -8h0m0s)=1"},
		{"min samples make a period valid", daily, []step{r(0, 100), r(16*h, 1)}, ""},
		{"year to date is judged on every reading", ytd,
			[]step{r(0, 40), r(h, 20), r(2*h, 40)}, "opened@0s(since 0s)=40 cleared@1h0m0s(since 0s)=30 opened@2h0m0s(since 2h0m0s)=33.333332"},
	})
}

func TestRateEventSilenceStuckRange(t *testing.T) {
	rise := Rule{Kind: Rate, Quantity: telemetry.WaterLevel, Window: 30 * m, Limit: 0.3, Clear: 0.1}
	trapped := Rule{Kind: Event, Quantity: telemetry.EventTrapped}
	silent := Rule{Kind: Silence, Quantity: telemetry.WaterLevel, After: 10 * m}
	stuck := Rule{Kind: Stuck, Quantity: telemetry.WaterLevel, For: h, Tolerance: 0.001}
	sane := Rule{Kind: Range, Quantity: telemetry.WaterLevel, Min: -5, Max: 20}
	runCases(t, []ruleCase{
		{"rate needs half the window", rise, []step{r(0, 1), r(10*m, 2)}, ""},
		// 0.2 m in 20 min is 0.6 m/h.
		{"rising 0.6 m/h opens", rise, []step{r(0, 1), r(10*m, 1.1), r(20*m, 1.2)}, "opened@20m0s(since 20m0s)=0.6"},
		// At 40m the window holds 20m..40m, all at 1.2.
		{"a flat level clears", rise, []step{r(0, 1), r(10*m, 1.1), r(20*m, 1.2), r(30*m, 1.2), r(40*m, 1.2)}, "opened@20m0s(since 20m0s)=0.6 cleared@40m0s(since 20m0s)=0"},
		// At 20m the window's oldest reading is 10m, too close to judge;
		// the 5m reading that comes after it is the oldest then:
		// 0.2 m in 15 min is 0.8 m/h.
		{"an earlier reading out of order is the oldest", rise, []step{r(10*m, 1.1), r(20*m, 1.2), r(5*m, 1.0)}, "opened@20m0s(since 20m0s)=0.8"},
		{"event opens and ends", trapped, []step{r(0, 1), r(5*m, 0)}, "opened@0s(since 0s)=1 cleared@5m0s(since 0s)=0"},
		{"silence after N", silent, []step{r(0, 1), tick(9 * m), tick(10 * m), tick(11 * m), r(12*m, 1)}, "opened@10m0s(since 0s)=600 cleared@12m0s(since 0s)=1"},
		{"stuck for an hour", stuck, []step{r(0, 2), r(30*m, 2.0005), r(h, 2), r(h+m, 2.5)}, "opened@1h0m0s(since 0s)=2 cleared@1h1m0s(since 0s)=2.5"},
		{"a moving value is not stuck", stuck, []step{r(0, 2), r(30*m, 2.1), r(h, 2.1)}, ""},
		{"impossible values", sane, []step{r(0, 3), r(m, 25), r(2*m, 3)}, "opened@1m0s(since 1m0s)=25 cleared@2m0s(since 1m0s)=3"},
	})
}

func TestScopeForceAndUntrusted(t *testing.T) {
	rule := Rule{Plan: "p", ID: "r", Kind: Threshold, Quantity: telemetry.PM2_5, Limit: 75, Clear: 75,
		From: t0, To: t0.Add(h)}
	e, err := New([]Rule{rule}, func(r *Rule, device string) bool { return device == "in-scope" })
	if err != nil {
		t.Fatal(err)
	}
	rec := func(at time.Duration, q telemetry.Quality) []telemetry.Record {
		return []telemetry.Record{{Reading: telemetry.Reading{Sensor: "s", Quantity: telemetry.PM2_5, Value: 100, Time: t0.Add(at), Quality: q}}}
	}
	for _, tc := range []struct {
		device string
		recs   []telemetry.Record
		want   int
	}{
		{"out-of-scope", rec(0, telemetry.Good), 0},
		{"in-scope", rec(-s, telemetry.Good), 0}, // before the rule is in force
		{"in-scope", rec(h, telemetry.Good), 0},  // after
		{"in-scope", rec(m, telemetry.Bad), 0},   // a bad reading: not judged by a threshold
		{"in-scope", clockUnsynced(rec(2*m, telemetry.Good)), 0},
		{"in-scope", rec(59*m+59*s, telemetry.Good), 1}, // in force
	} {
		trs, _ := e.Observe(tc.device, tc.recs)
		if len(trs) != tc.want {
			t.Errorf("%s %v: %d transitions, want %d", tc.device, tc.recs[0].Time.Sub(t0), len(trs), tc.want)
		}
	}
	if st := e.Stats(); st.Untrusted != 1 {
		t.Errorf("Untrusted = %d, want 1", st.Untrusted)
	}
}

func clockUnsynced(recs []telemetry.Record) []telemetry.Record {
	recs[0].Flags |= telemetry.ClockUnsynced
	return recs
}

// A range rule is the sanity check: it judges the readings a driver marked
// Bad or Suspect too (a broken 4–20 mA loop reads 3.5 mA, marked Bad),
// while the other kinds judge good readings only.
func TestRangeJudgesBadReadings(t *testing.T) {
	loop := Rule{Plan: "p", ID: "loop", Kind: Range, Quantity: telemetry.LoopCurrent, Min: 3.6, Max: 21}
	low := Rule{Plan: "p", ID: "low", Kind: Threshold, Quantity: telemetry.LoopCurrent, Below: true, Limit: 4, Clear: 4}
	e, err := New([]Rule{loop, low}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := func(at time.Duration, v float64, q telemetry.Quality) telemetry.Record {
		return telemetry.Record{Reading: telemetry.Reading{Sensor: "s", Quantity: telemetry.LoopCurrent, Value: v, Time: t0.Add(at), Quality: q}}
	}
	trs, _ := e.Observe("gauge", []telemetry.Record{rec(0, 12, telemetry.Good), rec(m, 3.5, telemetry.Bad), rec(2*m, 12, telemetry.Good)})
	var got []string
	for _, tr := range trs {
		got = append(got, fmt.Sprintf("%s %v@%v=%v", tr.Rule.ID, tr.Change, tr.Time.Sub(t0), tr.Value))
	}
	want := []string{"loop opened@1m0s=3.5", "loop cleared@2m0s=12"}
	if !slices.Equal(got, want) {
		t.Errorf("transitions %q, want %q", got, want)
	}
}

func TestReplayJudgesLateReadingsRetrospectively(t *testing.T) {
	rule := Rule{Plan: "p", ID: "r", Kind: Window, Quantity: telemetry.PM2_5, Window: 15 * m, Limit: 75, Clear: 75}
	e, err := New([]Rule{rule}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := func(at time.Duration, v float64) telemetry.Record {
		return telemetry.Record{Reading: telemetry.Reading{Sensor: "s", Quantity: telemetry.PM2_5, Value: v, Time: t0.Add(at)}}
	}
	// Live data arrives first; the backlog of an outage an hour before
	// comes after it.
	if trs, late := e.Observe("dev", []telemetry.Record{rec(2*h, 10)}); len(trs)+len(late) != 0 {
		t.Fatalf("live: %v %v", trs, late)
	}
	backlog := []telemetry.Record{rec(h, 10), rec(h+m, 200), rec(h+2*m, 10), rec(h+20*m, 10)}
	trs, late := e.Observe("dev", backlog)
	if len(trs) != 0 || len(late) != 1 {
		t.Fatalf("backlog: %d transitions, %d late spans; want 0 and 1", len(trs), len(late))
	}
	l := late[0]
	if !l.From.Equal(t0.Add(h)) || !l.To.Equal(t0.Add(h+20*m)) {
		t.Errorf("late span %v..%v", l.From.Sub(t0), l.To.Sub(t0))
	}
	if from, to := l.Span(); !from.Equal(t0.Add(45*m)) || !to.Equal(t0.Add(h+35*m)) {
		t.Errorf("replay span %v..%v, want 45m..1h35m", from.Sub(t0), to.Sub(t0))
	}
	got := strings.Join(describe(e.Replay(l, backlog)), " ")
	// The window (30 s buckets) holds 10 and 200 at 1h1m: mean 105; and
	// 10, 200, 10 at 1h2m: mean 73.3.
	want := "opened@1h1m0s(since 1h1m0s)=105(retro) cleared@1h2m0s(since 1h1m0s)=73.333336(retro)"
	if got != want {
		t.Errorf("replay:\ngot  %q\nwant %q", got, want)
	}
}

func TestNewRejectsBadRules(t *testing.T) {
	for _, r := range []Rule{
		{Kind: Window, Quantity: telemetry.PM2_5, Limit: 1},
		{Kind: Period, Quantity: telemetry.PM2_5, Period: 7 * m, Limit: 1},
		{Kind: Threshold, Quantity: telemetry.PM2_5, Limit: 1, Clear: 2},
		{Kind: Threshold, Quantity: telemetry.PM2_5, Below: true, Limit: 2, Clear: 1},
		{Kind: Silence, Quantity: telemetry.PM2_5},
		{Kind: Stuck, Quantity: telemetry.PM2_5},
		{Kind: Range, Quantity: telemetry.PM2_5, Min: 2, Max: 1},
		{Kind: "nope", Quantity: telemetry.PM2_5},
	} {
		r.Plan, r.ID = "p", "r"
		if _, err := New([]Rule{r}, nil); err == nil {
			t.Errorf("New(%+v) accepted", r)
		}
	}
}

// Rules of one quantity share a stream's look-up; each rule keeps its own
// state, made only where its scope covers the device, and MarkOpen makes
// one that a reading then clears.
func TestStreamsUnderSeveralRules(t *testing.T) {
	all := Rule{Plan: "p", ID: "all", Kind: Threshold, Quantity: telemetry.PM2_5, Limit: 75, Clear: 75}
	one := Rule{Plan: "p", ID: "dev-1-only", Kind: Threshold, Quantity: telemetry.PM2_5, Limit: 50, Clear: 50}
	coarse := Rule{Plan: "p", ID: "pm10", Kind: Threshold, Quantity: telemetry.PM10, Limit: 150, Clear: 150}
	e, err := New([]Rule{all, one, coarse}, func(r *Rule, device string) bool { return r.ID != "dev-1-only" || device == "dev-1" })
	if err != nil {
		t.Fatal(err)
	}
	rec := func(sensor string, q telemetry.Quantity, at time.Duration, v float64) telemetry.Record {
		return telemetry.Record{Reading: telemetry.Reading{Sensor: sensor, Quantity: q, Value: v, Time: t0.Add(at)}}
	}
	say := func(trs []Transition) string {
		var out []string
		for _, tr := range trs {
			out = append(out, fmt.Sprintf("%s %s %s/%s@%s", tr.Change, tr.Rule.ID, tr.Device, tr.Sensor, tr.Time.Sub(t0)))
		}
		return strings.Join(out, " ")
	}
	// One batch, its streams and quantities interleaved.
	trs, late := e.Observe("dev-1", []telemetry.Record{
		rec("a", telemetry.PM2_5, 0, 60), rec("b", telemetry.PM2_5, s, 80), rec("a", telemetry.PM10, 2*s, 200),
		rec("a", telemetry.PM2_5, 3*s, 40), rec("a", telemetry.Temperature, 4*s, 20),
	})
	if got, want := say(trs), "opened dev-1-only dev-1/a@0s opened all dev-1/b@1s opened dev-1-only dev-1/b@1s opened pm10 dev-1/a@2s cleared dev-1-only dev-1/a@3s"; got != want || len(late) != 0 {
		t.Errorf("dev-1: %s, late %v\nwant %s", got, late, want)
	}
	trs, _ = e.Observe("dev-2", []telemetry.Record{rec("a", telemetry.PM2_5, 0, 80)})
	if got, want := say(trs), "opened all dev-2/a@0s"; got != want {
		t.Errorf("dev-2: %s, want %s", got, want)
	}
	e.MarkOpen("p", "all", Stream{Device: "dev-3", Sensor: "a"})
	// dev-1/a and dev-1/b under both PM2.5 rules and dev-1/a under pm10;
	// dev-2/a under "all" only; dev-3/a marked open.
	if n := e.Stats().Streams; n != 2+2+1+1+1 {
		t.Errorf("Streams = %d, want 7", n)
	}
	trs, _ = e.Observe("dev-3", []telemetry.Record{rec("a", telemetry.PM2_5, h, 10)})
	if got, want := say(trs), "cleared all dev-3/a@1h0m0s"; got != want {
		t.Errorf("dev-3: %s, want %s", got, want)
	}
}

// TestOnlySilenceAndPeriodTick guards what Tick relies on to walk only
// the silence and period states: a state of any other kind, fed readings
// that open and clear it, never changes with time alone.
func TestOnlySilenceAndPeriodTick(t *testing.T) {
	rules := append(benchRules(),
		Rule{Plan: "bench", ID: "trapped", Kind: Event, Quantity: telemetry.WaterLevel},
		Rule{Plan: "bench", ID: "sane", Kind: Range, Quantity: telemetry.WaterLevel, Min: -5, Max: 20},
		Rule{Plan: "bench", ID: "silent", Kind: Silence, Quantity: telemetry.WaterLevel, After: 10 * m})
	for i := range rules {
		r := &rules[i]
		if r.Kind == Silence || r.Kind == Period {
			continue
		}
		st := newState(r)
		for k, v := range []float64{1, 5, 5, 30, 30, 1, 2, 2} {
			st.observe(r, t0.Add(time.Duration(k)*10*m), v)
			for _, later := range []time.Duration{0, m, h, 48 * h, 400 * 24 * h} {
				if trs := st.tick(r, t0.Add(time.Duration(k)*10*m+later)); trs != nil {
					t.Fatalf("%s (%s): tick changed a state: %+v", r.ID, r.Kind, trs)
				}
			}
		}
	}
	e, err := New(rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	for d := range 3 {
		e.Observe(fmt.Sprintf("gauge-%d", d), []telemetry.Record{{Seq: 1, Reading: telemetry.Reading{Sensor: "level",
			Quantity: telemetry.WaterLevel, Value: 1, Time: t0}}})
	}
	// Three streams: each has a day-mean (period) and a silence state.
	if len(e.tickers) != 6 {
		t.Fatalf("%d states to tick, want 6 (three streams' period and silence rules)", len(e.tickers))
	}
	if trs := e.Tick(t0.Add(11 * m)); len(trs) != 3 {
		t.Fatalf("Tick after 11 minutes of silence = %d transitions, want 3 (one per stream)", len(trs))
	}
}
