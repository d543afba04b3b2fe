package bolt_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/telemetry"
)

// TestJournalAnswersAsDirectWrites drives two stores with the same random
// traffic: one journals (compacted at random moments, closed and reopened
// with batches still in its journal, as after a power cut), the other
// writes every Append straight into its indexes. Every Append must answer
// the same, and in the end both must hold the same devices, readings,
// aggregates and rollups. The traffic has what the field sends: re-sent
// batches, gaps, new and earlier incarnations (stale batches), condensed
// blocks, replays and clocks in the future.
func TestJournalAnswersAsDirectWrites(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { journalAgainstDirect(t, seed) })
	}
}

func journalAgainstDirect(t *testing.T, seed uint64) {
	ctx := context.Background()
	dir := t.TempDir()
	jpath := filepath.Join(dir, "journal.db")
	open := func(path string, opts *bolt.Opts) *bolt.DB {
		db, err := bolt.Open(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	j := open(jpath, nil)
	d := open(filepath.Join(dir, "direct.db"), &bolt.Opts{NoJournal: true})
	defer func() { j.Close(); d.Close() }()

	rng := rand.New(rand.NewPCG(seed, 7))
	type device struct {
		id   string
		incs []uint64 // every incarnation it has had; the last is current
		next map[uint64]uint64
		sent map[uint64][]telemetry.Batch // by incarnation, to re-send
	}
	devices := make([]*device, 6)
	for i := range devices {
		devices[i] = &device{id: fmt.Sprintf("dev-%d", i), incs: []uint64{uint64(i)*100 + 1},
			next: map[uint64]uint64{}, sent: map[uint64][]telemetry.Batch{}}
	}
	devices[5].incs = []uint64{0} // an agent from before incarnations
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	now := start
	sensors := []struct {
		name string
		q    telemetry.Quantity
	}{{"dust", telemetry.PM2_5}, {"dust", telemetry.PM10}, {"level", telemetry.WaterLevel}}
	newBatch := func(dv *device, inc uint64) telemetry.Batch {
		b := telemetry.Batch{Device: dv.id, Incarnation: inc, Replay: rng.IntN(8) == 0}
		seq := dv.next[inc]
		if rng.IntN(10) == 0 {
			seq += uint64(rng.IntN(5)) // a gap
		}
		for range 1 + rng.IntN(5) {
			seq++
			s := sensors[rng.IntN(len(sensors))]
			at := now.Add(-time.Duration(rng.IntN(600)) * time.Second).Add(time.Duration(rng.IntN(1000)) * time.Microsecond)
			if rng.IntN(20) == 0 {
				at = now.Add(time.Hour) // a clock in the future
			}
			r := telemetry.Record{Seq: seq, Reading: telemetry.Reading{Sensor: s.name, Quantity: s.q,
				Value: float64(rng.IntN(400)) / 4, Time: at, Quality: telemetry.Quality(rng.IntN(2))}}
			if rng.IntN(10) == 0 {
				r.Flags = telemetry.ClockUnsynced
			}
			b.Records = append(b.Records, r)
		}
		if rng.IntN(6) == 0 {
			n := uint64(1 + rng.IntN(4))
			c := telemetry.Condensed{Range: telemetry.Range{First: seq + 1, Last: seq + n}}
			for m := range 1 + rng.IntN(2) {
				s := sensors[rng.IntN(len(sensors))]
				c.Aggregates = append(c.Aggregates, telemetry.Aggregate{Sensor: s.name, Quantity: s.q,
					Minute: now.Truncate(time.Minute).Add(-time.Duration(m) * time.Minute), Count: uint32(1 + rng.IntN(5)),
					Min: 1, Max: 9, Mean: float64(rng.IntN(8)) + 1})
			}
			b.Condensed = append(b.Condensed, c)
			seq += n
		}
		dv.next[inc] = seq
		dv.sent[inc] = append(dv.sent[inc], b)
		return b
	}
	pick := func() telemetry.Batch {
		dv := devices[rng.IntN(len(devices))]
		cur := dv.incs[len(dv.incs)-1]
		switch x := rng.IntN(20); {
		case x == 0 && cur != 0: // a new outbox
			dv.incs = append(dv.incs, cur+1+uint64(rng.IntN(3)))
			return newBatch(dv, dv.incs[len(dv.incs)-1])
		case x == 1 && len(dv.incs) > 1: // an earlier outbox comes back
			old := dv.incs[rng.IntN(len(dv.incs)-1)]
			if sent := dv.sent[old]; len(sent) > 0 && rng.IntN(2) == 0 {
				return sent[rng.IntN(len(sent))]
			}
			return newBatch(dv, old)
		case x < 6 && len(dv.sent[cur]) > 0: // a re-send
			return dv.sent[cur][rng.IntN(len(dv.sent[cur]))]
		}
		return newBatch(dv, cur)
	}

	for step := range 400 {
		now = now.Add(time.Duration(rng.IntN(90)) * time.Second)
		batches := make([]telemetry.Batch, 1+rng.IntN(4))
		for i := range batches {
			batches[i] = pick()
		}
		arrived := now.Add(time.Duration(rng.IntN(1000)) * time.Nanosecond)
		got, err := j.Append(ctx, arrived, batches...)
		if err != nil {
			t.Fatalf("step %d: journal Append: %v", step, err)
		}
		want, err := d.Append(ctx, arrived, batches...)
		if err != nil {
			t.Fatalf("step %d: direct Append: %v", step, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("step %d: Append of %+v\njournal: %+v\ndirect:  %+v", step, batches, got, want)
		}
		switch rng.IntN(40) {
		case 0:
			if err := j.Compact(ctx); err != nil {
				t.Fatalf("step %d: Compact: %v", step, err)
			}
		case 1: // a power cut: the journal is replayed at Open
			j.Close()
			j = open(jpath, nil)
		case 2: // a read settles the device's partition
			sameReads(t, fmt.Sprintf("step %d", step), j, d, batches[0].Device, start, now)
		}
		if step%50 == 0 {
			sameDevices(t, fmt.Sprintf("step %d", step), j, d)
		}
	}
	j.Close()
	j = open(jpath, nil)
	sameDevices(t, "the end", j, d)
	for _, dv := range devices {
		sameReads(t, "the end", j, d, dv.id, start, now)
	}
	jr, err := j.Rollups(ctx, store.RollupQuery{From: start.Add(-time.Hour), To: now.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	dr, err := d.Rollups(ctx, store.RollupQuery{From: start.Add(-time.Hour), To: now.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(jr) == 0 || !reflect.DeepEqual(jr, dr) {
		t.Fatalf("rollups:\njournal: %+v\ndirect:  %+v", jr, dr)
	}
}

func sameDevices(t *testing.T, when string, j, d store.Store) {
	t.Helper()
	ctx := context.Background()
	jd, err := j.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dd, err := d.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(jd) != len(dd) {
		t.Fatalf("%s: %d devices with the journal, %d without", when, len(jd), len(dd))
	}
	for i := range jd {
		a, b := jd[i], dd[i]
		if !a.LastSeen.Equal(b.LastSeen) {
			t.Fatalf("%s: device %s last seen %v with the journal, %v without", when, a.ID, a.LastSeen, b.LastSeen)
		}
		a.LastSeen, b.LastSeen = time.Time{}, time.Time{}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: device\njournal: %+v\ndirect:  %+v", when, a, b)
		}
	}
}

func sameReads(t *testing.T, when string, j, d store.Store, device string, from, to time.Time) {
	t.Helper()
	ctx := context.Background()
	q := store.ReadingQuery{Device: device, From: from.Add(-time.Hour), To: to.Add(2 * time.Hour), Limit: store.MaxLimit}
	jr, err := j.Readings(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	dr, err := d.Readings(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(jr, dr) {
		t.Fatalf("%s: readings of %s: %d with the journal, %d without\njournal: %+v\ndirect:  %+v", when, device, len(jr), len(dr), jr, dr)
	}
	ja, err := j.Aggregates(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	da, err := d.Aggregates(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ja, da) {
		t.Fatalf("%s: aggregates of %s:\njournal: %+v\ndirect:  %+v", when, device, ja, da)
	}
}
