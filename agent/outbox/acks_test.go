package outbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

func stats(t *testing.T, ob *Outbox) Stats {
	t.Helper()
	st, err := ob.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func appendN(t *testing.T, ob *Outbox, n int) telemetry.Range {
	t.Helper()
	rs := make([]telemetry.Reading, n)
	for i := range rs {
		rs[i] = reading(float64(i))
	}
	r, err := ob.Append(context.Background(), rs...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ack(t *testing.T, ob *Outbox, ranges telemetry.Ranges, want uint64) {
	t.Helper()
	if n, err := ob.Ack(ranges); err != nil || n != want {
		t.Fatalf("ack %v removed %d (%v), want %d", ranges, n, err, want)
	}
}

func seqs(t *testing.T, ob *Outbox, lane Lane, after uint64, max int) []uint64 {
	t.Helper()
	var out []uint64
	for _, r := range records(t, ob, lane, after, 0, max) {
		out = append(out, r.Seq)
	}
	return out
}

// powerCut copies the outbox's file as a power cut would leave it: every
// commit is fsynced and Ack writes nothing, so while no commit runs the
// file's bytes are exactly what survives.
func powerCut(t *testing.T, ob *Outbox, to string) {
	t.Helper()
	src, err := os.Open(ob.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// waitFor waits for cond, which the committer makes true on its own
// goroutine; the deadline only guards against a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// An ack costs no commit: its deletion rides on the next commit of
// appends.
func TestAckDeletionRidesOnTheNextAppend(t *testing.T) {
	ob := open(t, filepath.Join(t.TempDir(), "outbox.db"))
	appendN(t, ob, 5)
	c0 := stats(t, ob).Commits
	ack(t, ob, telemetry.Ranges{{First: 1, Last: 3}}, 3)
	ack(t, ob, telemetry.Ranges{{First: 1, Last: 3}}, 0) // a repeated ack removes nothing more
	if st := stats(t, ob); st.Commits != c0 || st.Depth != 2 || st.AckedUndeleted != 3 || st.OldestSeq != 4 || !st.OldestTime.Equal(reading(3).Time) {
		t.Fatalf("after the ack: %+v; want no commit, depth 2, 3 awaiting deletion, oldest 4", st)
	}
	if got := fmt.Sprint(seqs(t, ob, Data, 0, 10)); got != "[4 5]" {
		t.Fatalf("pending after the ack = %s, want [4 5]", got)
	}
	appendN(t, ob, 1)
	if st := stats(t, ob); st.Commits != c0+1 || st.Depth != 3 || st.AckedUndeleted != 0 || st.OldestSeq != 4 {
		t.Fatalf("after the next append: %+v; want one commit, depth 3, nothing awaiting deletion", st)
	}
	// The deletion is in the file: a power cut now loses nothing of it.
	cut := filepath.Join(t.TempDir(), "cut.db")
	powerCut(t, ob, cut)
	after := open(t, cut)
	if got, st := fmt.Sprint(seqs(t, after, Data, 0, 10)), stats(t, after); got != "[4 5 6]" || st.Depth != 3 {
		t.Fatalf("after a power cut: pending %s, depth %d; want [4 5 6], 3", got, st.Depth)
	}
}

// A power cut between an ack and the commit that would have deleted its
// entries loses nothing: afterwards the entries pending again are exactly
// the acknowledged-but-undeleted ones and the never-acknowledged ones, and
// a collector that dedupes by sequence number ends with every reading
// stored once.
func TestPowerCutBetweenAckAndDeleteResendsExactlyTheUndeleted(t *testing.T) {
	dir := t.TempDir()
	ob := open(t, filepath.Join(dir, "outbox.db")) // AckLinger 1 min: nothing is deleted on its own here
	stored := map[uint64]int{}                     // the collector: seq → copies received
	send := func(ob *Outbox, after uint64, max int) telemetry.Ranges {
		var sent telemetry.Ranges
		for _, s := range seqs(t, ob, Data, after, max) {
			stored[s]++
			sent = sent.Add(telemetry.Range{First: s, Last: s})
		}
		return sent
	}
	appendN(t, ob, 10) // 1-10
	ack(t, ob, send(ob, 0, 4), 4)
	appendN(t, ob, 1) // 11, whose commit deletes 1-4
	ack(t, ob, send(ob, 4, 3), 3)
	st := stats(t, ob)
	if st.Depth != 4 || st.AckedUndeleted != 3 || st.NextSeq != 12 {
		t.Fatalf("before the cut: %+v; want depth 4 (8-11), 5-7 awaiting deletion", st)
	}
	// Without a power cut, 5-7 are not sent again.
	if got := fmt.Sprint(seqs(t, ob, Data, 0, 100)); got != "[8 9 10 11]" {
		t.Fatalf("pending without a power cut = %s, want [8 9 10 11]", got)
	}

	cut := filepath.Join(dir, "cut.db")
	powerCut(t, ob, cut)
	after := open(t, cut)
	st = stats(t, after)
	if st.Depth != 7 || st.OldestSeq != 5 || st.NextSeq != 12 || st.AckedUndeleted != 0 {
		t.Fatalf("after the cut: %+v; want depth 7 (5-11), next seq 12", st)
	}
	resent := send(after, 0, 100)
	if resent.String() != "[5-11]" {
		t.Fatalf("sent after the cut: %v, want 5-11", resent)
	}
	var dups, fresh telemetry.Ranges
	for s := uint64(1); s <= 11; s++ {
		switch stored[s] {
		case 1:
			if resent.Contains(s) {
				fresh = fresh.Add(telemetry.Range{First: s, Last: s})
			}
		case 2:
			dups = dups.Add(telemetry.Range{First: s, Last: s})
		default:
			t.Fatalf("the collector received seq %d %d times", s, stored[s])
		}
	}
	if dups.String() != "[5-7]" || fresh.String() != "[8-11]" || len(stored) != 11 {
		t.Fatalf("re-sent duplicates %v and new %v of %d stored; want exactly the acked-but-undeleted 5-7 as duplicates, 8-11 new, 1-11 stored",
			dups, fresh, len(stored))
	}
	ack(t, after, resent, 7)
	if err := after.Close(); err != nil {
		t.Fatal(err)
	}
	if st := stats(t, open(t, cut)); st.Depth != 0 || st.OldestSeq != 0 {
		t.Fatalf("after acking the re-sends and closing: %+v, want empty", st)
	}

	// Close deletes what is waiting: the original file, closed cleanly,
	// holds 8-11 only.
	if err := ob.Close(); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(seqs(t, open(t, ob.Path()), Data, 0, 100)); got != "[8 9 10 11]" {
		t.Fatalf("after a clean close: pending %s, want [8 9 10 11]", got)
	}
}

// Acknowledged entries awaiting deletion are skipped wherever they lie,
// in both lanes, and do not count towards Pending's max.
func TestPendingAndStatsSkipAckedEntries(t *testing.T) {
	ob := open(t, filepath.Join(t.TempDir(), "outbox.db"))
	ev := telemetry.Reading{Sensor: "edge", Quantity: telemetry.EventTrapped, Value: 1, Time: reading(0).Time}
	if _, err := ob.Append(context.Background(), reading(1), reading(2), ev, reading(4), reading(5), ev, reading(7)); err != nil {
		t.Fatal(err)
	}
	ack(t, ob, telemetry.Ranges{{First: 1, Last: 3}, {First: 5, Last: 5}}, 4)
	if got := fmt.Sprint(seqs(t, ob, Data, 0, 2)); got != "[4 7]" {
		t.Fatalf("data pending (max 2) = %s, want [4 7]", got)
	}
	if got := fmt.Sprint(seqs(t, ob, Urgent, 0, 10)); got != "[6]" {
		t.Fatalf("urgent pending = %s, want [6]", got)
	}
	if st := stats(t, ob); st.Depth != 3 || st.UrgentDepth != 1 || st.OldestSeq != 4 || st.AckedUndeleted != 4 {
		t.Fatalf("stats = %+v; want depth 3, urgent 1, oldest 4", st)
	}
	ack(t, ob, telemetry.RangesOf(4, 6, 7), 3)
	if st := stats(t, ob); st.Depth != 0 || st.UrgentDepth != 0 || st.OldestSeq != 0 || !st.OldestTime.IsZero() || st.AckedUndeleted != 7 {
		t.Fatalf("stats with everything acked = %+v; want empty", st)
	}
	appendN(t, ob, 1)
	if st := stats(t, ob); st.Depth != 1 || st.OldestSeq != 8 || st.AckedUndeleted != 0 {
		t.Fatalf("after the next append = %+v; want seq 8 alone", st)
	}
}

// Condensing deletes the acknowledged entries first and never condenses
// them; the leased entry stays raw.
func TestCondenseDeletesAckedEntriesRatherThanCondensing(t *testing.T) {
	ob := open(t, filepath.Join(t.TempDir(), "outbox.db"))
	appendN(t, ob, 10)
	if _, err := ob.Pending(Data, 0, 0, 3); err != nil { // 1-3 in flight
		t.Fatal(err)
	}
	ack(t, ob, telemetry.Ranges{{First: 1, Last: 2}}, 2)
	c0 := stats(t, ob).Commits
	if n, err := ob.condenseOldest(100); err != nil || n != 7 {
		t.Fatalf("condensed %d (%v), want 4-10", n, err)
	}
	es, err := ob.Pending(Data, 0, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		if e.Record != nil {
			got = append(got, fmt.Sprintf("raw %d", e.Record.Seq))
		} else {
			got = append(got, fmt.Sprintf("block %v", e.Condensed.Range))
		}
	}
	if fmt.Sprint(got) != "[raw 3 block 4-10]" {
		t.Fatalf("entries = %v, want [raw 3 block 4-10]", got)
	}
	if st := stats(t, ob); st.Commits != c0+1 || st.Depth != 8 || st.AckedUndeleted != 0 || st.Condensed != 7 {
		t.Fatalf("stats = %+v; want one commit, depth 8, 7 condensed", st)
	}
	// A block acknowledged whole waits for deletion like a record.
	ack(t, ob, telemetry.Ranges{{First: 3, Last: 10}}, 8)
	if st := stats(t, ob); st.Depth != 0 || st.AckedUndeleted != 8 {
		t.Fatalf("after acking the block: %+v", st)
	}
	appendN(t, ob, 1)
	if st := stats(t, ob); st.Depth != 1 || st.OldestSeq != 11 || st.AckedUndeleted != 0 {
		t.Fatalf("after the next append: %+v", st)
	}
}

// Clock correction deletes acknowledged entries rather than rewriting
// them, and does not count them.
func TestCorrectClockSkipsAckedEntries(t *testing.T) {
	ob := open(t, filepath.Join(t.TempDir(), "outbox.db"))
	wrong := time.Unix(300, 0).UTC()
	rs := make([]telemetry.Reading, 4)
	for i := range rs {
		rs[i] = telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM2_5, Time: wrong, Flags: telemetry.ClockUnsynced}
	}
	r, err := ob.Append(context.Background(), rs...)
	if err != nil {
		t.Fatal(err)
	}
	if err := ob.MarkUnsynced("boot-1", wrong, r); err != nil {
		t.Fatal(err)
	}
	ack(t, ob, telemetry.RangesOf(1, 2), 2)
	if n, err := ob.CorrectClock("boot-1", wrong.Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("corrected %d (%v), want 3 and 4 only", n, err)
	}
	if st := stats(t, ob); st.Depth != 2 || st.AckedUndeleted != 0 || st.OldestSeq != 3 {
		t.Fatalf("stats = %+v", st)
	}
}

// Without appends, acknowledged entries are deleted alone once MaxGroup of
// them wait, or after AckLinger.
func TestAckedEntriesAreDeletedAloneAtMaxGroupOrAfterLinger(t *testing.T) {
	t.Run("max group", func(t *testing.T) {
		ob, err := Open(filepath.Join(t.TempDir(), "outbox.db"), &Opts{MaxGroup: 4})
		if err != nil {
			t.Fatal(err)
		}
		defer ob.Close()
		appendN(t, ob, 4)
		appendN(t, ob, 2)
		c0 := stats(t, ob).Commits
		ack(t, ob, telemetry.Ranges{{First: 1, Last: 3}}, 3)
		if st := stats(t, ob); st.Commits != c0 || st.AckedUndeleted != 3 {
			t.Fatalf("3 of 4 acked: %+v; want no commit yet", st)
		}
		ack(t, ob, telemetry.RangesOf(5), 1)
		waitFor(t, "the deletion of 4 acked entries", func() bool { return stats(t, ob).AckedUndeleted == 0 })
		if st := stats(t, ob); st.Commits != c0+1 || st.Depth != 2 || st.OldestSeq != 4 {
			t.Fatalf("after the 4th ack: %+v; want one commit, 4 and 6 left", st)
		}
	})
	t.Run("linger", func(t *testing.T) {
		ob, err := Open(filepath.Join(t.TempDir(), "outbox.db"), &Opts{AckLinger: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer ob.Close()
		appendN(t, ob, 3)
		c0 := stats(t, ob).Commits
		ack(t, ob, telemetry.Ranges{{First: 1, Last: 3}}, 3)
		waitFor(t, "the lingering deletion", func() bool { return stats(t, ob).AckedUndeleted == 0 })
		if st := stats(t, ob); st.Commits != c0+1 || st.Depth != 0 {
			t.Fatalf("after the linger: %+v; want one commit, empty", st)
		}
	})
	t.Run("negative linger deletes in Ack", func(t *testing.T) {
		ob, err := Open(filepath.Join(t.TempDir(), "outbox.db"), &Opts{AckLinger: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer ob.Close()
		appendN(t, ob, 3)
		c0 := stats(t, ob).Commits
		ack(t, ob, telemetry.RangesOf(1), 1)
		ack(t, ob, telemetry.RangesOf(2), 1)
		if st := stats(t, ob); st.Commits != c0+2 || st.Depth != 1 || st.AckedUndeleted != 0 {
			t.Fatalf("after two acks: %+v; want two commits", st)
		}
	})
}

func TestAckAfterClose(t *testing.T) {
	ob := open(t, filepath.Join(t.TempDir(), "outbox.db"))
	appendN(t, ob, 1)
	ob.Close()
	if _, err := ob.Ack(telemetry.RangesOf(1)); err != ErrClosed {
		t.Fatalf("ack after close: %v, want ErrClosed", err)
	}
}
