package fault_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/agent/clock"
	"github.com/xiuhua/xiuhua/simulator/fault"
	"github.com/xiuhua/xiuhua/simulator/fleet"
	"github.com/xiuhua/xiuhua/simulator/fleet/fleettest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// partitioned runs n devices of which the first k reach the rig's broker
// through a proxy, and waits until all are connected.
func partitioned(t *testing.T, r *fleettest.Rig, n, k int, o fleet.Opts) (*fleettest.Running, *fault.Proxy) {
	t.Helper()
	p, err := fault.NewProxy("127.0.0.1:0", r.Broker.URL()[len("tcp://"):])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	o.Devices, o.Dir, o.Ramp = n, filepath.Join(r.Dir, "fleet"), 100
	o.BrokerFor = func(i int) string {
		if i < k {
			return p.URL()
		}
		return r.Broker.URL()
	}
	f := fleettest.Start(t, o)
	fleettest.WaitFor(t, "every device connected", time.Minute, func() bool { return f.Stats().Connected == n })
	return f, p
}

// backlogs sums the backlog of devices [0, k).
func backlogs(f *fleettest.Running, k int) uint64 {
	var b uint64
	for i := range k {
		b += f.Device(i).Backlog
	}
	return b
}

// A partition that resets the connections of 5 devices out of 20: they
// see it at once and keep their readings in their outboxes; after the
// heal the collector has every reading each device committed, once.
func TestResetPartitionThenHeal(t *testing.T) {
	r := fleettest.NewRig(t)
	const n, k = 20, 5
	f, p := partitioned(t, r, n, k, fleet.Opts{Prefix: "reset", Interval: 100 * time.Millisecond})
	p.Partition(fault.Reset)
	fleettest.WaitFor(t, "the partitioned devices disconnected", time.Minute, func() bool {
		for i := range k {
			if f.Device(i).Connected {
				return false
			}
		}
		return true
	})
	// Readings pile up on the far side: 3 a sample, 10 samples a second.
	fleettest.WaitFor(t, "a backlog of 150 behind the partition", time.Minute, func() bool { return backlogs(f, k) >= 150 })
	if s := f.Stats(); s.Connected != n-k {
		t.Errorf("during the partition %d devices connected, want %d", s.Connected, n-k)
	}
	p.Heal()
	fleettest.WaitFor(t, "every device reconnected", time.Minute, func() bool { return f.Stats().Connected == n })
	f.Drain(t)
	devs := r.Verify(t, 0, f)
	for _, d := range devs[:k] {
		if d.Stored.Replayed == 0 {
			t.Errorf("%s: nothing arrived as replayed backlog after the partition", d.ID)
		}
	}
	if st := p.Stats(); st.Reset < k {
		t.Errorf("proxy reset %d connections, want at least %d", st.Reset, k)
	}
}

// A blackhole for 5 devices out of 20: their connections stay up but
// nothing passes; acks time out and batches are sent again into the
// hole. At the heal the stalled bytes flow (as TCP retransmits them): the
// collector drops the re-sent copies and still has every reading once.
func TestBlackholeThenHeal(t *testing.T) {
	r := fleettest.NewRig(t)
	const n, k = 20, 5
	f, p := partitioned(t, r, n, k, fleet.Opts{Prefix: "hole", Interval: 100 * time.Millisecond, AckTimeout: time.Second})
	p.Partition(fault.Blackhole)
	before := backlogs(f, k)
	// Three ack timeouts: every partitioned device has sent some batch
	// at least twice into the hole.
	time.Sleep(3 * time.Second)
	if b := backlogs(f, k); b < before+150 {
		t.Errorf("backlog behind the blackhole went from %d to %d, want at least 150 more", before, b)
	}
	p.Heal()
	f.Drain(t)
	devs := r.Verify(t, 0, f)
	for _, d := range devs[:k] {
		if d.Stored.Duplicates == 0 {
			t.Errorf("%s: no re-sent copies dropped; the blackhole should have made it send again", d.ID)
		}
	}
}

// Mosquitto crashes (SIGKILL) and comes back on its address: devices and
// the collector reconnect, and nothing committed is lost.
func TestBrokerCrashLosesNothing(t *testing.T) {
	r := fleettest.NewRig(t)
	const n = 10
	f := fleettest.Start(t, fleet.Opts{Devices: n, Broker: r.Broker.URL(), Prefix: "crash", Interval: 100 * time.Millisecond,
		Dir: filepath.Join(r.Dir, "fleet"), Ramp: 100})
	fleettest.WaitFor(t, "every device connected", time.Minute, func() bool { return f.Stats().Connected == n })
	if err := r.Broker.Kill(); err != nil {
		t.Fatal(err)
	}
	fleettest.WaitFor(t, "every device disconnected", time.Minute, func() bool { return f.Stats().Connected == 0 })
	time.Sleep(time.Second)
	if err := r.Broker.Start(); err != nil {
		t.Fatal(err)
	}
	fleettest.WaitFor(t, "every device reconnected", time.Minute, func() bool { return f.Stats().Connected == n })
	f.Drain(t)
	r.Verify(t, 0, f)
}

// Boards that boot with the wrong time. Three hours behind and
// synchronising 1.5 s after boot: readings wait, are corrected by the
// step, and arrive with the right time, the early ones flagged
// clock_corrected. Three hours ahead and never synchronising (no wait):
// readings arrive in the board's time, flagged clock_unsynced by the
// agent and future_time by the collector.
func TestWrongClockAtBoot(t *testing.T) {
	r := fleettest.NewRig(t)
	const n = 4
	start := time.Now()
	behind := fleettest.Start(t, fleet.Opts{Devices: n, Broker: r.Broker.URL(), Prefix: "behind", Interval: 100 * time.Millisecond,
		Dir: filepath.Join(r.Dir, "behind"), Ramp: 100, SyncWait: time.Hour,
		Clock: func(int) clock.Clock { return fault.NewClock(-3*time.Hour, 1500*time.Millisecond) }})
	ahead := fleettest.Start(t, fleet.Opts{Devices: n, Broker: r.Broker.URL(), Prefix: "ahead", Interval: 100 * time.Millisecond,
		Dir: filepath.Join(r.Dir, "ahead"), Ramp: 100,
		Clock: func(int) clock.Clock { return fault.NewClock(3*time.Hour, 0) }})
	for _, f := range []*fleettest.Running{behind, ahead} {
		fleettest.WaitFor(t, "devices connected", time.Minute, func() bool { return f.Stats().Connected == n })
	}
	// Well past the sync, so that both kinds of reading exist.
	fleettest.WaitFor(t, "readings after the sync", time.Minute, func() bool { return behind.Stats().Readings >= 4*n*30 })
	behind.Drain(t)
	ahead.Drain(t)
	end := time.Now()
	// Corrected times come back to within the millisecond the outbox
	// keeps the clock's epoch in.
	in := func(tm time.Time, skew time.Duration) bool {
		return !tm.Before(start.Add(skew-time.Millisecond)) && !tm.After(end.Add(skew+time.Millisecond))
	}
	devs := r.Verify(t, 3*time.Hour, behind, ahead)
	for _, d := range devs[:n] {
		corrected, plain := 0, 0
		for _, rec := range d.Records {
			switch {
			case !in(rec.Time, 0):
				t.Errorf("%s seq %d: time %v, want between %v and %v", d.ID, rec.Seq, rec.Time, start, end)
			case rec.Flags == telemetry.ClockCorrected:
				corrected++
				if plain > 0 {
					t.Errorf("%s seq %d corrected after readings taken in sync", d.ID, rec.Seq)
				}
			case rec.Flags == 0:
				plain++
			default:
				t.Errorf("%s seq %d: flags %v, want clock_corrected or none", d.ID, rec.Seq, rec.Flags)
			}
		}
		if corrected == 0 || plain == 0 {
			t.Errorf("%s: %d corrected and %d in sync; want both", d.ID, corrected, plain)
		}
	}
	for _, d := range devs[n:] {
		for _, rec := range d.Records {
			if !in(rec.Time, 3*time.Hour) || rec.Flags != telemetry.ClockUnsynced|telemetry.FutureTime {
				t.Errorf("%s seq %d: time %v flags %v, want 3 h ahead, clock_unsynced and future_time", d.ID, rec.Seq, rec.Time, rec.Flags)
			}
		}
		if d.Stored.FutureTime != d.Committed {
			t.Errorf("%s: collector counted %d future times of %d", d.ID, d.Stored.FutureTime, d.Committed)
		}
	}
}
