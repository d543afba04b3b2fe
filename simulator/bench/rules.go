package bench

import (
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/xiuhua/xiuhua/cloud/rules"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Goals of the rule engine (see doc.go for the reasoning).
const (
	// ingestGoal is the collector's ingest goal, readings/s: the rules
	// judge every reading it stores, on the one goroutine that feeds them.
	ingestGoal = 100_000
	// stateLimit is the rule state one stream may hold under benchRules,
	// bytes.
	stateLimit = 4 << 10
)

// benchRules are five rules of a river gauge's plan, one of each kind
// that keeps state: a threshold with hysteresis and durations, a
// 15-minute sliding mean, a day's mean, a 30-minute rate and a stuck
// check. cloud/rules' BenchmarkEngineObserve uses the same set.
func benchRules() []rules.Rule {
	q := telemetry.WaterLevel
	return []rules.Rule{
		{Plan: "bench", ID: "warning", Kind: rules.Threshold, Quantity: q, Limit: 4.8, Clear: 4.7, For: 2 * time.Minute, ClearFor: 10 * time.Minute},
		{Plan: "bench", ID: "mean-15m", Kind: rules.Window, Quantity: q, Window: 15 * time.Minute, Limit: 4.5, Clear: 4.3, MinSamples: 5},
		{Plan: "bench", ID: "day-mean", Kind: rules.Period, Quantity: q, Period: 24 * time.Hour, Limit: 4.0, Clear: 4.0, MinSamples: 60},
		{Plan: "bench", ID: "rapid-rise", Kind: rules.Rate, Quantity: q, Window: 30 * time.Minute, Limit: 0.3, Clear: 0.1, MinSamples: 5},
		{Plan: "bench", ID: "stuck", Kind: rules.Stuck, Quantity: q, For: 6 * time.Hour, Tolerance: 0.001},
	}
}

// RuleEvaluation judges readings under benchRules on one goroutine:
// streams streams (one gauge on each of as many devices), fed round-robin
// one reading per Observe call, each stream a reading a minute of a tide
// with its own phase, so event time advances as it would. After half an
// hour of readings has made every state and filled the windows, it
// measures the live heap the engine holds per stream, then times runs
// runs of rounds readings per stream and reports the median rate, as
// readings/s and as rule evaluations/s (readings × rules), against the
// ingest goal.
func RuleEvaluation(streams, rounds, runs int) ([]Row, error) {
	rs := benchRules()
	devs := make([]string, streams)
	recs := make([][]telemetry.Record, streams)
	for i := range devs {
		devs[i] = fmt.Sprintf("gauge-%06d", i)
		recs[i] = []telemetry.Record{{Reading: telemetry.Reading{Sensor: "level", Quantity: telemetry.WaterLevel}}}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	e, err := rules.New(rs, nil)
	if err != nil {
		return nil, err
	}
	start := time.Date(2026, 9, 14, 23, 0, 0, 0, rules.CST)
	step := time.Minute / time.Duration(streams)
	round := 0
	feed := func(n int) {
		for ; n > 0; n-- {
			for s := range streams {
				r := &recs[s][0]
				r.Seq++
				r.Time = start.Add(time.Duration(round)*time.Minute + time.Duration(s)*step)
				r.Value = 3.6 + 0.6*math.Sin(2*math.Pi*(float64(round)/745+float64(s)/float64(streams)))
				e.Observe(devs[s], recs[s])
			}
			round++
		}
	}
	feed(30)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if st := e.Stats(); st.Streams != streams*len(rs) || st.Late != 0 || st.Untrusted != 0 {
		return nil, fmt.Errorf("rule evaluation: engine stats %+v, want %d states and nothing late or untrusted", st, streams*len(rs))
	}
	perStream := float64(after.HeapAlloc-before.HeapAlloc) / float64(streams)

	rates := make([]float64, 0, runs)
	for range runs {
		t0 := time.Now()
		feed(rounds)
		rates = append(rates, float64(rounds*streams)/time.Since(t0).Seconds())
	}
	runtime.KeepAlive(e)
	perSec := median(rates)
	n := len(rs)
	what := fmt.Sprintf("%d streams × %d rules, one goroutine", streams, n)
	return []Row{
		{Measure: "rule evaluation, " + what, Value: perSec * float64(n), Unit: "evaluations/s",
			Peer:  fmt.Sprintf("goal %d readings/s × %d", ingestGoal, n),
			Ratio: perSec / ingestGoal, Goal: "≥ 1.00", OK: perSec >= ingestGoal},
		{Measure: "readings judged, " + what, Value: perSec, Unit: "readings/s",
			Peer:  fmt.Sprintf("ingest goal %d/s", ingestGoal),
			Ratio: perSec / ingestGoal, Goal: "≥ 1.00", OK: perSec >= ingestGoal},
		{Measure: fmt.Sprintf("rule state per stream, %d rules", n), Value: perStream / 1024, Unit: "KiB",
			Peer:  fmt.Sprintf("limit %d KiB", stateLimit>>10),
			Ratio: perStream / stateLimit, Goal: "≤ 1.00", OK: perStream <= stateLimit},
	}, nil
}
