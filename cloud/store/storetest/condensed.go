package storetest

import (
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// flagged returns rec(seq) with flags set.
func flagged(seq uint64, f telemetry.Flags) telemetry.Record {
	r := rec(seq)
	r.Flags = f
	return r
}

func testFlags(t *testing.T, open opener) {
	s := open(t)
	const dev = "flags"
	b := batch(dev, 1, 2, 3, 4)
	b.Records[0].Flags = telemetry.ClockUnsynced
	b.Records[1].Flags = telemetry.ClockCorrected
	b.Records[2].Flags = telemetry.ClockUnsynced | telemetry.ClockCorrected
	b.Records[3].Flags = telemetry.FutureTime // not in the future: the collector's flag is cleared
	want := []telemetry.Record{
		flagged(1, telemetry.ClockUnsynced), flagged(2, telemetry.ClockCorrected),
		flagged(3, telemetry.ClockUnsynced|telemetry.ClockCorrected), rec(4),
	}
	res := appendOK(t, s, t0, b)
	checkResult(t, "flags", res[0], store.AppendResult{Stored: telemetry.RangesOf(1, 2, 3, 4), New: want})
	checkRecords(t, "Readings", readingsOK(t, s, all(dev)), want)
	checkDevice(t, deviceOK(t, s, dev), store.Device{ID: dev, LastSeen: t0, SeqHigh: 4, Missing: ranges(), Received: 4})
}

func testFutureTime(t *testing.T, open opener) {
	s := open(t)
	const dev = "ahead"
	at := func(seq uint64, d time.Duration, f telemetry.Flags) telemetry.Record {
		r := flagged(seq, f)
		r.Time = t0.Add(d)
		return r
	}
	limit := store.DefaultMaxFuture
	sent := []telemetry.Record{
		at(1, limit, 0),                                     // exactly the margin: fine
		at(2, limit+time.Millisecond, 0),                    // beyond it
		at(3, time.Hour, telemetry.ClockUnsynced),           // far beyond, and the device knew its clock was off
		at(4, -time.Hour, 0),                                // the past is never flagged
		at(5, time.Minute, telemetry.FutureTime),            // a device cannot set the collector's flag
		at(6, 2*time.Hour, telemetry.FutureTime),            // nor clear it
		at(7, limit+time.Millisecond, telemetry.FutureTime), // already set and deserved
	}
	want := []telemetry.Record{
		at(1, limit, 0),
		at(2, limit+time.Millisecond, telemetry.FutureTime),
		at(3, time.Hour, telemetry.ClockUnsynced|telemetry.FutureTime),
		at(4, -time.Hour, 0),
		at(5, time.Minute, 0),
		at(6, 2*time.Hour, telemetry.FutureTime),
		at(7, limit+time.Millisecond, telemetry.FutureTime),
	}
	res := appendOK(t, s, t0, telemetry.Batch{Device: dev, Records: sent})
	checkResult(t, "first arrival", res[0], store.AppendResult{Stored: telemetry.RangesOf(1, 2, 3, 4, 5, 6, 7), New: want})
	wantDev := store.Device{ID: dev, LastSeen: t0, SeqHigh: 7, Missing: ranges(), Received: 7, FutureTime: 4}
	checkDevice(t, deviceOK(t, s, dev), wantDev)

	// A re-send is a duplicate, counted once, however far ahead it is.
	res = appendOK(t, s, t0, telemetry.Batch{Device: dev, Records: sent})
	checkResult(t, "re-send", res[0], store.AppendResult{Stored: telemetry.RangesOf(1, 2, 3, 4, 5, 6, 7), Duplicates: 7})
	wantDev.Duplicates = 7
	checkDevice(t, deviceOK(t, s, dev), wantDev)

	// The margin is measured from each batch's arrival.
	late := at(8, time.Hour, 0)
	res = appendOK(t, s, t0.Add(56*time.Minute), telemetry.Batch{Device: dev, Records: []telemetry.Record{late}})
	checkResult(t, "later arrival", res[0], store.AppendResult{Stored: telemetry.RangesOf(8), New: []telemetry.Record{late}})
	wantDev.LastSeen, wantDev.SeqHigh, wantDev.Received = t0.Add(56*time.Minute), 8, 8
	checkDevice(t, deviceOK(t, s, dev), wantDev)

	q := store.ReadingQuery{Device: dev, From: t0.Add(-2 * time.Hour), To: t0.Add(3 * time.Hour)}
	checkRecords(t, "Readings", readingsOK(t, s, q), []telemetry.Record{want[3], want[4], want[0], want[1], want[6], want[2], late, want[5]})
}

func testReplayed(t *testing.T, open opener) {
	s := open(t)
	const dev = "backlog"
	replay := func(seqs ...uint64) telemetry.Batch {
		b := batch(dev, seqs...)
		b.Replay = true
		return b
	}
	condensed := replay()
	condensed.Condensed = []telemetry.Condensed{block(8, 9, agg("level", telemetry.WaterLevel, 0, 2))}
	steps := []struct {
		name    string
		batches []telemetry.Batch
		want    store.Device
	}{
		{"live", []telemetry.Batch{batch(dev, 1, 2)},
			store.Device{SeqHigh: 2, Received: 2}},
		{"replay with a duplicate", []telemetry.Batch{replay(2, 3, 4)},
			store.Device{SeqHigh: 4, Received: 4, Replayed: 2, Duplicates: 1}},
		{"replay re-sent", []telemetry.Batch{replay(3, 4, 5)},
			store.Device{SeqHigh: 5, Received: 5, Replayed: 3, Duplicates: 3}},
		{"live then replay in one call", []telemetry.Batch{batch(dev, 6), replay(6, 7)},
			store.Device{SeqHigh: 7, Received: 7, Replayed: 4, Duplicates: 4}},
		{"live re-send of replayed records", []telemetry.Batch{batch(dev, 7)},
			store.Device{SeqHigh: 7, Received: 7, Replayed: 4, Duplicates: 5}},
		{"condensed blocks are counted as condensed, not replayed", []telemetry.Batch{condensed},
			store.Device{SeqHigh: 9, Received: 9, Replayed: 4, Duplicates: 5, Condensed: 2}},
	}
	for _, st := range steps {
		appendOK(t, s, t0, st.batches...)
		st.want.ID, st.want.LastSeen, st.want.Missing = dev, t0, ranges()
		t.Run(st.name, func(t *testing.T) { checkDevice(t, deviceOK(t, s, dev), st.want) })
	}
	checkRecords(t, "Readings", readingsOK(t, s, all(dev)), recs(1, 2, 3, 4, 5, 6, 7))
}

// agg is an aggregate of minute t0+m minutes whose values follow from
// count.
func agg(sensor string, q telemetry.Quantity, m int, count uint32) telemetry.Aggregate {
	c := float64(count)
	return telemetry.Aggregate{Sensor: sensor, Quantity: q, Minute: t0.Add(time.Duration(m) * time.Minute),
		Count: count, Min: c, Max: c + 1.5, Mean: c + 0.25}
}

func block(first, last uint64, aggs ...telemetry.Aggregate) telemetry.Condensed {
	return telemetry.Condensed{Range: telemetry.Range{First: first, Last: last}, Aggregates: aggs}
}

// condensedFixture is what testCondensed stores: blocks 3-7, 12-20 and
// 9-11 (the last overlapping records 9 and 10, stored raw before it).
var (
	aggA0 = agg("level", telemetry.WaterLevel, 0, 3)
	aggA1 = agg("dust", telemetry.PM10, 0, 2)
	aggB0 = agg("level", telemetry.WaterLevel, 2, 4)
	aggB1 = agg("level", telemetry.WaterLevel, 1, 5)
	aggC0 = agg("level", telemetry.WaterLevel, 1, 3)
)

func storeCondensed(t *testing.T, s store.Store, dev string) {
	t.Helper()
	b1 := batch(dev, 1, 2, 8)
	b1.Condensed = []telemetry.Condensed{block(3, 7, aggA0, aggA1)}
	b2 := telemetry.Batch{Device: dev, Condensed: []telemetry.Condensed{block(12, 20, aggB0, aggB1)}}
	b4 := telemetry.Batch{Device: dev, Condensed: []telemetry.Condensed{block(9, 11, aggC0)}}
	steps := []struct {
		name  string
		batch telemetry.Batch
		res   store.AppendResult
		dev   store.Device
	}{
		{"records and a block", b1,
			store.AppendResult{Stored: ranges(1, 8), New: recs(1, 2, 8), Condensed: 5},
			store.Device{SeqHigh: 8, Missing: ranges(), Received: 8, Condensed: 5}},
		{"a block alone", b2,
			store.AppendResult{Stored: ranges(12, 20), Condensed: 9},
			store.Device{SeqHigh: 20, Missing: ranges(9, 11), Received: 17, Condensed: 14}},
		{"a block re-sent", b2,
			store.AppendResult{Stored: ranges(12, 20), Duplicates: 9},
			store.Device{SeqHigh: 20, Missing: ranges(9, 11), Received: 17, Condensed: 14, Duplicates: 9}},
		{"records before their block", batch(dev, 9, 10),
			store.AppendResult{Stored: ranges(9, 10), New: recs(9, 10)},
			store.Device{SeqHigh: 20, Missing: ranges(11, 11), Received: 19, Condensed: 14, Duplicates: 9}},
		{"a block overlapping stored records", b4,
			store.AppendResult{Stored: ranges(9, 11), Condensed: 1, Duplicates: 2},
			store.Device{SeqHigh: 20, Missing: ranges(), Received: 20, Condensed: 15, Duplicates: 11}},
	}
	for _, st := range steps {
		res := appendOK(t, s, t0, st.batch)
		checkResult(t, st.name, res[0], st.res)
		st.dev.ID, st.dev.LastSeen = dev, t0
		checkDevice(t, deviceOK(t, s, dev), st.dev)
	}
}

func testCondensed(t *testing.T, open opener) {
	s := open(t)
	storeCondensed(t, s, "cond")
	checkRecords(t, "Readings", readingsOK(t, s, all("cond")), recs(1, 2, 8, 9, 10))
	// The re-sent block was not stored twice; the overlapping one was kept.
	checkAggregates(t, "Aggregates", aggregatesOK(t, s, all("cond")), []telemetry.Aggregate{aggA0, aggA1, aggC0, aggB1, aggB0})

	// Two blocks of one device in one call, the second repeating part of
	// the first, beside another device's.
	res := appendOK(t, s, t0,
		telemetry.Batch{Device: "pair", Condensed: []telemetry.Condensed{block(1, 2, aggA1), block(5, 5, agg("s", "q", 0, 1))}},
		telemetry.Batch{Device: "pair-2", Condensed: []telemetry.Condensed{block(1, 3, aggA0)}},
		telemetry.Batch{Device: "pair", Condensed: []telemetry.Condensed{block(2, 3, agg("s", "q", 0, 2))}},
	)
	checkResult(t, "pair 0", res[0], store.AppendResult{Stored: ranges(1, 2, 5, 5), Condensed: 3})
	checkResult(t, "pair-2", res[1], store.AppendResult{Stored: ranges(1, 3), Condensed: 3})
	checkResult(t, "pair 1", res[2], store.AppendResult{Stored: ranges(2, 3), Condensed: 1, Duplicates: 1})
	checkDevice(t, deviceOK(t, s, "pair"), store.Device{ID: "pair", LastSeen: t0, SeqHigh: 5, Missing: ranges(4, 4),
		Received: 4, Condensed: 4, Duplicates: 1})
	checkDevice(t, deviceOK(t, s, "pair-2"), store.Device{ID: "pair-2", LastSeen: t0, SeqHigh: 3, Missing: ranges(),
		Received: 3, Condensed: 3})
	checkAggregates(t, "pair", aggregatesOK(t, s, all("pair")), []telemetry.Aggregate{aggA1, agg("s", "q", 0, 2), agg("s", "q", 0, 1)})
	checkAggregates(t, "pair-2", aggregatesOK(t, s, all("pair-2")), []telemetry.Aggregate{aggA0})
}

func testAggregates(t *testing.T, open opener) {
	s := open(t)
	const dev = "agg"
	storeCondensed(t, s, dev)
	appendOK(t, s, t0, batch("raw-only", 1))
	m := func(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }
	tests := []struct {
		name     string
		device   string
		from, to time.Time
		limit    int
		want     []telemetry.Aggregate
	}{
		{"by minute, then block, then the device's order", dev, m(-60), m(60), 0, []telemetry.Aggregate{aggA0, aggA1, aggC0, aggB1, aggB0}},
		{"from is inclusive, to exclusive", dev, m(1), m(2), 0, []telemetry.Aggregate{aggC0, aggB1}},
		{"from just after", dev, m(1).Add(time.Millisecond), m(60), 0, []telemetry.Aggregate{aggB0}},
		{"to just after", dev, m(-60), m(1).Add(1), 0, []telemetry.Aggregate{aggA0, aggA1, aggC0, aggB1}},
		{"limit", dev, m(-60), m(60), 3, []telemetry.Aggregate{aggA0, aggA1, aggC0}},
		{"empty range", dev, m(1), m(1), 0, nil},
		{"from after to", dev, m(60), m(-60), 0, nil},
		{"device without aggregates", "raw-only", m(-60), m(60), 0, nil},
		{"unknown device", "nobody", m(-60), m(60), 0, nil},
	}
	for _, tc := range tests {
		got := aggregatesOK(t, s, store.ReadingQuery{Device: tc.device, From: tc.from, To: tc.to, Limit: tc.limit})
		checkAggregates(t, tc.name, got, tc.want)
	}
}
