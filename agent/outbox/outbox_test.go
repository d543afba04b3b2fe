package outbox

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/telemetry"
)

func reading(v float64) telemetry.Reading {
	return telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM2_5, Value: v,
		Time: time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC).Add(time.Duration(v) * time.Second)}
}

func open(t *testing.T, path string) *Outbox {
	t.Helper()
	ob, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	return ob
}

func TestSequenceSurvivesReopenAndAck(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outbox.db")
	ob := open(t, path)
	r, err := ob.Append(ctx, reading(1), reading(2), reading(3))
	if err != nil {
		t.Fatal(err)
	}
	if want := (telemetry.Range{First: 1, Last: 3}); r != want {
		t.Fatalf("first append got seqs %v, want %v", r, want)
	}
	if n, err := ob.Ack(telemetry.RangesOf(1, 2)); err != nil || n != 2 {
		t.Fatalf("ack deleted %d (%v), want 2", n, err)
	}
	if err := ob.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ob.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}

	ob = open(t, path)
	r, err = ob.Append(ctx, reading(4))
	if err != nil {
		t.Fatal(err)
	}
	if r.First != 4 || r.Last != 4 {
		t.Fatalf("after reopen got seq %v, want 4: a sequence number was given twice", r)
	}
	recs := records(t, ob, Data, 0, 0, 10)
	if len(recs) != 2 || recs[0].Seq != 3 || recs[1].Seq != 4 || recs[0].Value != 3 || !recs[1].Time.Equal(reading(4).Time) {
		t.Fatalf("pending = %+v, want seqs 3 and 4 with their values", recs)
	}
	st, err := ob.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Depth != 2 || st.OldestSeq != 3 || st.NextSeq != 5 || !st.OldestTime.Equal(reading(3).Time) {
		t.Fatalf("stats = %+v", st)
	}
	// Acks may repeat and may name records never given.
	if n, err := ob.Ack(telemetry.Ranges{{First: 1, Last: 3}, {First: 9, Last: 12}}); err != nil || n != 1 {
		t.Fatalf("repeated ack deleted %d (%v), want 1", n, err)
	}
}

func TestPendingAfterAndLimit(t *testing.T) {
	ob := open(t, filepath.Join(t.TempDir(), "outbox.db"))
	for i := 1; i <= 10; i++ {
		if _, err := ob.Append(context.Background(), reading(float64(i))); err != nil {
			t.Fatal(err)
		}
	}
	recs := records(t, ob, Data, 4, 0, 3)
	var got []uint64
	for _, r := range recs {
		got = append(got, r.Seq)
	}
	if len(got) != 3 || got[0] != 5 || got[2] != 7 {
		t.Fatalf("Pending(4, 3) seqs = %v, want [5 6 7]", got)
	}
}

// Concurrent appenders get disjoint, gap-free sequence numbers.
func TestConcurrentAppendsAreDenseAndDisjoint(t *testing.T) {
	ob := open(t, filepath.Join(t.TempDir(), "outbox.db"))
	const writers, each = 8, 50
	var mu sync.Mutex
	var all telemetry.Ranges
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				r, err := ob.Append(context.Background(), reading(1), reading(2))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for s := r.First; s <= r.Last; s++ {
					if all.Contains(s) {
						t.Errorf("seq %d given twice", s)
					}
				}
				all = all.Add(r)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if want := (telemetry.Ranges{{First: 1, Last: writers * each * 2}}); all.String() != want.String() {
		t.Fatalf("seqs given = %v, want %v", all, want)
	}
	st, _ := ob.Stats()
	if st.Depth != writers*each*2 {
		t.Fatalf("depth = %d, want %d", st.Depth, writers*each*2)
	}
}

func TestClosedAndLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	ob := open(t, path)
	if _, err := Open(path, &Opts{LockTimeout: 50 * time.Millisecond}); err == nil {
		t.Fatal("second Open of a locked outbox succeeded")
	}
	ob.Close()
	if _, err := ob.Append(context.Background(), reading(1)); err != ErrClosed {
		t.Fatalf("append after close: %v, want ErrClosed", err)
	}
}

func records(t *testing.T, ob *Outbox, lane Lane, after, before uint64, max int) []telemetry.Record {
	t.Helper()
	es, err := ob.Pending(lane, after, before, max)
	if err != nil {
		t.Fatal(err)
	}
	var out []telemetry.Record
	for _, e := range es {
		if e.Record == nil {
			t.Fatalf("entry %v is condensed; want raw records", e.Range())
		}
		out = append(out, *e.Record)
	}
	return out
}

func TestIncarnation(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.db")
	ob := open(t, a)
	inc := ob.Incarnation()
	if inc == 0 {
		t.Fatal("a new outbox has incarnation 0")
	}
	ob.Close()
	if got := open(t, a).Incarnation(); got != inc {
		t.Errorf("incarnation after reopen = %#x, want %#x", got, inc)
	}
	// A new file, as after a board swap or a reflashed card, is another
	// incarnation.
	if got := open(t, filepath.Join(dir, "b.db")).Incarnation(); got == 0 || got == inc {
		t.Errorf("second file's incarnation = %#x; want non-zero and not %#x", got, inc)
	}

	// A file written before incarnations gets one on open and keeps it;
	// its sequence numbers go on.
	old := filepath.Join(dir, "old.db")
	ob = open(t, old)
	if _, err := ob.Append(context.Background(), reading(1), reading(2)); err != nil {
		t.Fatal(err)
	}
	ob.Close()
	db, err := bolt.Open(old, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyIncarn) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	ob = open(t, old)
	inc = ob.Incarnation()
	if inc == 0 {
		t.Fatal("an outbox without an incarnation was not given one on open")
	}
	if r, err := ob.Append(context.Background(), reading(3)); err != nil || r.First != 3 {
		t.Errorf("append after the incarnation was added = %v, %v; want seq 3", r, err)
	}
	ob.Close()
	if got := open(t, old).Incarnation(); got != inc {
		t.Errorf("incarnation given on open was not kept: %#x, then %#x", inc, got)
	}
}
