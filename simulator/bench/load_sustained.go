package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/xiuhua/xiuhua/simulator/load"
)

// SustainedOpts shapes the sustained run.
type SustainedOpts struct {
	Shape  LoadShape
	Warm   time.Duration // offered but not measured: the store's first pages, the rules' first states
	Window time.Duration // measured
	// Hot is how often a threshold-crossing reading is injected for the
	// alert-latency rows.
	Hot time.Duration
	// Trace, when set, receives a line every 10 s of the window: the
	// readings acknowledged a second, every backlog and the store's size.
	Trace func(format string, args ...any)
	// CPUProfile, when set, is where a CPU profile of the measured window
	// is written (the whole process: collector, broker and generator, told
	// apart by package).
	CPUProfile string
}

// backlog is one sample of every queue the sustained row watches.
type backlog struct {
	at       time.Time
	acked    uint64
	unacked  int64 // readings sent and not acknowledged
	queued   int   // batches in the collector's ingest queue
	inflight int64 // QoS 1 messages the broker holds awaiting PUBACK
	behind   int64 // batches the generator owes the offered rate
}

// SustainedLoad offers o.Shape to the collector for o.Warm and o.Window,
// samples the backlogs every second of the window, and injects a
// threshold-crossing reading every o.Hot. It returns the sustained-rate
// row, the backlog-growth row and the alert-latency rows (p50 and p99
// from a hot reading's timestamp to its alert.opened at the office sink).
func SustainedLoad(dir string, o SustainedOpts) ([]Row, error) {
	r, err := startLoadRig(filepath.Join(dir, "sustained"), true)
	if err != nil {
		return nil, err
	}
	defer r.close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	mon, err := load.DialMonitor(ctx, r.broker.Addr(), "load-monitor")
	cancel()
	if err != nil {
		return nil, err
	}
	defer mon.Close()
	g, err := newGenerator(r, o.Shape, "s-", o.Hot)
	if err != nil {
		return nil, err
	}
	stop := runGenerator(g)
	defer stop()
	time.Sleep(o.Warm)
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	_, commits0 := r.col.IngestBacklog()
	sample := func() backlog {
		s := g.Stats()
		q, _ := r.col.IngestBacklog()
		infl, _ := mon.Get(load.SysInflight)
		return backlog{at: time.Now(), acked: s.Acked, unacked: s.Unacked(), queued: q, inflight: infl, behind: s.Behind}
	}
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := processCPU()
	windowStart := time.Now()
	samples := []backlog{sample()}
	for end := windowStart.Add(o.Window); time.Now().Before(end); {
		time.Sleep(time.Second)
		samples = append(samples, sample())
		if n := len(samples); o.Trace != nil && (n-1)%10 == 0 {
			p, c := samples[n-11], samples[n-1]
			var size int64
			if fi, err := os.Stat(filepath.Join(dir, "sustained", "load-collector.db")); err == nil {
				size = fi.Size()
			}
			o.Trace("bench:   %s acked %6.0f/s, unacked %d, ingest queue %d, broker in flight %d, generator behind %d, store %d MB",
				c.at.Format("15:04:05"), float64(c.acked-p.acked)/c.at.Sub(p.at).Seconds(), c.unacked, c.queued, c.inflight, c.behind, size>>20)
		}
	}
	windowEnd := time.Now()
	cpu := processCPU() - cpu0
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	if o.CPUProfile != "" {
		// What is live beside the CPU profile: what each GC cycle scans.
		if f, err := os.Create(o.CPUProfile + ".heap"); err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	_, commits1 := r.col.IngestBacklog()
	if o.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	// Let the alerts of the last hot readings arrive before counting.
	time.Sleep(2 * time.Second)
	if err := stop(); err != nil {
		return nil, err
	}
	st := g.Stats()
	if st.Foreign > 0 {
		return nil, fmt.Errorf("%d acks named another incarnation", st.Foreign)
	}

	first, last := samples[0], samples[len(samples)-1]
	secs := last.at.Sub(first.at).Seconds()
	rate := float64(last.acked-first.acked) / secs
	offered := o.Shape.Rate()
	slope := func(f func(backlog) float64) float64 {
		xs, ys := make([]float64, len(samples)), make([]float64, len(samples))
		for i, s := range samples {
			xs[i], ys[i] = s.at.Sub(first.at).Seconds(), f(s)
		}
		return leastSquares(xs, ys)
	}
	unackedSlope := slope(func(b backlog) float64 { return float64(b.unacked) })
	queueSlope := slope(func(b backlog) float64 { return float64(b.queued) })
	inflightSlope := slope(func(b backlog) float64 { return float64(b.inflight) })
	behindSlope := slope(func(b backlog) float64 { return float64(b.behind) })
	// Every queue converted to readings a second: an ingest-queue or
	// broker message is a batch of PerBatch readings.
	per := float64(o.Shape.PerBatch)
	growth := max(unackedSlope, queueSlope*per, inflightSlope*per, behindSlope*per)
	limit := offered / 100
	label := fmt.Sprintf("sustained %s readings/s for %v after %v (%s)", num(offered), o.Window.Round(time.Second), o.Warm, o.Shape)
	rows := []Row{
		{Measure: label + ": stored+acked", Value: rate, Unit: "readings/s", Peer: fmt.Sprintf("offered %s/s", num(offered)),
			Ratio: rate / offered, Goal: "≥ 0.98", OK: rate/offered >= 0.98,
			Note: fmt.Sprintf("%.1f commits/s (2 fdatasync each), %.0f readings a commit; ack latency p50 %v, p99 %v (whole run); "+
				"process CPU %.2f cores, %.1f µs a reading (broker and generator included); "+
				"GC %d cycles (GOGC %d), heap %d MiB in use at the end",
				float64(commits1-commits0)/secs, float64(last.acked-first.acked)/float64(max(commits1-commits0, 1)),
				g.AckLatency().Quantile(0.5).Round(time.Millisecond), g.AckLatency().Quantile(0.99).Round(time.Millisecond),
				cpu.Seconds()/windowEnd.Sub(windowStart).Seconds(), float64(cpu.Microseconds())/float64(max(last.acked-first.acked, 1)),
				ms1.NumGC-ms0.NumGC, gcPercent(), ms1.HeapInuse>>20)},
		{Measure: label + ": fastest backlog growth", Value: growth, Unit: "readings/s", Peer: fmt.Sprintf("limit %s/s (1%%)", num(limit)),
			Ratio: growth / limit, Goal: "≤ 1.00", OK: growth <= limit,
			Note: fmt.Sprintf("slopes/s: unacked %+.0f, ingest queue %+.1f, broker in flight %+.1f, generator behind %+.1f; final %d, %d, %d, %d",
				unackedSlope, queueSlope, inflightSlope, behindSlope, last.unacked, last.queued, last.inflight, last.behind)},
	}
	return append(rows, alertLatency(r, g, windowStart, windowEnd, o)...), nil
}

// alertLatency matches the hot readings sent in the window with the
// alert.opened messages the sink received and returns the p50 and p99
// rows. A hot reading whose alert never came counts as slower than any
// that did.
func alertLatency(r *loadRig, g *load.Generator, from, to time.Time, o SustainedOpts) []Row {
	got := opened(r.sink)
	var lat, toRaise, toSink []float64 // ms: reading to webhook; to raising; raising to webhook
	missing := 0
	for _, h := range g.Hots() {
		if h.Time.Before(from) || !h.Time.Before(to) {
			continue
		}
		rec, ok := got[h.Device]
		if !ok || !rec.opened.Equal(h.Time) {
			missing++
			lat = append(lat, 1e9) // later than any: counted, not hidden
			continue
		}
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		lat = append(lat, ms(rec.at.Sub(h.Time)))
		toRaise, toSink = append(toRaise, ms(rec.raised.Sub(h.Time))), append(toSink, ms(rec.at.Sub(rec.raised)))
	}
	const limit = 250.0 // ms
	label := fmt.Sprintf("alert latency, reading to office webhook, at %s readings/s", num(o.Shape.Rate()))
	note := fmt.Sprintf("%d alerts", len(lat))
	if missing > 0 {
		note += fmt.Sprintf(", %d never arrived", missing)
	}
	if len(lat) < 100 {
		note += "; fewer than 100"
	}
	if len(toRaise) > 0 {
		// Where the time goes: ingest and the rules, then the alert's
		// store writes and the notifier.
		note += fmt.Sprintf("; reading to raised p50 %.0f ms, p99 %.0f ms; raised to webhook p50 %.0f ms, p99 %.0f ms",
			quantile(toRaise, 0.5), quantile(toRaise, 0.99), quantile(toSink, 0.5), quantile(toSink, 0.99))
	}
	p50, p99 := quantile(lat, 0.50), quantile(lat, 0.99)
	return []Row{
		{Measure: label + ": p50", Value: p50, Unit: "ms", Peer: "limit 250 ms", Ratio: p50 / limit, Goal: "≤ 1.00", OK: p50 <= limit, Note: note},
		{Measure: label + ": p99", Value: p99, Unit: "ms", Peer: "limit 250 ms", Ratio: p99 / limit, Goal: "≤ 1.00",
			OK: p99 <= limit && len(lat) >= 100, Note: note},
	}
}

// gcPercent is the GOGC in force.
func gcPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
