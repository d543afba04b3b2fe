package agent

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/agent/outbox"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// counterBase is when the counter sensor's first sample was taken: the
// n-th sample is stamped counterBase + n s, whatever the host's clock.
var counterBase = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func init() {
	sensor.Register("agent-test-counter", func(context.Context, sensor.Spec, sensor.Env) (sensor.Sensor, error) {
		return &counter{}, nil
	})
}

// counter is a sensor whose n-th sample has value n and is stamped
// counterBase + n s, so that every reading's original time is known.
type counter struct{ n atomic.Int64 }

func (c *counter) Sense(context.Context) ([]telemetry.Reading, error) {
	n := c.n.Add(1)
	return []telemetry.Reading{{Quantity: telemetry.PM2_5, Value: float64(n), Time: counterBase.Add(time.Duration(n) * time.Second), Quality: telemetry.Good}}, nil
}
func (c *counter) Close() error   { return nil }
func (c *counter) String() string { return "counter" }

// steppingClock is a simulated board's clock, skew ahead of the host's
// until it synchronises. Its wall time does not move: the agent only
// reads it for epochs, which must be exact here. A requested step happens
// when Synced is next asked, as clock.Skewed requires.
type steppingClock struct {
	skew time.Duration

	mu              sync.Mutex
	synced, pending bool
}

func (c *steppingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.synced {
		return counterBase
	}
	return counterBase.Add(c.skew)
}
func (c *steppingClock) SinceBoot() time.Duration { return time.Hour }
func (c *steppingClock) BootID() string           { return "boot-1" }
func (c *steppingClock) Synced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.synced = c.synced || c.pending
	return c.synced
}
func (c *steppingClock) Skew() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.synced {
		return 0
	}
	return c.skew
}
func (c *steppingClock) step() {
	c.mu.Lock()
	c.pending = true
	c.mu.Unlock()
}

// counterAgent runs an agent with one counter sensor at 100 ms, no
// reachable broker and clk, and returns a stop function that returns its
// outbox's records once it has stopped.
func counterAgent(t *testing.T, clk *steppingClock) (*Agent, func() []telemetry.Record) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.yaml")
	yaml := `device: {id: skew-1}
sensors: [{name: c, driver: agent-test-counter, interval: 100ms}]
outbox: {path: outbox.db}
uplink: {broker: "tcp://127.0.0.1:1"}
clock: {require_sync: true, sync_wait: 1h}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.LoadAgent(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, noHardware{}, Opts{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stopped := false
	stop := func() []telemetry.Record {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		ob, err := outbox.Open(filepath.Join(dir, "outbox.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ob.Close()
		es, err := ob.Pending(outbox.Data, 0, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var recs []telemetry.Record
		for _, e := range es {
			recs = append(recs, *e.Record)
		}
		return recs
	}
	t.Cleanup(func() { stop() })
	return a, stop
}

// committed waits until the agent's outbox has given n sequence numbers.
func committed(t *testing.T, a *Agent, n uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := a.Status()
		if err == nil && st.Outbox.NextSeq > n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox did not reach %d readings: %+v, %v", n, st.Outbox, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A skewed board clock stamps readings with the board's time: two hours
// ahead and flagged while unsynchronised, then moved back by exactly the
// step when it synchronises; later readings carry the right time unflagged.
func TestSkewedClockStampsAndCorrects(t *testing.T) {
	clk := &steppingClock{skew: 2 * time.Hour}
	a, stop := counterAgent(t, clk)
	committed(t, a, 3)
	clk.step()
	st, _ := a.Status()
	committed(t, a, st.Outbox.NextSeq+2)
	recs := stop()
	corrected := 0
	for i, r := range recs {
		want := counterBase.Add(time.Duration(r.Value) * time.Second)
		if !r.Time.Equal(want) {
			t.Errorf("seq %d (sample %v): time %v, want %v", r.Seq, r.Value, r.Time, want)
		}
		switch r.Flags {
		case telemetry.ClockCorrected:
			if corrected != i {
				t.Errorf("seq %d corrected after an unflagged reading", r.Seq)
			}
			corrected++
		case 0:
		default:
			t.Errorf("seq %d: flags %v, want clock_corrected or none", r.Seq, r.Flags)
		}
	}
	if corrected < 3 || corrected == len(recs) {
		t.Errorf("%d of %d readings corrected; want the first 3 or more, not all", corrected, len(recs))
	}
}

// A skewed clock that never synchronises leaves its readings in the
// board's time, flagged.
func TestSkewedClockUnsynced(t *testing.T) {
	clk := &steppingClock{skew: -3 * time.Hour}
	a, stop := counterAgent(t, clk)
	committed(t, a, 3)
	recs := stop()
	if len(recs) < 3 {
		t.Fatalf("%d readings, want 3 or more", len(recs))
	}
	for _, r := range recs {
		want := counterBase.Add(time.Duration(r.Value)*time.Second - 3*time.Hour)
		if !r.Time.Equal(want) || r.Flags != telemetry.ClockUnsynced {
			t.Errorf("seq %d: time %v flags %v, want %v clock_unsynced", r.Seq, r.Time, r.Flags, want)
		}
	}
}
