package rules

import (
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// benchRules are five rules of a river gauge's plan, one of each kind
// that keeps state: a threshold with hysteresis and durations, a
// 15-minute sliding mean, a day's mean, a 30-minute rate and a stuck
// check. simulator/bench measures the same set.
func benchRules() []Rule {
	q := telemetry.WaterLevel
	return []Rule{
		{Plan: "bench", ID: "warning", Kind: Threshold, Quantity: q, Limit: 4.8, Clear: 4.7, For: 2 * time.Minute, ClearFor: 10 * time.Minute},
		{Plan: "bench", ID: "mean-15m", Kind: Window, Quantity: q, Window: 15 * time.Minute, Limit: 4.5, Clear: 4.3, MinSamples: 5},
		{Plan: "bench", ID: "day-mean", Kind: Period, Quantity: q, Period: 24 * time.Hour, Limit: 4.0, Clear: 4.0, MinSamples: 60},
		{Plan: "bench", ID: "rapid-rise", Kind: Rate, Quantity: q, Window: 30 * time.Minute, Limit: 0.3, Clear: 0.1, MinSamples: 5},
		{Plan: "bench", ID: "stuck", Kind: Stuck, Quantity: q, For: 6 * time.Hour, Tolerance: 0.001},
	}
}

// BenchmarkEngineObserve feeds one reading per Observe call, round-robin
// over 10,000 streams (the gauge of each of 10,000 devices), each stream
// a reading a minute of a tide with its own phase, after half an hour of
// them has made every state and filled the windows. ns/op is the cost of
// judging one reading under the five rules; B/stream the live heap the
// engine holds per stream.
func BenchmarkEngineObserve(b *testing.B) {
	const streams = 10_000
	devs := make([]string, streams)
	recs := make([][]telemetry.Record, streams)
	for i := range devs {
		devs[i] = fmt.Sprintf("gauge-%05d", i)
		recs[i] = []telemetry.Record{{Reading: telemetry.Reading{Sensor: "level", Quantity: telemetry.WaterLevel}}}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	e, err := New(benchRules(), nil)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 9, 14, 23, 0, 0, 0, CST)
	seq := 0
	feed := func(n int) {
		for range n {
			s, round := seq%streams, seq/streams
			seq++
			r := &recs[s][0]
			r.Seq++
			r.Time = start.Add(time.Duration(round)*time.Minute + time.Duration(s)*(time.Minute/streams))
			r.Value = 3.6 + 0.6*math.Sin(2*math.Pi*(float64(round)/745+float64(s)/streams))
			e.Observe(devs[s], recs[s])
		}
	}
	feed(30 * streams)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportAllocs()
	b.ResetTimer()
	feed(b.N)
	b.StopTimer()
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/streams, "B/stream") // after ResetTimer, which drops it
	runtime.KeepAlive(e)
}
