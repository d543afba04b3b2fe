// Package fleettest runs the real collector beside a fleet in tests and
// checks, device by device, that the collector stored every reading the
// fleet's outboxes committed, exactly once.
package fleettest

import (
	"context"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/agent/outbox"
	"github.com/xiuhua/xiuhua/cloud/collector/collectortest"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/simulator/fault"
	"github.com/xiuhua/xiuhua/simulator/fleet"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Collector is the real collector in this process, with a bbolt store
// and the construction-dust plan. The test's cleanup stops it and fails
// the test if it failed; Stop stops it earlier.
type Collector struct {
	*collectortest.Collector
	Store string // the store file
	API   string // http://host:port of its API
}

// StartCollector starts a collector on brokerURL with its files in dir
// and waits until it serves.
func StartCollector(t testing.TB, dir, brokerURL string) *Collector {
	t.Helper()
	c := collectortest.StartTest(t, dir, collectortest.Opts{Broker: brokerURL, ClientID: "fleettest-collector"})
	return &Collector{Collector: c, Store: c.Config.Store.Path, API: "http://" + c.HTTPAddr()}
}

// Device is what Verify found for one device.
type Device struct {
	ID        string
	Committed uint64             // readings its outbox committed (NextSeq − 1)
	Stored    store.Device       // the collector's record of it
	Records   []telemetry.Record // its stored readings, by time then seq
}

// Verify checks, after the fleets and the collector have stopped, that
// the collector stored exactly what each device's outbox committed: every
// sequence number from 1 to NextSeq − 1 once, nothing else, one outbox
// incarnation, none condensed, no outbox holding anything back, and no
// device but the fleets'. The stored readings are read with times in
// [from, to). Devices come back in the fleets' order.
func Verify(t testing.TB, storePath string, from, to time.Time, fleets ...*fleet.Fleet) []Device {
	t.Helper()
	st, err := bolt.Open(storePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	devs, err := st.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := make(map[string]store.Device, len(devs))
	for _, d := range devs {
		byID[d.ID] = d
	}
	n := 0
	for _, f := range fleets {
		n += f.Len()
	}
	if len(devs) != n {
		t.Errorf("the collector knows %d devices, the fleets have %d", len(devs), n)
	}
	var out []Device
	for _, f := range fleets {
		out = append(out, verify(t, st, byID, f, from, to)...)
	}
	return out
}

func verify(t testing.TB, st store.Store, byID map[string]store.Device, f *fleet.Fleet, from, to time.Time) []Device {
	t.Helper()
	var out []Device
	for i := range f.Len() {
		d := Device{ID: f.ID(i)}
		ob, err := outbox.Open(f.OutboxPath(i), nil)
		if err != nil {
			t.Fatal(err)
		}
		obs, err := ob.Stats()
		ob.Close()
		if err != nil {
			t.Fatal(err)
		}
		d.Committed = obs.NextSeq - 1
		if obs.Depth != 0 || d.Committed == 0 {
			t.Errorf("%s: outbox committed %d and still holds %d; want some, all acknowledged", d.ID, d.Committed, obs.Depth)
		}
		sd, ok := byID[d.ID]
		if !ok {
			t.Errorf("%s: unknown to the collector", d.ID)
			out = append(out, d)
			continue
		}
		d.Stored = sd
		if sd.Received != d.Committed || sd.SeqHigh != d.Committed || len(sd.Missing) != 0 || sd.Incarnations != 1 ||
			sd.StaleIncarnation != 0 || sd.Condensed != 0 || sd.PreviousReceived != 0 {
			t.Errorf("%s: committed %d; collector %+v", d.ID, d.Committed, sd)
		}
		d.Records = readings(t, st, d.ID, from, to)
		seen := make(map[uint64]int, len(d.Records))
		for _, r := range d.Records {
			seen[r.Seq]++
		}
		for seq := uint64(1); seq <= d.Committed; seq++ {
			if n := seen[seq]; n != 1 {
				t.Errorf("%s: seq %d stored %d times, want once", d.ID, seq, n)
			}
		}
		if uint64(len(d.Records)) != d.Committed {
			t.Errorf("%s: %d readings stored, %d committed", d.ID, len(d.Records), d.Committed)
		}
		out = append(out, d)
	}
	return out
}

func readings(t testing.TB, st store.Store, id string, from, to time.Time) []telemetry.Record {
	t.Helper()
	var all []telemetry.Record
	for {
		page, err := st.Readings(context.Background(), store.ReadingQuery{Device: id, From: from, To: to, Limit: store.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < store.MaxLimit {
			return all
		}
		from = page[len(page)-1].Time.Add(time.Millisecond)
	}
}

// Rig is a private Mosquitto and the real collector on it, with their
// files in a test directory.
type Rig struct {
	Dir       string
	Broker    *fault.Mosquitto
	Collector *Collector
}

// NewRig starts a Rig; the test's cleanup stops it.
func NewRig(t testing.TB) *Rig {
	t.Helper()
	dir := t.TempDir()
	m, err := fault.StartMosquitto(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Stop() })
	return &Rig{Dir: dir, Broker: m, Collector: StartCollector(t, dir, m.URL())}
}

// Running is a fleet whose Run goroutine a test owns.
type Running struct {
	*fleet.Fleet
	Start  time.Time
	cancel context.CancelFunc
	done   chan error
}

// Start makes a fleet of o and runs it; the test's cleanup stops it.
func Start(t testing.TB, o fleet.Opts) *Running {
	t.Helper()
	f, err := fleet.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{Fleet: f, cancel: cancel, done: make(chan error, 1), Start: time.Now()}
	go func() { r.done <- f.Run(ctx) }()
	t.Cleanup(func() { r.Stop(t) })
	return r
}

// Stop stops the fleet and fails the test on its error. It is
// idempotent.
func (r *Running) Stop(t testing.TB) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	if err := <-r.done; err != nil {
		t.Errorf("fleet: %v", err)
	}
}

// Drain stops the sensors and waits, up to two minutes, for every outbox
// to empty; it checks that the fleet's counts then agree with themselves
// and returns them.
func (r *Running) Drain(t testing.TB) fleet.Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := r.Fleet.Drain(ctx); err != nil {
		t.Fatalf("%v; %v", err, r.Stats())
	}
	s := r.Stats()
	if s.Backlog != 0 || s.Acked != s.Readings || s.Up != s.Devices {
		t.Errorf("after drain: %v", s)
	}
	return s
}

// Verify stops the fleets (drained) and the collector, checks every
// device (see Verify) against readings stamped from an hour before the
// first fleet started, less skew, to an hour after now, plus skew, and
// checks that the fleets' own counts of committed readings were right.
func (g *Rig) Verify(t testing.TB, skew time.Duration, fleets ...*Running) []Device {
	t.Helper()
	var want uint64
	from := time.Now()
	var fs []*fleet.Fleet
	for _, r := range fleets {
		want += r.Stats().Readings
		r.Stop(t)
		fs = append(fs, r.Fleet)
		if r.Start.Before(from) {
			from = r.Start
		}
	}
	g.Collector.Stop()
	devs := Verify(t, g.Collector.Store, from.Add(-time.Hour-skew), time.Now().Add(time.Hour+skew), fs...)
	var total, dups uint64
	for _, d := range devs {
		total += d.Committed
		dups += d.Stored.Duplicates
	}
	if total != want {
		t.Errorf("outboxes committed %d readings, the fleets' status said %d", total, want)
	}
	t.Logf("%d devices committed %d readings; the collector stored each once and dropped %d re-sent", len(devs), total, dups)
	return devs
}

// WaitFor polls cond every 20 ms until it holds, failing the test after d.
func WaitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}
