package outbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

func TestEventsGoToTheUrgentLaneWithSharedSequence(t *testing.T) {
	ob := open(t, filepath.Join(t.TempDir(), "outbox.db"))
	ev := telemetry.Reading{Sensor: "edge", Quantity: telemetry.EventTrapped, Value: 1, Time: reading(2).Time}
	if _, err := ob.Append(context.Background(), reading(1), ev, reading(3)); err != nil {
		t.Fatal(err)
	}
	urgent := records(t, ob, Urgent, 0, 0, 10)
	data := records(t, ob, Data, 0, 0, 10)
	if len(urgent) != 1 || urgent[0].Seq != 2 || urgent[0].Quantity != telemetry.EventTrapped {
		t.Fatalf("urgent lane = %+v, want the event as seq 2", urgent)
	}
	if len(data) != 2 || data[0].Seq != 1 || data[1].Seq != 3 {
		t.Fatalf("data lane = %+v, want seqs 1 and 3", data)
	}
	// Pending with an upper bound: (0, 3) holds only seq 1.
	if got := records(t, ob, Data, 0, 3, 10); len(got) != 1 || got[0].Seq != 1 {
		t.Fatalf("Pending(data, 0, 3) = %+v", got)
	}
	if n, err := ob.Ack(telemetry.RangesOf(2)); err != nil || n != 1 {
		t.Fatalf("ack of the event deleted %d (%v)", n, err)
	}
	if st, _ := ob.Stats(); st.UrgentDepth != 0 || st.Depth != 2 {
		t.Fatalf("stats after ack = %+v", st)
	}
}

func TestCondenseKeepsCountsAndSequence(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	var run []telemetry.Record
	for i := 0; i < 150; i++ { // 2.5 minutes of two streams at 1 Hz
		tm := t0.Add(time.Duration(i) * time.Second)
		run = append(run,
			telemetry.Record{Seq: uint64(2*i + 10), Reading: telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM2_5, Value: float64(i), Time: tm}},
			telemetry.Record{Seq: uint64(2*i + 11), Reading: telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM10, Value: 100, Time: tm}})
	}
	c := Condense(run)
	if c.Range != (telemetry.Range{First: 10, Last: 309}) {
		t.Fatalf("range = %v", c.Range)
	}
	want := []telemetry.Aggregate{
		{Sensor: "dust", Quantity: telemetry.PM2_5, Minute: t0, Count: 60, Min: 0, Max: 59, Mean: 29.5},
		{Sensor: "dust", Quantity: telemetry.PM10, Minute: t0, Count: 60, Min: 100, Max: 100, Mean: 100},
		{Sensor: "dust", Quantity: telemetry.PM2_5, Minute: t0.Add(time.Minute), Count: 60, Min: 60, Max: 119, Mean: 89.5},
		{Sensor: "dust", Quantity: telemetry.PM10, Minute: t0.Add(time.Minute), Count: 60, Min: 100, Max: 100, Mean: 100},
		{Sensor: "dust", Quantity: telemetry.PM2_5, Minute: t0.Add(2 * time.Minute), Count: 30, Min: 120, Max: 149, Mean: 134.5},
		{Sensor: "dust", Quantity: telemetry.PM10, Minute: t0.Add(2 * time.Minute), Count: 30, Min: 100, Max: 100, Mean: 100},
	}
	if len(c.Aggregates) != len(want) {
		t.Fatalf("aggregates = %+v", c.Aggregates)
	}
	for i := range want {
		if c.Aggregates[i] != want[i] {
			t.Errorf("aggregate %d = %+v, want %+v", i, c.Aggregates[i], want[i])
		}
	}
}

// Under a small budget, a long outage is condensed rather than dropped:
// the file never passes the budget, every sequence number is still held
// (raw or condensed), leased entries are left raw, and acks of condensed
// blocks delete them.
func TestBudgetCondensesOldestAndFileStaysUnderBudget(t *testing.T) {
	const budget = 2 << 20
	path := filepath.Join(t.TempDir(), "outbox.db")
	ob, err := Open(path, &Opts{Budget: budget})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	// Lease the first 100 readings, as an uplink with a batch in flight would.
	var total uint64
	add := func(n int) {
		rs := make([]telemetry.Reading, n)
		for i := range rs {
			rs[i] = telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM2_5, Value: float64(total % 97), Time: t0.Add(time.Duration(total) * time.Second)}
			total++
		}
		if _, err := ob.Append(ctx, rs...); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() > budget {
			t.Fatalf("after %d readings the file is %d bytes, over the budget of %d", total, fi.Size(), budget)
		}
	}
	add(100)
	if _, err := ob.Pending(Data, 0, 0, 100); err != nil {
		t.Fatal(err)
	}
	for total < 60000 {
		add(500)
	}
	st, err := ob.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Condensed == 0 || st.Depth != total || st.NextSeq != total+1 || st.OverBudget != 0 || st.LastError != "" {
		t.Fatalf("stats = %+v; want condensing, depth %d", st, total)
	}
	t.Logf("after %d readings: %+v", total, st)
	// Walk the lane: raw + condensed covers 1..total exactly, and the
	// leased first 100 are still raw.
	var held telemetry.Ranges
	var raw, condensed uint64
	es, err := ob.Pending(Data, 0, 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		r := e.Range()
		if held.Contains(r.First) || held.Contains(r.Last) {
			t.Fatalf("entry %v overlaps another", r)
		}
		held = held.Add(r)
		if e.Record != nil {
			raw++
			if e.Record.Seq <= 100 {
				continue
			}
		} else {
			condensed += r.Len()
			if r.First <= 100 {
				t.Fatalf("block %v condensed leased readings", r)
			}
			var n uint64
			for _, a := range e.Condensed.Aggregates {
				n += uint64(a.Count)
			}
			if n != r.Len() {
				t.Fatalf("block %v aggregates count %d readings", r, n)
			}
		}
	}
	if held.String() != (telemetry.Ranges{{First: 1, Last: total}}).String() || raw+condensed != total || condensed != st.Condensed {
		t.Fatalf("held %v, raw %d + condensed %d, stats condensed %d; want all of 1-%d", held, raw, condensed, st.Condensed, total)
	}
	// Acking everything empties the outbox, condensed blocks included.
	if n, err := ob.Ack(held); err != nil || n != total {
		t.Fatalf("ack deleted %d (%v), want %d", n, err, total)
	}
	if st, _ := ob.Stats(); st.Depth != 0 || st.OldestSeq != 0 {
		t.Fatalf("after acking all: %+v", st)
	}
}

func TestAckOfPartOfABlockKeepsIt(t *testing.T) {
	ob := open(t, filepath.Join(t.TempDir(), "outbox.db"))
	for i := 0; i < 10; i++ {
		ob.Append(context.Background(), reading(float64(i)))
	}
	if n, err := ob.condenseOldest(10); err != nil || n != 10 {
		t.Fatalf("condensed %d (%v)", n, err)
	}
	if n, _ := ob.Ack(telemetry.Ranges{{First: 1, Last: 5}}); n != 0 {
		t.Fatalf("ack of half a block deleted %d", n)
	}
	if n, _ := ob.Ack(telemetry.Ranges{{First: 1, Last: 10}}); n != 10 {
		t.Fatalf("ack of the whole block deleted %d, want 10", n)
	}
}

func TestCondenseLeavesFaultyAndUnsyncedReadingsRaw(t *testing.T) {
	ob := open(t, filepath.Join(t.TempDir(), "outbox.db"))
	t0 := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	rs := make([]telemetry.Reading, 9)
	for i := range rs {
		rs[i] = telemetry.Reading{Sensor: "well", Quantity: telemetry.WaterLevel, Value: 3, Time: t0.Add(time.Duration(i) * time.Second)}
	}
	rs[3].Quality, rs[3].Value = telemetry.Bad, -2.5 // a broken loop
	rs[6].Flags = telemetry.ClockUnsynced
	if _, err := ob.Append(context.Background(), rs...); err != nil {
		t.Fatal(err)
	}
	if n, err := ob.condenseOldest(100); err != nil || n != 7 {
		t.Fatalf("condensed %d (%v), want the 7 good readings", n, err)
	}
	es, _ := ob.Pending(Data, 0, 0, 100)
	var got []string
	for _, e := range es {
		if e.Record != nil {
			got = append(got, fmt.Sprintf("raw %d", e.Record.Seq))
		} else {
			got = append(got, fmt.Sprintf("block %v min %v", e.Condensed.Range, e.Condensed.Aggregates[0].Min))
		}
	}
	want := "[block 1-3 min 3 raw 4 block 5-6 min 3 raw 7 block 8-9 min 3]"
	if fmt.Sprint(got) != want {
		t.Fatalf("entries = %v, want %s", got, want)
	}
}
