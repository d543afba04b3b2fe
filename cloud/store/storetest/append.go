package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

func testAppendNew(t *testing.T, open opener) {
	s := open(t)
	b := batch("dev-1", 1, 2, 3)
	b.Records[1].Quality = telemetry.Suspect
	b.Records[2].Sensor, b.Records[2].Quantity, b.Records[2].Value = "dust", telemetry.PM2_5, -1.5e-3
	res := appendOK(t, s, t0, b)
	checkResult(t, "first append", res[0], store.AppendResult{Stored: telemetry.RangesOf(1, 2, 3), New: b.Records})
	checkRecords(t, "Readings", readingsOK(t, s, all("dev-1")), b.Records)
	checkDevice(t, deviceOK(t, s, "dev-1"), store.Device{
		ID: "dev-1", LastSeen: t0, SeqHigh: 3, Missing: ranges(), Received: 3,
	})
}

func testDuplicates(t *testing.T, open opener) {
	s := open(t)
	const dev = "dup"
	first := batch(dev, 1, 2, 3, 4, 5)
	appendOK(t, s, t0, first)

	// A re-send, with a value that must not overwrite the stored one.
	resend := batch(dev, 1, 2, 3, 4, 5)
	resend.Records[2].Value = 99
	res := appendOK(t, s, t0, resend)
	checkResult(t, "re-send", res[0], store.AppendResult{Stored: telemetry.RangesOf(1, 2, 3, 4, 5), Duplicates: 5})

	res = appendOK(t, s, t0, batch(dev, 4, 5, 6, 7, 8))
	checkResult(t, "overlap", res[0], store.AppendResult{Stored: telemetry.RangesOf(4, 5, 6, 7, 8), New: recs(6, 7, 8), Duplicates: 2})

	// Overlapping batches in one call: the second sees the first's records.
	res = appendOK(t, s, t0, batch(dev, 9, 10, 11), batch(dev, 10, 11, 12))
	checkResult(t, "same call, batch 0", res[0], store.AppendResult{Stored: telemetry.RangesOf(9, 10, 11), New: recs(9, 10, 11)})
	checkResult(t, "same call, batch 1", res[1], store.AppendResult{Stored: telemetry.RangesOf(10, 11, 12), New: recs(12), Duplicates: 2})

	// A record repeated within one batch is stored once.
	res = appendOK(t, s, t0, batch(dev, 13, 13))
	checkResult(t, "repeat in batch", res[0], store.AppendResult{Stored: telemetry.RangesOf(13), New: recs(13), Duplicates: 1})

	checkRecords(t, "Readings", readingsOK(t, s, all(dev)), recs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13))
	checkDevice(t, deviceOK(t, s, dev), store.Device{
		ID: dev, LastSeen: t0, SeqHigh: 13, Missing: ranges(), Received: 13, Duplicates: 10,
	})
}

func testGaps(t *testing.T, open opener) {
	s := open(t)
	const dev = "gappy"
	steps := []struct {
		seqs     []uint64
		new      []uint64
		high     uint64
		missing  telemetry.Ranges
		received uint64
	}{
		{seqs: []uint64{3, 4}, new: []uint64{3, 4}, high: 4, missing: ranges(1, 2), received: 2},
		{seqs: []uint64{1, 2}, new: []uint64{1, 2}, high: 4, missing: ranges(), received: 4},
		{seqs: []uint64{7, 8}, new: []uint64{7, 8}, high: 8, missing: ranges(5, 6), received: 6},
		{seqs: []uint64{12}, new: []uint64{12}, high: 12, missing: ranges(5, 6, 9, 11), received: 7},
		{seqs: []uint64{10}, new: []uint64{10}, high: 12, missing: ranges(5, 6, 9, 9, 11, 11), received: 8},
		{seqs: []uint64{5, 6, 7, 9}, new: []uint64{5, 6, 9}, high: 12, missing: ranges(11, 11), received: 11},
		{seqs: []uint64{11, 12}, new: []uint64{11}, high: 12, missing: ranges(), received: 12},
	}
	dups := uint64(0)
	for i, st := range steps {
		res := appendOK(t, s, t0, batch(dev, st.seqs...))
		checkRecords(t, "step New", res[0].New, recs(st.new...))
		dups += uint64(len(st.seqs) - len(st.new))
		d := deviceOK(t, s, dev)
		if d.SeqHigh != st.high || d.Missing.String() != st.missing.String() || d.Received != st.received || d.Duplicates != dups {
			t.Errorf("after step %d (seqs %v): %s, want high=%d missing=%v received=%d duplicates=%d",
				i, st.seqs, fmtDevice(d), st.high, st.missing, st.received, dups)
		}
	}
	checkRecords(t, "Readings", readingsOK(t, s, all(dev)), recs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12))
}

func testSeveralDevices(t *testing.T, open opener) {
	s := open(t)
	// Ids that share prefixes catch backends that key by string prefix.
	res := appendOK(t, s, t0,
		batch("dev-1", 1, 2),
		batch("dev-10", 5),
		batch("dev-1", 3),
		batch("empty"),
	)
	checkResult(t, "dev-1 batch 0", res[0], store.AppendResult{Stored: telemetry.RangesOf(1, 2), New: recs(1, 2)})
	checkResult(t, "dev-10", res[1], store.AppendResult{Stored: telemetry.RangesOf(5), New: recs(5)})
	checkResult(t, "dev-1 batch 2", res[2], store.AppendResult{Stored: telemetry.RangesOf(3), New: recs(3)})
	checkResult(t, "empty", res[3], store.AppendResult{})

	ds := devicesOK(t, s)
	want := []store.Device{
		{ID: "dev-1", LastSeen: t0, SeqHigh: 3, Missing: ranges(), Received: 3},
		{ID: "dev-10", LastSeen: t0, SeqHigh: 5, Missing: ranges(1, 4), Received: 1},
		{ID: "empty", LastSeen: t0, Missing: ranges()},
	}
	if len(ds) != len(want) {
		t.Fatalf("Devices lists %d devices, want %d", len(ds), len(want))
	}
	for i := range want {
		checkDevice(t, ds[i], want[i])
	}
	checkRecords(t, "dev-1", readingsOK(t, s, all("dev-1")), recs(1, 2, 3))
	checkRecords(t, "dev-10", readingsOK(t, s, all("dev-10")), recs(5))
	checkRecords(t, "empty", readingsOK(t, s, all("empty")), nil)
}

func testInvalid(t *testing.T, open opener) {
	s := open(t)
	zero := batch("ok", 1)
	zero.Records[0].Seq = 0
	condensed := func(first, last uint64) telemetry.Batch {
		return telemetry.Batch{Device: "ok", Condensed: []telemetry.Condensed{block(first, last, agg("s", "q", 0, 1))}}
	}
	tests := []struct {
		name    string
		batches []telemetry.Batch
	}{
		{"bad device id", []telemetry.Batch{batch("ok", 1), batch("no spaces", 1)}},
		{"empty device id", []telemetry.Batch{batch("", 1)}},
		{"seq 0", []telemetry.Batch{batch("ok", 2), zero}},
		{"condensed from 0", []telemetry.Batch{batch("ok", 2), condensed(0, 1)}},
		{"condensed range reversed", []telemetry.Batch{condensed(2, 1)}},
	}
	for _, tc := range tests {
		res, err := s.Append(context.Background(), t0, tc.batches...)
		if !errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrTransient) {
			t.Errorf("%s: Append = %+v, %v; want an error matching store.ErrInvalid only", tc.name, res, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Append(ctx, t0, batch("ok", 1))
	if !errors.Is(err, context.Canceled) || errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrTransient) {
		t.Errorf("Append with a cancelled context: %v, want context.Canceled, neither invalid nor transient", err)
	}
	if ds := devicesOK(t, s); len(ds) != 0 {
		t.Errorf("failed appends stored devices %v", ds)
	}
}

func testLastSeen(t *testing.T, open opener) {
	s := open(t)
	const dev = "seen"
	t1, t2 := t0.Add(time.Minute), t0.Add(2*time.Minute)
	steps := []struct {
		arrived, want time.Time
	}{
		{t1, t1},
		{t2, t2},
		{t1, t2}, // a late caller never moves LastSeen back
	}
	for i, st := range steps {
		appendOK(t, s, st.arrived, batch(dev, uint64(i+1)))
		if d := deviceOK(t, s, dev); !d.LastSeen.Equal(st.want) {
			t.Errorf("step %d: LastSeen = %v, want %v", i, d.LastSeen, st.want)
		}
	}
}

func testConcurrent(t *testing.T, open opener) {
	s := open(t)
	const (
		writers = 8
		seqs    = 50
		per     = 10
	)
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		fresh     = map[uint64]int{}
		dups      int
		condensed uint64
	)
	for range writers {
		wg.Go(func() {
			for first := uint64(1); first <= seqs; first += per {
				b := telemetry.Batch{Device: "shared"}
				for q := first; q < first+per; q++ {
					b.Records = append(b.Records, rec(q))
				}
				if first == 1+seqs-per {
					// The same condensed block from every writer.
					b.Condensed = []telemetry.Condensed{block(seqs+1, seqs+per, agg("s", "q", 0, per))}
				}
				res, err := s.Append(context.Background(), t0, b)
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				mu.Lock()
				for _, r := range res[0].New {
					fresh[r.Seq]++
				}
				dups += res[0].Duplicates
				condensed += res[0].Condensed
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for q := uint64(1); q <= seqs; q++ {
		if fresh[q] != 1 {
			t.Errorf("seq %d was new in %d appends, want exactly 1", q, fresh[q])
		}
	}
	if want := (writers - 1) * (seqs + per); dups != want {
		t.Errorf("appends reported %d duplicates, want %d", dups, want)
	}
	if condensed != per {
		t.Errorf("appends reported %d condensed sequence numbers as new, want %d", condensed, per)
	}
	checkDevice(t, deviceOK(t, s, "shared"), store.Device{
		ID: "shared", LastSeen: t0, SeqHigh: seqs + per, Missing: ranges(), Received: seqs + per,
		Duplicates: (writers - 1) * (seqs + per), Condensed: per,
	})
	checkAggregates(t, "shared", aggregatesOK(t, s, all("shared")), []telemetry.Aggregate{agg("s", "q", 0, per)})

	// Each reading and the block were summed once.
	var sum float64
	for q := uint64(1); q <= seqs; q++ {
		sum += rec(q).Value
	}
	q := store.RollupQuery{Devices: []string{"shared"}, Quantity: telemetry.WaterLevel, From: hour(0), To: hour(1)}
	checkRollups(t, "shared rollups", rollupsOK(t, s, q), []store.Rollup{{Device: "shared", Sensor: "level", Quantity: telemetry.WaterLevel,
		Hour: hour(0), Count: seqs, Sum: sum, Min: rec(1).Value, Max: rec(seqs).Value, Minutes: minutes(0)}})
	q.Quantity = "q"
	checkRollups(t, "shared block's rollups", rollupsOK(t, s, q), []store.Rollup{{Device: "shared", Sensor: "s", Quantity: "q",
		Hour: hour(0), Count: per, Sum: per * (per + 0.25), Min: per, Max: per + 1.5, Minutes: minutes(0)}})
}
