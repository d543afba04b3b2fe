package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

func sampleEntry() journalEntry {
	at := time.Date(2026, 7, 1, 8, 30, 0, 0, time.UTC)
	return journalEntry{
		arrived:     at.Add(1234 * time.Nanosecond),
		futureAfter: at.Add(5*time.Minute + 1234*time.Nanosecond),
		batch: telemetry.Batch{Device: "river-07", Incarnation: 0xfeedface, Replay: true,
			Records: []telemetry.Record{
				{Seq: 41, Reading: telemetry.Reading{Sensor: "level", Quantity: telemetry.WaterLevel, Value: 3.25, Time: at.Add(-time.Minute), Quality: telemetry.Good}},
				{Seq: 42, Reading: telemetry.Reading{Sensor: "level", Quantity: telemetry.WaterLevel, Value: -1, Time: time.Date(1969, 12, 31, 23, 59, 59, 999_000_000, time.UTC),
					Quality: telemetry.Suspect, Flags: telemetry.ClockUnsynced}},
			},
			Condensed: []telemetry.Condensed{{Range: telemetry.Range{First: 43, Last: 50}, Aggregates: []telemetry.Aggregate{
				{Sensor: "level", Quantity: telemetry.WaterLevel, Minute: at.Truncate(time.Minute), Count: 8, Min: 1, Max: 2, Mean: 1.5},
				{Sensor: "rain", Quantity: "rain_mm", Minute: at.Truncate(time.Minute), Count: 0},
			}}, {Range: telemetry.Range{First: 51, Last: 51}}},
		},
	}
}

func TestJournalEntryRoundTrip(t *testing.T) {
	e := sampleEntry()
	got, err := decodeEntry(appendEntry(nil, e))
	if err != nil {
		t.Fatal(err)
	}
	if !got.arrived.Equal(e.arrived) || !got.futureAfter.Equal(e.futureAfter) {
		t.Fatalf("times %v, %v; want %v, %v", got.arrived, got.futureAfter, e.arrived, e.futureAfter)
	}
	// Times come back in UTC to the millisecond, as the indexes keep them.
	want := e.batch
	for i := range want.Records {
		want.Records[i].Time = time.UnixMilli(want.Records[i].Time.UnixMilli()).UTC()
	}
	if !reflect.DeepEqual(got.batch, want) {
		t.Fatalf("batch\n got %+v\nwant %+v", got.batch, want)
	}
	// An empty batch (Append takes one) round-trips too.
	empty := journalEntry{arrived: e.arrived, futureAfter: e.futureAfter, batch: telemetry.Batch{Device: "d"}}
	if got, err := decodeEntry(appendEntry(nil, empty)); err != nil || !reflect.DeepEqual(got.batch, empty.batch) {
		t.Fatalf("empty batch: %+v, %v", got.batch, err)
	}
}

func TestJournalEntryCorrupt(t *testing.T) {
	enc := appendEntry(nil, sampleEntry())
	for n := range len(enc) {
		if _, err := decodeEntry(enc[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("entry cut to %d of %d bytes: %v, want ErrCorrupt", n, len(enc), err)
		}
	}
	if _, err := decodeEntry(append(enc, 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("entry with a byte more: %v, want ErrCorrupt", err)
	}
}

// FuzzDecodeEntry checks that no bytes make decodeEntry panic, and that
// what it accepts encodes back to bytes it decodes the same.
func FuzzDecodeEntry(f *testing.F) {
	f.Add(appendEntry(nil, sampleEntry()))
	f.Add(appendEntry(nil, journalEntry{batch: telemetry.Batch{Device: "d"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b)
		if err != nil {
			return
		}
		again := appendEntry(nil, e)
		e2, err := decodeEntry(again)
		if err != nil {
			t.Fatalf("re-encoded entry does not decode: %v", err)
		}
		if !bytes.Equal(appendEntry(nil, e2), again) {
			t.Fatal("entry does not round-trip")
		}
	})
}

// openUncompacted opens a store in a test directory whose compactor's
// turns are a day apart, so that only the test compacts, and returns it
// with a time and the batch of one water-level reading, seq, of a device
// at that time plus seq seconds.
func openUncompacted(t *testing.T) (db *DB, at time.Time, level func(device string, seq uint64) telemetry.Batch) {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "c.db"), &Opts{CompactEvery: 24 * time.Hour * journalParts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	at = time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)
	return db, at, func(device string, seq uint64) telemetry.Batch {
		return telemetry.Batch{Device: device, Records: []telemetry.Record{{Seq: seq, Reading: telemetry.Reading{
			Sensor: "level", Quantity: telemetry.WaterLevel, Value: float64(seq), Time: at.Add(time.Duration(seq) * time.Second)}}}}
	}
}

// TestCompactPartOfAPartition checks a compaction that moves only the
// head of a partition (a backlog larger than maxCompact): the moved
// batches are in the indexes, the rest stay journaled in order, and a
// later compaction moves them.
func TestCompactPartOfAPartition(t *testing.T) {
	ctx := context.Background()
	db, at, level := openUncompacted(t)
	for seq := uint64(1); seq <= 5; seq++ {
		if _, err := db.Append(ctx, at, level("gauge", seq)); err != nil {
			t.Fatal(err)
		}
	}
	p := partOf("gauge")
	db.mu.Lock()
	n, err := db.compact(p, 2)
	pending := len(db.pending[p])
	db.mu.Unlock()
	if err != nil || n != 2 || pending != 3 {
		t.Fatalf("compact(limit 2) = %d, %v; pending %d; want 2 moved, 3 pending", n, err, pending)
	}
	stored := func() (indexed []uint64, journaled []uint64) {
		db.bdb.View(func(tx *bbolt.Tx) error {
			if b := tx.Bucket(bucketReadings).Bucket([]byte("gauge")); b != nil {
				b.ForEach(func(k, v []byte) error {
					r, _ := decodeRecord(k, v)
					indexed = append(indexed, r.Seq)
					return nil
				})
			}
			tx.Bucket(bucketJournal).ForEach(func(_, v []byte) error {
				e, _ := decodeEntry(v)
				journaled = append(journaled, e.batch.Records[0].Seq)
				return nil
			})
			return nil
		})
		return indexed, journaled
	}
	// The head no partition needs is deleted with the compaction.
	if idx, jr := stored(); !reflect.DeepEqual(idx, []uint64{1, 2}) || !reflect.DeepEqual(jr, []uint64{3, 4, 5}) {
		t.Fatalf("after compacting 2: indexed %v, journaled %v; want [1 2], [3 4 5]", idx, jr)
	}
	got, err := db.Readings(ctx, store.ReadingQuery{Device: "gauge", From: at, To: at.Add(time.Minute)})
	if err != nil || len(got) != 5 {
		t.Fatalf("Readings = %d records, %v; want 5", len(got), err)
	}
	if idx, jr := stored(); !reflect.DeepEqual(idx, []uint64{1, 2, 3, 4, 5}) || jr != nil {
		t.Fatalf("after a read: indexed %v, journaled %v; want all indexed, none journaled", idx, jr)
	}
}

// TestSettleLetsAppendsThrough: a read of many devices (a district's
// compliance) settles many partitions. It must take db.mu for one
// compaction at a time, so that ingest's commits go on between them, and
// it must settle what was journaled before it began, not chase what is
// journaled while it runs.
func TestSettleLetsAppendsThrough(t *testing.T) {
	ctx := context.Background()
	db, at, batch := openUncompacted(t)
	var devices []string
	parts := map[part]bool{}
	for i := 0; len(parts) < 20; i++ {
		id := fmt.Sprintf("gauge-%d", i)
		if parts[partOf(id)] {
			continue
		}
		parts[partOf(id)] = true
		devices = append(devices, id)
		if _, err := db.Append(ctx, at, batch(id, 1)); err != nil {
			t.Fatal(err)
		}
	}
	var compactions, appended int
	db.settled = func(part) {
		compactions++
		if !db.mu.TryLock() {
			t.Fatal("settle holds db.mu between its compactions")
		}
		db.mu.Unlock()
		// A commit between two compactions, to every device: the later
		// partitions then hold batches journaled after settle began.
		for _, id := range devices {
			if _, err := db.Append(ctx, at, batch(id, uint64(compactions)+1)); err != nil {
				t.Fatal(err)
			}
			appended++
		}
	}
	if err := db.settle(devices...); err != nil {
		t.Fatal(err)
	}
	db.settled = nil
	if compactions != len(devices) {
		t.Fatalf("settle made %d compactions of %d partitions; want one each", compactions, len(devices))
	}
	db.mu.Lock()
	var left int
	for p := range parts {
		left += len(db.pending[p])
	}
	db.mu.Unlock()
	// Each partition was compacted once, with all it held then: the
	// batches appended at its turn and after are still journaled.
	want := 0
	for i := range devices {
		want += len(devices) - i
	}
	if left != want {
		t.Fatalf("%d batches left in the journal, want %d (appended during settle: %d)", left, want, appended)
	}
}
