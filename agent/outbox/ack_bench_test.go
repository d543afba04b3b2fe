package outbox

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// ackModes are the ways of deleting acknowledged entries benchmarked:
// carried by the next commit (the default), and one commit per ack as
// before (AckLinger < 0).
var ackModes = []struct {
	name   string
	linger time.Duration
}{{"coalesced", 0}, {"each", -1}}

// BenchmarkAckCycle is a device's steady state, one op per reading group:
// the sampler appends, the uplink leases the new entries and sends them,
// and the collector's ack comes back before the next group. It reports
// the commits and fsyncs each ack costs beyond its append (the append
// alone is one commit, two fdatasyncs).
func BenchmarkAckCycle(b *testing.B) {
	for _, n := range []int{1, 64} {
		for _, m := range ackModes {
			b.Run(fmt.Sprintf("readings=%d/%s", n, m.name), func(b *testing.B) { benchAckCycle(b, n, m.linger) })
		}
	}
}

func benchAckCycle(b *testing.B, n int, linger time.Duration) {
	ob := benchOutbox(b, linger)
	ctx := context.Background()
	rs := benchReadings(n)
	after := uint64(0)
	c0, cpu0 := commits(b, ob), cpuTime(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := ob.Append(ctx, rs...)
		if err != nil {
			b.Fatal(err)
		}
		es, err := ob.Pending(Data, after, 0, 500)
		if err != nil || len(es) != n {
			b.Fatalf("pending after %d: %d entries (%v), want %d", after, len(es), err, n)
		}
		after = r.Last
		if d, err := ob.Ack(telemetry.Ranges{r}); err != nil || d != uint64(n) {
			b.Fatalf("ack %v removed %d (%v), want %d", r, d, err, n)
		}
	}
	// The deletions still waiting are part of the cost.
	if err := ob.flushAcks(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportCPU(b, cpu0)
	reportAckCommits(b, ob, c0, b.N, b.N)
}

// BenchmarkAck is acknowledgements alone, one sequence number each, with
// no appends between them to carry their deletion: the worst case for
// coalescing.
func BenchmarkAck(b *testing.B) {
	for _, m := range ackModes {
		b.Run(m.name, func(b *testing.B) { benchAck(b, m.linger) })
	}
}

func benchAck(b *testing.B, linger time.Duration) {
	ob := benchOutbox(b, linger)
	ctx := context.Background()
	rs := benchReadings(4096)
	for n := 0; n < b.N; n += len(rs) {
		if _, err := ob.Append(ctx, rs...); err != nil {
			b.Fatal(err)
		}
	}
	c0, cpu0 := commits(b, ob), cpuTime(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if d, err := ob.Ack(telemetry.RangesOf(uint64(i + 1))); err != nil || d != 1 {
			b.Fatalf("ack of %d removed %d (%v), want 1", i+1, d, err)
		}
	}
	// The deletions still waiting are part of the cost.
	if err := ob.flushAcks(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportCPU(b, cpu0)
	reportAckCommits(b, ob, c0, 0, b.N)
}

func benchOutbox(b *testing.B, linger time.Duration) *Outbox {
	b.Helper()
	ob, err := Open(filepath.Join(b.TempDir(), "outbox.db"), &Opts{AckLinger: linger})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ob.Close() })
	return ob
}

func benchReadings(n int) []telemetry.Reading {
	rs := make([]telemetry.Reading, n)
	for i := range rs {
		rs[i] = reading(float64(i % 300))
	}
	return rs
}

func commits(b *testing.B, ob *Outbox) uint64 {
	b.Helper()
	st, err := ob.Stats()
	if err != nil {
		b.Fatal(err)
	}
	return st.Commits
}

// reportAckCommits reports the commits (and fdatasyncs, two per bbolt
// commit) per ack made since c0, less the appends' own commits: appends
// were made, each one commit.
func reportAckCommits(b *testing.B, ob *Outbox, c0 uint64, appends, acks int) {
	b.Helper()
	per := (float64(commits(b, ob)-c0) - float64(appends)) / float64(acks)
	b.ReportMetric(per, "commits/ack")
	b.ReportMetric(2*per, "fsyncs/ack")
}

// cpuTime is the process's user and system CPU time so far: the fleet's
// cost is CPU, which an fsync's wait on a fast disk hides from ns/op.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.Helper()
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
}
