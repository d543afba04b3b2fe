package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/devstate"
	"github.com/xiuhua/xiuhua/telemetry"
)

// where lists what db holds for device's rollups: the bucket's hours and
// the state's open hours, each as "sensor/quantity@HH count sum".
func where(t *testing.T, db *DB, device string) (bucket, open []string) {
	t.Helper()
	if err := db.settle(device); err != nil {
		t.Fatal(err)
	}
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(bucketRollups).Bucket([]byte(device)); b != nil {
			err := b.ForEach(func(k, v []byte) error {
				r, err := decodeRollup(k, v)
				if err == nil {
					bucket = append(bucket, fmt.Sprintf("%s/%s@%s %d %g", r.Sensor, r.Quantity, r.Hour.Format("15"), r.Count, r.Sum))
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		st, err := decodeDeviceState(tx.Bucket(bucketDevices).Get([]byte(device)))
		for _, o := range st.open {
			open = append(open, fmt.Sprintf("%s/%s@%s %d %g", o.sensor, o.quantity, time.Unix(o.hour, 0).UTC().Format("15"), o.sum.count, o.sum.sum))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return bucket, open
}

func same(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// TestOpenHours follows one device's rollups through hours, late data and
// a second stream: where each sum is kept, and that Rollups adds them.
func TestOpenHours(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	seq := uint64(0)
	appendAt := func(sensor string, value float64, d time.Duration) {
		t.Helper()
		seq++
		b := telemetry.Batch{Device: "d", Records: []telemetry.Record{{Seq: seq, Reading: telemetry.Reading{
			Sensor: sensor, Quantity: telemetry.PM10, Value: value, Time: at.Add(d)}}}}
		if _, err := db.Append(ctx, at.Add(3*time.Hour), b); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name         string
		do           func()
		bucket, open []string
	}{
		{"two readings of hour 8 stay open", func() { appendAt("a", 1, 0); appendAt("a", 2, time.Minute) },
			nil, []string{"a/pm10@08 2 3"}},
		{"hour 9 closes hour 8", func() { appendAt("a", 4, time.Hour) },
			[]string{"a/pm10@08 2 3"}, []string{"a/pm10@09 1 4"}},
		{"a late reading of hour 8 goes to the bucket", func() { appendAt("a", 8, 2*time.Minute) },
			[]string{"a/pm10@08 3 11"}, []string{"a/pm10@09 1 4"}},
		{"another stream opens beside it, in stream order", func() { appendAt("0", 16, 90*time.Minute) },
			[]string{"a/pm10@08 3 11"}, []string{"0/pm10@09 1 16", "a/pm10@09 1 4"}},
		{"a duplicate sums nothing", func() {
			seq--
			appendAt("a", 100, time.Hour+time.Minute)
		}, []string{"a/pm10@08 3 11"}, []string{"0/pm10@09 1 16", "a/pm10@09 1 4"}},
	}
	for _, s := range steps {
		s.do()
		if bucket, open := where(t, db, "d"); !same(bucket, s.bucket) || !same(open, s.open) {
			t.Fatalf("%s: bucket %q, open %q; want %q, %q", s.name, bucket, open, s.bucket, s.open)
		}
	}

	// One Append spanning hours 10 and 11 of stream a: 9 closes, 11 stays open.
	b := telemetry.Batch{Device: "d", Records: []telemetry.Record{
		{Seq: 10, Reading: telemetry.Reading{Sensor: "a", Quantity: telemetry.PM10, Value: 32, Time: at.Add(3 * time.Hour)}},
		{Seq: 11, Reading: telemetry.Reading{Sensor: "a", Quantity: telemetry.PM10, Value: 64, Time: at.Add(2 * time.Hour)}},
	}}
	if _, err := db.Append(ctx, at.Add(3*time.Hour), b); err != nil {
		t.Fatal(err)
	}
	wantBucket := []string{"a/pm10@08 3 11", "a/pm10@09 1 4", "a/pm10@10 1 64"}
	wantOpen := []string{"0/pm10@09 1 16", "a/pm10@11 1 32"}
	if bucket, open := where(t, db, "d"); !same(bucket, wantBucket) || !same(open, wantOpen) {
		t.Fatalf("after hours 10 and 11: bucket %q, open %q; want %q, %q", bucket, open, wantBucket, wantOpen)
	}

	// Rollups adds both, in order; a range that ends before the open hour
	// leaves it out.
	got, err := db.Rollups(ctx, store.RollupQuery{Quantity: telemetry.PM10, From: at, To: at.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range got {
		rows = append(rows, fmt.Sprintf("%s/%s@%s %d %g", r.Sensor, r.Quantity, r.Hour.Format("15"), r.Count, r.Sum))
	}
	if want := []string{"0/pm10@09 1 16", "a/pm10@08 3 11", "a/pm10@09 1 4", "a/pm10@10 1 64", "a/pm10@11 1 32"}; !same(rows, want) {
		t.Errorf("Rollups = %q, want %q", rows, want)
	}
	got, err = db.Rollups(ctx, store.RollupQuery{Devices: []string{"d"}, Quantity: telemetry.PM10, From: at.Add(2 * time.Hour), To: at.Add(3 * time.Hour)})
	if err != nil || len(got) != 1 || got[0].Sum != 64 {
		t.Errorf("Rollups of hour 10 alone = %+v, %v; want the bucket's hour 10", got, err)
	}
}

// TestOpenHourBesideBucketHour checks that an hour both in the bucket and
// open (a schema 4 file's current hour, then appended to by schema 5) is
// reported once, summed, and that opening a schema 4 file makes it
// schema 5 without touching its rollups.
func TestOpenHourBesideBucketHour(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	// What schema 4 wrote: hour 8 in the bucket, no open hour.
	err = db.bdb.Update(func(tx *bbolt.Tx) error {
		b, err := tx.Bucket(bucketRollups).CreateBucket([]byte("d"))
		if err != nil {
			return err
		}
		if err := b.Put(rollupKey("a", telemetry.PM10, at.Unix()), rollupSum{count: 2, sum: 5, min: 1, max: 4, minutes: 1}.encode()); err != nil {
			return err
		}
		st := deviceState{State: devstate.State{LastSeen: at, Received: telemetry.Ranges{{First: 1, Last: 2}}, Incarnations: 1}}
		if err := tx.Bucket(bucketDevices).Put([]byte("d"), st.encode()); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte{0, 0, 0, 4})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if db, err = Open(path, nil); err != nil {
		t.Fatalf("Open of a schema 4 file: %v", err)
	}
	defer db.Close()
	db.bdb.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keySchema); string(v) != string([]byte{0, 0, 0, SchemaVersion}) {
			t.Errorf("schema after Open = %x, want %d", v, SchemaVersion)
		}
		return nil
	})
	b := telemetry.Batch{Device: "d", Records: []telemetry.Record{{Seq: 3, Reading: telemetry.Reading{
		Sensor: "a", Quantity: telemetry.PM10, Value: 8, Time: at.Add(30 * time.Minute)}}}}
	if _, err := db.Append(context.Background(), at.Add(time.Hour), b); err != nil {
		t.Fatal(err)
	}
	got, err := db.Rollups(context.Background(), store.RollupQuery{Quantity: telemetry.PM10, From: at, To: at.Add(time.Hour)})
	want := store.Rollup{Device: "d", Sensor: "a", Quantity: telemetry.PM10, Hour: at, Count: 3, Sum: 13, Min: 1, Max: 8, Minutes: 1 | 1<<30}
	if err != nil || len(got) != 1 || got[0] != want {
		t.Fatalf("Rollups = %+v, %v; want [%+v]", got, err, want)
	}
}
