package bolt_test

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/telemetry"
)

// schema1 writes a schema 1 file byte for byte as the schema 1 build did:
// device river-1 with records 1 and 3 and one duplicate, last seen at
// 2026-03-01T08:00:00Z.
func schema1(tx *bbolt.Tx) error {
	meta, err := tx.CreateBucket([]byte("meta"))
	if err != nil {
		return err
	}
	if err := meta.Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, 1)); err != nil {
		return err
	}
	for _, name := range []string{"devices", "readings", "alerts"} {
		if _, err := tx.CreateBucket([]byte(name)); err != nil {
			return err
		}
	}
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	state := binary.BigEndian.AppendUint64(nil, uint64(at.UnixMicro()))
	state = append(state, 1, 2, 1, 0, 2, 0) // 1 duplicate; ranges {1}, {3}
	if err := tx.Bucket([]byte("devices")).Put([]byte("river-1"), state); err != nil {
		return err
	}
	rb, err := tx.Bucket([]byte("readings")).CreateBucket([]byte("river-1"))
	if err != nil {
		return err
	}
	for _, seq := range []uint64{1, 3} {
		key := binary.BigEndian.AppendUint64(nil, uint64(at.UnixMilli()+int64(seq)*1000)^1<<63)
		key = binary.BigEndian.AppendUint64(key, seq)
		val := binary.BigEndian.AppendUint64([]byte{0}, 0x400c000000000000) // good, 3.5
		val = append(val, 5, 'l', 'e', 'v', 'e', 'l', 11)
		val = append(val, "water_level"...)
		if err := rb.Put(key, val); err != nil {
			return err
		}
	}
	return nil
}

func TestMigrateSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Update(schema1); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatalf("Open of a schema 1 file: %v", err)
	}
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	devs, err := db.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Device{{ID: "river-1", LastSeen: at, SeqHigh: 3, Missing: telemetry.Ranges{{First: 2, Last: 2}}, Received: 2, Duplicates: 1,
		Incarnations: 1}}
	if !reflect.DeepEqual(devs, want) {
		t.Errorf("migrated devices = %+v, want %+v", devs, want)
	}
	rec := func(seq uint64, flags telemetry.Flags) telemetry.Record {
		return telemetry.Record{Seq: seq, Reading: telemetry.Reading{Sensor: "level", Quantity: telemetry.WaterLevel, Value: 3.5,
			Time: at.Add(time.Duration(seq) * time.Second), Flags: flags}}
	}
	q := store.ReadingQuery{Device: "river-1", From: at, To: at.Add(time.Hour)}
	if got, err := db.Readings(ctx, q); err != nil || !reflect.DeepEqual(got, []telemetry.Record{rec(1, 0), rec(3, 0)}) {
		t.Errorf("migrated readings = %+v, %v", got, err)
	}

	// The migrated file takes what schema 2 adds.
	agg := telemetry.Aggregate{Sensor: "level", Quantity: telemetry.WaterLevel, Minute: at, Count: 1, Min: 3, Max: 3, Mean: 3}
	_, err = db.Append(ctx, at.Add(time.Minute), telemetry.Batch{Device: "river-1", Replay: true,
		Records:   []telemetry.Record{rec(4, telemetry.ClockCorrected)},
		Condensed: []telemetry.Condensed{{Range: telemetry.Range{First: 2, Last: 2}, Aggregates: []telemetry.Aggregate{agg}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	raw, err = bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket([]byte("meta")).Get([]byte("schema")); binary.BigEndian.Uint32(v) != bolt.SchemaVersion {
			t.Errorf("schema after migration = %x, want %d", v, bolt.SchemaVersion)
		}
		return nil
	})
	raw.Close()

	db, err = bolt.Open(path, nil)
	if err != nil {
		t.Fatalf("reopen after migration: %v", err)
	}
	defer db.Close()
	devs, err = db.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want = []store.Device{{ID: "river-1", LastSeen: at.Add(time.Minute), SeqHigh: 4, Missing: telemetry.Ranges{}, Received: 4,
		Duplicates: 1, Condensed: 1, Replayed: 1, Incarnations: 1}}
	if !reflect.DeepEqual(devs, want) {
		t.Errorf("devices after migration and append = %+v, want %+v", devs, want)
	}
	if got, err := db.Readings(ctx, q); err != nil || !reflect.DeepEqual(got, []telemetry.Record{rec(1, 0), rec(3, 0), rec(4, telemetry.ClockCorrected)}) {
		t.Errorf("readings after migration and append = %+v, %v", got, err)
	}
	if got, err := db.Aggregates(ctx, q); err != nil || !reflect.DeepEqual(got, []telemetry.Aggregate{agg}) {
		t.Errorf("aggregates after migration and append = %+v, %v", got, err)
	}
}

// schema2 writes a schema 2 file byte for byte as the schema 2 build did:
// schema 1's river-1, plus the aggregates bucket and the schema 2 counts
// (condensed 0, replayed 2, future time 1) after its received set.
func schema2(tx *bbolt.Tx) error {
	if err := schema1(tx); err != nil {
		return err
	}
	if _, err := tx.CreateBucket([]byte("aggregates")); err != nil {
		return err
	}
	if err := tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, 2)); err != nil {
		return err
	}
	devices := tx.Bucket([]byte("devices"))
	state := append(append([]byte(nil), devices.Get([]byte("river-1"))...), 0, 2, 1)
	return devices.Put([]byte("river-1"), state)
}

// TestMigrateSchema2 checks that a schema 2 file's device keeps its
// numbering when its outbox first names an incarnation (the agent was
// upgraded in place), and restarts it for the next one (a new board).
func TestMigrateSchema2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Update(schema2); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatalf("Open of a schema 2 file: %v", err)
	}
	defer db.Close()
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	devs, err := db.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Device{{ID: "river-1", LastSeen: at, SeqHigh: 3, Missing: telemetry.Ranges{{First: 2, Last: 2}}, Received: 2, Duplicates: 1,
		Replayed: 2, FutureTime: 1, Incarnations: 1}}
	if !reflect.DeepEqual(devs, want) {
		t.Fatalf("migrated devices = %+v, want %+v", devs, want)
	}
	// The migration summed the stored readings into rollups.
	wantRollups := []store.Rollup{{Device: "river-1", Sensor: "level", Quantity: telemetry.WaterLevel, Hour: at,
		Count: 2, Sum: 7, Min: 3.5, Max: 3.5, Minutes: 1}}
	if got := allRollups(t, db); !reflect.DeepEqual(got, wantRollups) {
		t.Errorf("migrated rollups = %+v, want %+v", got, wantRollups)
	}
	rec := func(seq uint64, at time.Time) telemetry.Record {
		return telemetry.Record{Seq: seq, Reading: telemetry.Reading{Sensor: "level", Quantity: telemetry.WaterLevel, Value: 3.5,
			Time: at.Add(time.Duration(seq) * time.Second)}}
	}
	// The upgraded agent's outbox names its incarnation: seq 3 is a re-send.
	res, err := db.Append(ctx, at, telemetry.Batch{Device: "river-1", Incarnation: 7, Records: []telemetry.Record{rec(2, at), rec(3, at)}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Duplicates != 1 || len(res[0].New) != 1 || res[0].Stale {
		t.Errorf("first batch with an incarnation = %+v, want seq 2 new and seq 3 a duplicate", res[0])
	}
	// A new board: seq 1 at a time schema 2's seq 1 had, and kept beside it.
	if _, err := db.Append(ctx, at, telemetry.Batch{Device: "river-1", Incarnation: 8, Records: []telemetry.Record{rec(1, at)}}); err != nil {
		t.Fatal(err)
	}
	devs, err = db.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want = []store.Device{{ID: "river-1", LastSeen: at, SeqHigh: 1, Missing: telemetry.Ranges{}, Received: 1, Duplicates: 2,
		Replayed: 2, FutureTime: 1, Incarnation: 8, Incarnations: 2, PreviousReceived: 3}}
	if !reflect.DeepEqual(devs, want) {
		t.Errorf("devices after a new incarnation = %+v, want %+v", devs, want)
	}
	q := store.ReadingQuery{Device: "river-1", From: at, To: at.Add(time.Hour)}
	if got, err := db.Readings(ctx, q); err != nil || !reflect.DeepEqual(got, []telemetry.Record{rec(1, at), rec(1, at), rec(2, at), rec(3, at)}) {
		t.Errorf("readings = %+v, %v; want seq 1 of both outboxes, 2 and 3", got, err)
	}
}

// downgrade turns the store at path into the schema 3 file a schema 3
// build would have written with the same calls: schema 4 changed no
// encoding, it added the rollups and notification buckets.
func downgrade(t *testing.T, path string, alter func(*bbolt.Tx) error) {
	t.Helper()
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	err = raw.Update(func(tx *bbolt.Tx) error {
		if k, _ := tx.Bucket([]byte("journal")).Cursor().First(); k != nil {
			t.Fatal("downgrade: the journal holds batches; compact first")
		}
		for _, name := range []string{"rollups", "notifications", "notify_due", "journal", "journal_marks"} {
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		if err := tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, 3)); err != nil {
			return err
		}
		return alter(tx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// allRollups lists every rollup of the quantities the migration tests use.
func allRollups(t *testing.T, db *bolt.DB) []store.Rollup {
	t.Helper()
	var out []store.Rollup
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for _, q := range []telemetry.Quantity{telemetry.WaterLevel, telemetry.PM10, "q"} {
		rs, err := db.Rollups(context.Background(), store.RollupQuery{Quantity: q, From: at.Add(-24 * time.Hour), To: at.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rs...)
	}
	return out
}

// fillSchema3 appends, through this build, what a schema 3 build stored
// the same way: records of every quality and flag, in two hours, of
// three outboxes of one device (one of them stale), condensed blocks and
// re-sends, and another device.
func fillSchema3(t *testing.T, db *bolt.DB) {
	t.Helper()
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	r := func(seq uint64, sensor string, q telemetry.Quantity, v float64, d time.Duration) telemetry.Record {
		return telemetry.Record{Seq: seq, Reading: telemetry.Reading{Sensor: sensor, Quantity: q, Value: v, Time: at.Add(d)}}
	}
	a := func(sensor string, q telemetry.Quantity, minute int, count uint32) telemetry.Aggregate {
		c := float64(count)
		return telemetry.Aggregate{Sensor: sensor, Quantity: q, Minute: at.Add(time.Duration(minute) * time.Minute), Count: count,
			Min: c, Max: c + 1, Mean: c + 0.5}
	}
	suspect, unsynced, future := r(4, "level", telemetry.WaterLevel, 50, 3*time.Minute), r(5, "level", telemetry.WaterLevel, 60, 4*time.Minute),
		r(6, "level", telemetry.WaterLevel, 70, 3*time.Hour)
	suspect.Quality, unsynced.Flags = telemetry.Suspect, telemetry.ClockUnsynced
	first := telemetry.Batch{Device: "north", Incarnation: 1, Records: []telemetry.Record{
		r(1, "level", telemetry.WaterLevel, 1.5, 0), r(2, "level", telemetry.WaterLevel, 2.25, 61*time.Minute),
		r(3, "dust", telemetry.PM10, 40, 2*time.Minute), suspect, unsynced, future,
	}, Condensed: []telemetry.Condensed{{Range: telemetry.Range{First: 7, Last: 9},
		Aggregates: []telemetry.Aggregate{a("level", telemetry.WaterLevel, 59, 2), a("level", telemetry.WaterLevel, 60, 1), a("s", "q", 0, 3)}}}}
	second := telemetry.Batch{Device: "north", Incarnation: 2, Records: []telemetry.Record{r(1, "level", telemetry.WaterLevel, 3.5, time.Second)}}
	stale := telemetry.Batch{Device: "north", Incarnation: 1, Records: []telemetry.Record{r(1, "level", telemetry.WaterLevel, 1.5, 0),
		r(10, "level", telemetry.WaterLevel, 0.75, 10*time.Minute)}}
	south := telemetry.Batch{Device: "south", Records: []telemetry.Record{r(1, "level", telemetry.WaterLevel, 9, 30*time.Minute)}}
	for _, bs := range [][]telemetry.Batch{{first, south}, {first}, {second}, {stale, south}} {
		if _, err := db.Append(context.Background(), at.Add(time.Hour), bs...); err != nil {
			t.Fatal(err)
		}
	}
	// A schema 3 file has no journal: everything in the indexes.
	if err := db.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateSchema3 checks that the migration to schema 4 builds the
// rollups Append would have built, once.
func TestMigrateSchema3(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	fillSchema3(t, db)
	want := allRollups(t, db)
	db.Close()
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	// Records 1 (both outboxes'), 10 and aggregate 59 in hour 8; record 2
	// and aggregate 60 in hour 9; not the suspect, unsynced or future ones.
	level8 := store.Rollup{Device: "north", Sensor: "level", Quantity: telemetry.WaterLevel, Hour: at,
		Count: 5, Sum: 1.5 + 3.5 + 0.75 + 5, Min: 0.75, Max: 3.5, Minutes: 1<<0 | 1<<10 | 1<<59}
	if len(want) != 5 || want[0] != level8 {
		t.Fatalf("rollups before the migration = %+v, want 5, the first %+v", want, level8)
	}
	downgrade(t, path, func(*bbolt.Tx) error { return nil })

	db, err = bolt.Open(path, nil)
	if err != nil {
		t.Fatalf("Open of a schema 3 file: %v", err)
	}
	if got := allRollups(t, db); !reflect.DeepEqual(got, want) {
		t.Errorf("rollups after the migration = %+v, want %+v", got, want)
	}
	// The migrated file takes what schema 4 adds.
	ctx := context.Background()
	more := telemetry.Batch{Device: "south", Records: []telemetry.Record{{Seq: 2, Reading: telemetry.Reading{
		Sensor: "level", Quantity: telemetry.WaterLevel, Value: 1, Time: at.Add(31 * time.Minute)}}}}
	if _, err := db.Append(ctx, at.Add(time.Hour), more); err != nil {
		t.Fatal(err)
	}
	south := &want[2] // water level: north's two hours, then south's
	south.Count, south.Sum, south.Min, south.Minutes = 2, 10, 1, 1<<30|1<<31
	note := store.Notification{Channel: "webhook", Key: "k", Created: at}
	if err := db.Enqueue(ctx, note); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = bolt.Open(path, nil)
	if err != nil {
		t.Fatalf("reopen after migration: %v", err)
	}
	defer db.Close()
	if got := allRollups(t, db); !reflect.DeepEqual(got, want) {
		t.Errorf("rollups after the migration, an append and a reopen = %+v, want %+v", got, want)
	}
	if got, err := db.Due(ctx, at, 10); err != nil || len(got) != 1 || got[0].Key != "k" {
		t.Errorf("Due after the migration = %+v, %v; want the enqueued message", got, err)
	}
}

// TestMigrateSchema3Corrupt checks that a migration that fails leaves the
// schema 3 file as it was.
func TestMigrateSchema3Corrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	fillSchema3(t, db)
	db.Close()
	downgrade(t, path, func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("readings")).Bucket([]byte("south"))
		k, _ := b.Cursor().First()
		return b.Put(k, []byte{0, 1, 2})
	})
	if db, err := bolt.Open(path, nil); err == nil || !errors.Is(err, bolt.ErrCorrupt) || !strings.Contains(err.Error(), "schema version 3 to 6") {
		if err == nil {
			db.Close()
		}
		t.Fatalf("Open of a schema 3 file with a corrupt reading = %v, want ErrCorrupt from the migration", err)
	}
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket([]byte("meta")).Get([]byte("schema")); binary.BigEndian.Uint32(v) != 3 {
			t.Errorf("schema after a failed migration = %x, want 3", v)
		}
		if tx.Bucket([]byte("rollups")) != nil {
			t.Error("a failed migration left a rollups bucket")
		}
		return nil
	})
}

// TestMigrateSchema5 checks that a schema 5 file (no journal) opens as
// schema 6 with its data, and takes and replays journaled batches.
func TestMigrateSchema5(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := bolt.Open(path, &bolt.Opts{NoJournal: true})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	rec := func(seq uint64) telemetry.Record {
		return telemetry.Record{Seq: seq, Reading: telemetry.Reading{Sensor: "level", Quantity: telemetry.WaterLevel,
			Value: float64(seq), Time: at.Add(time.Duration(seq) * time.Second)}}
	}
	if _, err := db.Append(ctx, at, telemetry.Batch{Device: "gauge", Incarnation: 9, Records: []telemetry.Record{rec(1), rec(2)}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{"journal", "journal_marks"} {
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, 5))
	})
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}

	if db, err = bolt.Open(path, nil); err != nil {
		t.Fatalf("Open of a schema 5 file: %v", err)
	}
	res, err := db.Append(ctx, at, telemetry.Batch{Device: "gauge", Incarnation: 9, Records: []telemetry.Record{rec(2), rec(3)}})
	if err != nil || res[0].Duplicates != 1 || len(res[0].New) != 1 {
		t.Fatalf("Append after the migration = %+v, %v; want seq 2 a duplicate and 3 new", res, err)
	}
	db.Close() // seq 3 is in the journal only
	if db, err = bolt.Open(path, nil); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	devs, err := db.Devices(ctx)
	if err != nil || len(devs) != 1 || devs[0].SeqHigh != 3 || devs[0].Received != 3 || devs[0].Duplicates != 1 {
		t.Fatalf("Devices after reopening = %+v, %v; want seq 1-3 received, one duplicate", devs, err)
	}
	got, err := db.Readings(ctx, store.ReadingQuery{Device: "gauge", From: at, To: at.Add(time.Hour)})
	if err != nil || !reflect.DeepEqual(got, []telemetry.Record{rec(1), rec(2), rec(3)}) {
		t.Fatalf("Readings = %+v, %v", got, err)
	}
}
