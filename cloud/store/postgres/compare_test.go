package postgres

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/cloud/store/devstate"
	"github.com/xiuhua/xiuhua/telemetry"
)

// TestSameAsBolt appends random calls (several devices, outboxes that come
// and go and come back, re-sends, condensed blocks, replays, clocks ahead)
// to this store and to the reference backend, and compares every answer
// after each call: results, devices, readings, aggregates and rollups.
func TestSameAsBolt(t *testing.T) {
	ctx := context.Background()
	pg, ref, logged := openPair(t)

	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	devices := []string{"d1", "d2", "d3"}
	incs := []uint64{0, 0xa, 0xb, 0xc}
	// rec is a device's record seq: its fields follow from seq and the
	// outbox, so that a re-send repeats it and another outbox's differs.
	rec := func(seq, inc uint64) telemetry.Record {
		r := telemetry.Record{Seq: seq, Reading: telemetry.Reading{
			Sensor: []string{"level", "dust"}[seq%2], Quantity: []telemetry.Quantity{telemetry.WaterLevel, telemetry.PM10}[seq%2],
			Value: float64(seq)/4 + float64(inc%8), Time: t0.Add(time.Duration(seq) * 20 * time.Second),
		}}
		switch seq % 11 {
		case 3:
			r.Quality = telemetry.Suspect
		case 5:
			r.Flags = telemetry.ClockUnsynced
		case 7:
			r.Time = r.Time.Add(time.Hour) // ahead of most arrivals
		}
		return r
	}
	for step := range 300 {
		arrived := t0.Add(time.Duration(step) * 10 * time.Second)
		var batches []telemetry.Batch
		for range 1 + rng.IntN(4) {
			b := telemetry.Batch{Device: devices[rng.IntN(len(devices))], Incarnation: incs[rng.IntN(len(incs))], Replay: rng.IntN(4) == 0}
			first := 1 + rng.Uint64N(60)
			for seq := first; seq < first+rng.Uint64N(8); seq++ {
				b.Records = append(b.Records, rec(seq, b.Incarnation))
			}
			if rng.IntN(5) == 0 {
				lo := 61 + rng.Uint64N(30)
				hi := lo + rng.Uint64N(4)
				m := int(lo % 90)
				b.Condensed = append(b.Condensed, telemetry.Condensed{Range: telemetry.Range{First: lo, Last: hi}, Aggregates: []telemetry.Aggregate{
					{Sensor: "level", Quantity: telemetry.WaterLevel, Minute: t0.Add(time.Duration(m) * time.Minute), Count: uint32(hi - lo + 1), Min: 1, Max: 2.5, Mean: 1.75},
					{Sensor: "dust", Quantity: telemetry.PM10, Minute: t0.Add(time.Duration(m+1) * time.Minute), Count: uint32(rng.IntN(3)), Min: 0.5, Max: 4, Mean: 2.25},
				}})
			}
			batches = append(batches, b)
		}
		got, err := pg.Append(ctx, arrived, batches...)
		if err != nil {
			t.Fatalf("step %d: postgres Append: %v", step, err)
		}
		want, err := ref.Append(ctx, arrived, batches...)
		if err != nil {
			t.Fatalf("step %d: bolt Append: %v", step, err)
		}
		same(t, fmt.Sprintf("step %d: Append(%s)", step, describe(batches)), got, want)
		if t.Failed() {
			return
		}
		if step%10 == 9 {
			compareStores(t, fmt.Sprintf("step %d", step), pg, ref, devices, t0)
			if t.Failed() {
				return
			}
		}
	}
	compareStores(t, "at the end", pg, ref, devices, t0)
	noRetry(t, logged)
}

// TestForgottenIncarnation: an outbox forgotten (more than
// devstate.MaxPrevious since) and heard from again starts an incarnation
// once more; its re-sent records are new and their keys are taken.
func TestForgottenIncarnation(t *testing.T) {
	ctx := context.Background()
	pg, ref, logged := openPair(t)
	const dev = "many"
	for inc := uint64(1); inc <= devstate.MaxPrevious+3; inc++ {
		b := telemetry.Batch{Device: dev, Incarnation: inc, Records: []telemetry.Record{record(1, float64(inc)), record(2, float64(inc))}}
		if inc == devstate.MaxPrevious+3 {
			b.Incarnation = 1 // forgotten by now
			b.Records[1].Value = 99
		}
		got, err := pg.Append(ctx, t0, b)
		if err != nil {
			t.Fatalf("incarnation %d: %v", inc, err)
		}
		want, err := ref.Append(ctx, t0, b)
		if err != nil {
			t.Fatal(err)
		}
		same(t, fmt.Sprintf("incarnation %d", inc), got, want)
	}
	compareStores(t, "after many incarnations", pg, ref, []string{dev}, t0)
	noRetry(t, logged)
}

// openPair opens this store, logging to the buffer it returns, and the
// reference backend.
func openPair(t *testing.T) (*DB, *bolt.DB, *bytes.Buffer) {
	t.Helper()
	var logged bytes.Buffer
	pg := openTest(t, newDatabase(t), &Opts{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	ref, err := bolt.Open(filepath.Join(t.TempDir(), "ref.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close() })
	return pg, ref, &logged
}

// noRetry fails t if an Append met a taken key that mayHold did not
// foresee.
func noRetry(t *testing.T, logged *bytes.Buffer) {
	t.Helper()
	if strings.Contains(logged.String(), "retrying") {
		t.Errorf("an Append met a taken key unforeseen: %s", logged)
	}
}

func compareStores(t *testing.T, what string, pg, ref store.Store, devices []string, t0 time.Time) {
	t.Helper()
	ctx := context.Background()
	call := func(name string, f func(s store.Store) (any, error)) {
		t.Helper()
		got, err := f(pg)
		if err != nil {
			t.Fatalf("%s: postgres %s: %v", what, name, err)
		}
		want, err := f(ref)
		if err != nil {
			t.Fatalf("%s: bolt %s: %v", what, name, err)
		}
		same(t, what+": "+name, got, want)
	}
	call("Devices", func(s store.Store) (any, error) {
		ds, err := s.Devices(ctx)
		for i := range ds {
			ds[i].LastSeen = ds[i].LastSeen.UTC()
		}
		return ds, err
	})
	for _, d := range devices {
		q := store.ReadingQuery{Device: d, From: t0.Add(-time.Hour), To: t0.Add(5 * time.Hour)}
		call("Readings "+d, func(s store.Store) (any, error) { return s.Readings(ctx, q) })
		call("Aggregates "+d, func(s store.Store) (any, error) { return s.Aggregates(ctx, q) })
	}
	for _, quantity := range []telemetry.Quantity{telemetry.WaterLevel, telemetry.PM10, ""} {
		q := store.RollupQuery{Quantity: quantity, From: t0.Add(-time.Hour), To: t0.Add(5 * time.Hour)}
		call(fmt.Sprintf("Rollups %q", quantity), func(s store.Store) (any, error) { return s.Rollups(ctx, q) })
	}
}

func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\npostgres %+v\nbolt     %+v", what, got, want)
	}
}

func describe(bs []telemetry.Batch) string {
	s := ""
	for _, b := range bs {
		s += fmt.Sprintf("[%s inc=%x replay=%v seqs=%v]", b.Device, b.Incarnation, b.Replay, b.Seqs())
	}
	return s
}

// TestExtremes: values at the ends of their types' ranges are stored as
// bolt stores them: times far before 1970 and far after 9999, sequence
// numbers and incarnations above 2^63, infinite and negative-zero values.
func TestExtremes(t *testing.T) {
	ctx := context.Background()
	pg, ref, _ := openPair(t)
	at := func(seq uint64, ms int64, v float64) telemetry.Record {
		return telemetry.Record{Seq: seq, Reading: telemetry.Reading{Sensor: "水位", Quantity: telemetry.WaterLevel,
			Value: v, Time: time.UnixMilli(ms).UTC(), Quality: telemetry.Bad, Flags: telemetry.ClockUnsynced | telemetry.ClockCorrected}}
	}
	b := telemetry.Batch{Device: "edge", Incarnation: math.MaxUint64, Records: []telemetry.Record{
		at(1, -1<<50, math.Inf(-1)),
		at(2, time.Time{}.UnixMilli(), math.Copysign(0, -1)),
		at(1<<63+5, 1<<50, math.MaxFloat64),
		at(math.MaxUint64, 0, math.SmallestNonzeroFloat64),
	}, Condensed: []telemetry.Condensed{{Range: telemetry.Range{First: 1 << 62, Last: 1<<62 + 9}, Aggregates: []telemetry.Aggregate{
		{Sensor: "s", Quantity: "q", Minute: time.UnixMilli(-1 << 49), Count: math.MaxUint32, Min: math.Inf(-1), Max: math.Inf(1), Mean: 0.5},
	}}}}
	for _, arrived := range []time.Time{t0, t0} { // new, then duplicates
		got, err := pg.Append(ctx, arrived, b)
		if err != nil {
			t.Fatalf("postgres Append: %v", err)
		}
		want, err := ref.Append(ctx, arrived, b)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "Append", got, want)
	}
	everything := store.ReadingQuery{Device: "edge", From: time.UnixMilli(-1 << 51), To: time.UnixMilli(1 << 51)}
	for name, f := range map[string]func(store.Store) (any, error){
		"Devices":    func(s store.Store) (any, error) { return s.Devices(ctx) },
		"Readings":   func(s store.Store) (any, error) { return s.Readings(ctx, everything) },
		"Aggregates": func(s store.Store) (any, error) { return s.Aggregates(ctx, everything) },
		"Rollups": func(s store.Store) (any, error) {
			return s.Rollups(ctx, store.RollupQuery{From: time.UnixMilli(-1 << 51), To: time.UnixMilli(1 << 51)})
		},
	} {
		got, err := f(pg)
		if err != nil {
			t.Fatalf("postgres %s: %v", name, err)
		}
		want, err := f(ref)
		if err != nil {
			t.Fatal(err)
		}
		same(t, name, got, want)
	}
}
