package storetest

import (
	"testing"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Two outboxes of one device; rec(seq) gives both the same (time, seq).
const (
	incA uint64 = 0xa11ce
	incB uint64 = 0xb0b
)

func incBatch(device string, inc uint64, seqs ...uint64) telemetry.Batch {
	b := batch(device, seqs...)
	b.Incarnation = inc
	return b
}

// testIncarnations: a new outbox (a swapped board) numbers from 1 again;
// its records are new, the old ones stay, and completeness restarts.
func testIncarnations(t *testing.T, open opener) {
	s := open(t)
	const dev = "swapped"
	res := appendOK(t, s, t0, incBatch(dev, incA, 1, 2, 3, 4, 5))
	checkResult(t, "first outbox", res[0], store.AppendResult{Stored: telemetry.RangesOf(1, 2, 3, 4, 5), New: recs(1, 2, 3, 4, 5)})
	checkDevice(t, deviceOK(t, s, dev), store.Device{
		ID: dev, LastSeen: t0, SeqHigh: 5, Missing: ranges(), Received: 5, Incarnation: incA, Incarnations: 1,
	})

	// The new board's 2 and 3 (its 1 was lost on the way) are new, not
	// re-sends of the old board's.
	res = appendOK(t, s, t0, incBatch(dev, incB, 2, 3))
	checkResult(t, "new outbox", res[0], store.AppendResult{Stored: telemetry.RangesOf(2, 3), New: recs(2, 3)})
	if res[0].Stale {
		t.Error("the new outbox's batch is reported stale")
	}
	checkDevice(t, deviceOK(t, s, dev), store.Device{
		ID: dev, LastSeen: t0, SeqHigh: 3, Missing: ranges(1, 1), Received: 2, Incarnation: incB, Incarnations: 2,
		PreviousReceived: 5,
	})
	// Both outboxes' readings are kept, even those with the same time and seq.
	checkRecords(t, "Readings", readingsOK(t, s, all(dev)), recs(1, 2, 2, 3, 3, 4, 5))

	// Re-sends of the new outbox are duplicates against its own set; an
	// unknown incarnation (an old agent) counts against the current one.
	res = appendOK(t, s, t0, incBatch(dev, incB, 3, 4), incBatch(dev, 0, 1, 4))
	checkResult(t, "current outbox", res[0], store.AppendResult{Stored: telemetry.RangesOf(3, 4), New: recs(4), Duplicates: 1})
	checkResult(t, "unknown incarnation", res[1], store.AppendResult{Stored: telemetry.RangesOf(1, 4), New: recs(1), Duplicates: 1})
	checkDevice(t, deviceOK(t, s, dev), store.Device{
		ID: dev, LastSeen: t0, SeqHigh: 4, Missing: ranges(), Received: 4, Duplicates: 2, Incarnation: incB, Incarnations: 2,
		PreviousReceived: 5,
	})

	// A device first heard without an incarnation adopts the first one it
	// is told: the same outbox, its agent upgraded; the numbering goes on.
	const up = "upgraded"
	appendOK(t, s, t0, incBatch(up, 0, 1, 2))
	res = appendOK(t, s, t0, incBatch(up, incA, 2, 3))
	checkResult(t, "upgraded agent", res[0], store.AppendResult{Stored: telemetry.RangesOf(2, 3), New: recs(3), Duplicates: 1})
	checkDevice(t, deviceOK(t, s, up), store.Device{
		ID: up, LastSeen: t0, SeqHigh: 3, Missing: ranges(), Received: 3, Duplicates: 1, Incarnation: incA, Incarnations: 1,
	})

	// It all survives a reopen.
	want := devicesOK(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t)
	got := devicesOK(t, s)
	if len(got) != len(want) {
		t.Fatalf("after reopen, %d devices, want %d", len(got), len(want))
	}
	for i := range got {
		checkDevice(t, got[i], want[i])
	}
	checkRecords(t, "Readings after reopen", readingsOK(t, s, all(dev)), recs(1, 1, 2, 2, 3, 3, 4, 4, 5))
}

// testStaleIncarnation: the old board comes back and re-sends after the
// new one has started. Its batches are stored where new, acknowledged, and
// leave the current outbox's completeness alone.
func testStaleIncarnation(t *testing.T, open opener) {
	s := open(t)
	const dev = "returned"
	appendOK(t, s, t0, incBatch(dev, incA, 1, 2, 3))
	appendOK(t, s, t0, incBatch(dev, incB, 1))

	res := appendOK(t, s, t0, incBatch(dev, incA, 3, 4))
	checkResult(t, "stale re-send", res[0], store.AppendResult{Stored: telemetry.RangesOf(3, 4), New: recs(4), Duplicates: 1})
	if !res[0].Stale {
		t.Error("a batch of the earlier outbox is not reported stale")
	}
	// Within one batch and across a condensed block, as for any batch.
	stale := incBatch(dev, incA, 5, 5)
	stale.Condensed = []telemetry.Condensed{block(6, 7, agg("s", "q", 0, 2))}
	res = appendOK(t, s, t0, stale)
	checkResult(t, "stale with a block", res[0], store.AppendResult{Stored: telemetry.RangesOf(5, 6, 7), New: recs(5), Duplicates: 1, Condensed: 2})
	res = appendOK(t, s, t0, stale)
	checkResult(t, "stale block again", res[0], store.AppendResult{Stored: telemetry.RangesOf(5, 6, 7), Duplicates: 4})

	// The current outbox's 2 is new although the earlier one's 2 is stored.
	res = appendOK(t, s, t0, incBatch(dev, incB, 2))
	checkResult(t, "current after stale", res[0], store.AppendResult{Stored: telemetry.RangesOf(2), New: recs(2)})
	checkDevice(t, deviceOK(t, s, dev), store.Device{
		ID: dev, LastSeen: t0, SeqHigh: 2, Missing: ranges(), Received: 2, Duplicates: 6, Condensed: 2,
		Incarnation: incB, Incarnations: 2, PreviousReceived: 3, StaleIncarnation: 4,
	})
	checkRecords(t, "Readings", readingsOK(t, s, all(dev)), recs(1, 1, 2, 2, 3, 4, 5))
	checkAggregates(t, "Aggregates", aggregatesOK(t, s, all(dev)), []telemetry.Aggregate{agg("s", "q", 0, 2)})

	// A third outbox; the first comes back once more and is still stale.
	appendOK(t, s, t0, incBatch(dev, 0xc, 1))
	res = appendOK(t, s, t0, incBatch(dev, incA, 8), incBatch(dev, incB, 3))
	if !res[0].Stale || !res[1].Stale {
		t.Errorf("batches of the first and second outbox after the third: stale = %v, %v; want both", res[0].Stale, res[1].Stale)
	}
	checkDevice(t, deviceOK(t, s, dev), store.Device{
		ID: dev, LastSeen: t0, SeqHigh: 1, Missing: ranges(), Received: 1, Duplicates: 6, Condensed: 2,
		Incarnation: 0xc, Incarnations: 3, PreviousReceived: 5, StaleIncarnation: 6,
	})
}
