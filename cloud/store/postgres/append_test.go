package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func record(seq uint64, value float64) telemetry.Record {
	return telemetry.Record{Seq: seq, Reading: telemetry.Reading{Sensor: "level", Quantity: telemetry.WaterLevel,
		Value: value, Time: t0.Add(time.Duration(seq) * time.Second)}}
}

func appendOK(t *testing.T, s store.Store, batches ...telemetry.Batch) []store.AppendResult {
	t.Helper()
	res, err := s.Append(context.Background(), t0, batches...)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return res
}

func values(t *testing.T, s store.Store, device string) []float64 {
	t.Helper()
	rs, err := s.Readings(context.Background(), store.ReadingQuery{Device: device, From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var vs []float64
	for _, r := range rs {
		vs = append(vs, r.Value)
	}
	return vs
}

// TestTakenKeyAfterRestart: an agent without incarnations numbers against
// the current outbox, whose set restarted; its record may reuse a key
// stored before the restart. The received set calls it new, so it replaces
// the old one (as the bolt backend's Put does), foreseen rather than met
// by COPY.
func TestTakenKeyAfterRestart(t *testing.T) {
	var logged bytes.Buffer
	db := openTest(t, newDatabase(t), &Opts{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	const dev = "mixed"
	appendOK(t, db, telemetry.Batch{Device: dev, Records: []telemetry.Record{record(1, 1)}})                   // key (1, 1, none)
	appendOK(t, db, telemetry.Batch{Device: dev, Incarnation: 0xa, Records: []telemetry.Record{record(2, 2)}}) // adopts 0xa
	appendOK(t, db, telemetry.Batch{Device: dev, Incarnation: 0xb, Records: []telemetry.Record{record(2, 3)}}) // restarts
	res := appendOK(t, db, telemetry.Batch{Device: dev, Records: []telemetry.Record{record(1, 4)}})
	if len(res[0].New) != 1 || res[0].New[0].Value != 4 {
		t.Errorf("Append = %+v, want record 1 new with value 4", res[0])
	}
	if got := fmt.Sprint(values(t, db, dev)); got != "[4 2 3]" {
		t.Errorf("readings %s, want [4 2 3]", got)
	}
	if strings.Contains(logged.String(), "retrying") {
		t.Errorf("log %q, want no retry: the taken key was foreseen, not met", logged.String())
	}
}

// TestTakenKeyRetry: a key the received sets know nothing of (a row
// written behind the store's back) makes COPY fail; Append says so in the
// log and stores everything through upserts instead.
func TestTakenKeyRetry(t *testing.T) {
	dsn := newDatabase(t)
	var logged bytes.Buffer
	db := openTest(t, dsn, &Opts{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	exec(t, dsn, `INSERT INTO readings (device, time_ms, seq, incarnation, sensor, quantity, quality, value, flags)
		VALUES ('intruded', $1, 2, 0, 'level', 'water_level', 0, 99, 0)`, record(2, 0).Time.UnixMilli())
	res := appendOK(t, db, telemetry.Batch{Device: "intruded", Records: []telemetry.Record{record(1, 1), record(2, 2), record(3, 3)}},
		telemetry.Batch{Device: "bystander", Records: []telemetry.Record{record(1, 1)}})
	if len(res[0].New) != 3 || len(res[1].New) != 1 {
		t.Errorf("Append = %+v, want every record new", res)
	}
	if got := fmt.Sprint(values(t, db, "intruded")); got != "[1 2 3]" {
		t.Errorf("readings %s, want [1 2 3]", got)
	}
	if got := fmt.Sprint(values(t, db, "bystander")); got != "[1]" {
		t.Errorf("the other device's readings %s, want [1]", got)
	}
	ds, err := db.Devices(context.Background())
	if err != nil || len(ds) != 2 || ds[1].Received != 3 || ds[0].Received != 1 {
		t.Errorf("Devices = %+v, %v; want counts as if stored once", ds, err)
	}
	if !strings.Contains(logged.String(), "retrying with upserts") {
		t.Errorf("log %q, want the retry told", logged.String())
	}
}

// TestNamesNotText: PostgreSQL text holds neither NUL nor invalid UTF-8;
// a device sending such names must not fail the call (and stop the
// collector).
func TestNamesNotText(t *testing.T) {
	db := openTest(t, newDatabase(t), nil)
	r := record(1, 1)
	r.Sensor, r.Quantity = "lev\x00el", "water\xfflevel"
	b := telemetry.Batch{Device: "odd", Records: []telemetry.Record{r},
		Condensed: []telemetry.Condensed{{Range: telemetry.Range{First: 2, Last: 2},
			Aggregates: []telemetry.Aggregate{{Sensor: "\x00", Quantity: "q", Minute: t0, Count: 1}}}}}
	res := appendOK(t, db, b)
	want := "lev\uFFFDel water\uFFFDlevel"
	if got := res[0].New[0].Sensor + " " + string(res[0].New[0].Quantity); got != want {
		t.Errorf("New names %q, want %q", got, want)
	}
	rs, err := db.Readings(context.Background(), store.ReadingQuery{Device: "odd", From: t0, To: t0.Add(time.Hour)})
	if err != nil || len(rs) != 1 || rs[0].Sensor+" "+string(rs[0].Quantity) != want {
		t.Errorf("Readings = %+v, %v; want names %q", rs, err, want)
	}
	// Asking with such names finds nothing, as in a store that could keep them.
	ctx := context.Background()
	if err := db.Settle(ctx, "a\x00b", "k", store.Delivered, t0, t0, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Settle of a channel with NUL: %v, want store.ErrNotFound", err)
	}
	if _, err := db.Alert(ctx, "bad\xff"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Alert of an id that is not UTF-8: %v, want store.ErrNotFound", err)
	}
	if as, err := db.Alerts(ctx, store.AlertQuery{Office: "x\x00"}); err != nil || len(as) != 0 {
		t.Errorf("Alerts of an office with NUL = %v, %v; want none", as, err)
	}
	if ns, err := db.Notifications(ctx, "x\x00", ""); err != nil || len(ns) != 0 {
		t.Errorf("Notifications of a channel with NUL = %v, %v; want none", ns, err)
	}
	q := store.RollupQuery{Devices: []string{"odd\x00"}, From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}
	if rs, err := db.Rollups(ctx, q); err != nil || len(rs) != 0 {
		t.Errorf("Rollups of a device with NUL = %v, %v; want none", rs, err)
	}
	if err := db.Enqueue(ctx, store.Notification{Channel: "c", Key: "k\x00", Created: t0}); err == nil {
		t.Error("Enqueue of a key with NUL succeeded")
	}
}

// TestConcurrentDevices: calls naming overlapping devices in different
// orders neither deadlock nor lose a count.
func TestConcurrentDevices(t *testing.T) {
	db := openTest(t, newDatabase(t), &Opts{MaxConns: 8})
	const (
		writers = 8
		calls   = 15
		devices = 6
		per     = 5
	)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for c := range calls {
				var bs []telemetry.Batch
				for _, d := range rng.Perm(devices)[:1+rng.IntN(devices)] {
					b := telemetry.Batch{Device: fmt.Sprintf("dev%d", d)}
					for i := range per {
						seq := uint64((w*calls+c)*per + i + 1)
						b.Records = append(b.Records, record(seq, 1))
					}
					bs = append(bs, b)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				_, err := db.Append(ctx, t0, bs...)
				cancel()
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Each device got each writer's call's seqs once; count them back.
	ds, err := db.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		n, err := db.Readings(context.Background(), store.ReadingQuery{Device: d.ID, From: t0, To: t0.Add(24 * time.Hour), Limit: store.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		if d.Received != uint64(len(n)) || d.Duplicates != 0 {
			t.Errorf("%s: received %d, duplicates %d, %d readings stored", d.ID, d.Received, d.Duplicates, len(n))
		}
	}
}
