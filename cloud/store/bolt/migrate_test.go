package bolt_test

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"reflect"
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
