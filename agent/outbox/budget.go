package outbox

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/telemetry"
)

// minBudget is the smallest budget honoured: bbolt's own meta, freelist
// and branch pages need room.
const minBudget = 1 << 20

// Budget marks, as fractions of the budget: condensing starts when the
// bytes in use pass highWater and goes on until they are under lowWater.
// The gap above highWater covers bbolt's growth step and page
// fragmentation, so that the file itself stays under the budget.
const (
	highWater = 0.70
	lowWater  = 0.50
)

// HighWater is the fraction of the budget past which condensing starts.
const HighWater = highWater

// condenseChunk is how many raw readings one condensing transaction takes.
const condenseChunk = 4096

type budgetState struct {
	over    atomic.Uint64
	lastErr atomic.Pointer[string]
}

// allocStep is how much bbolt grows the file by once it is past its
// doubling phase: a 32nd of the budget, at least 64 KiB.
func allocStep(budget int64) int64 { return max(64<<10, budget/32) }

// sizes returns the file size and the bytes in use: the high-water mark
// of pages less the pages on the freelist.
func (o *Outbox) sizes(tx *bolt.Tx) (file, used int64) {
	st := o.db.Stats()
	free := int64(st.FreeAlloc)
	if fi, err := os.Stat(o.path); err == nil {
		file = fi.Size()
	}
	return file, tx.Size() - free
}

func (o *Outbox) used() (int64, error) {
	var used int64
	err := o.db.View(func(tx *bolt.Tx) error {
		_, used = o.sizes(tx)
		return nil
	})
	return used, err
}

// enforceBudget condenses the oldest raw readings while the bytes in use
// are over the high-water mark. It runs on the committer goroutine, after
// a commit, so appends wait for it: the budget is never overrun by
// readings arriving while it works.
func (o *Outbox) enforceBudget() {
	used, err := o.used()
	if err != nil || float64(used) <= highWater*float64(o.o.Budget) {
		return
	}
	if o.ackedWaiting() > 0 {
		// Entries acknowledged since the last commit are still in the
		// file: delete them before condensing anything.
		if err := o.flushAcks(); err != nil {
			o.backgroundErr(err)
			return
		}
		if used, err = o.used(); err != nil {
			return
		}
	}
	for float64(used) > lowWater*float64(o.o.Budget) {
		n, err := o.condenseOldest(condenseChunk)
		if err != nil {
			o.backgroundErr(err)
			return
		}
		if n == 0 {
			// Nothing left to condense: everything is condensed, leased
			// or urgent. The file will grow past the budget rather than
			// lose a reading.
			o.budget.over.Add(1)
			return
		}
		if used, err = o.used(); err != nil {
			return
		}
	}
}

// condenseOldest replaces up to max of the oldest unleased raw readings
// of the data lane with per-minute aggregates, one condensed block per
// run of consecutive sequence numbers. It returns how many readings it
// condensed. The acknowledged entries waiting for a commit are deleted in
// the same transaction, first: they are never condensed.
func (o *Outbox) condenseOldest(max int) (int, error) {
	o.leaseMu.Lock()
	defer o.leaseMu.Unlock()
	var condensed int
	err := o.update(func(tx *bolt.Tx) error {
		if err := o.deleteAcked(tx); err != nil {
			return err
		}
		data, meta := tx.Bucket(bucketData), tx.Bucket(bucketMeta)
		var (
			runs [][]telemetry.Record
			run  []telemetry.Record
			keys [][]byte
		)
		flush := func() {
			if len(run) > 0 {
				runs = append(runs, run)
				run = nil
			}
		}
		c := data.Cursor()
		for k, v := c.First(); k != nil && condensed < max; k, v = c.Next() {
			seq := binary.BigEndian.Uint64(k)
			if len(v) == 0 || v[0] != tagRecord || o.leased.Contains(seq) {
				flush()
				continue
			}
			e, err := decodeEntry(k, v)
			if err != nil {
				return err
			}
			if e.Record.Quality != telemetry.Good || e.Record.Flags&telemetry.ClockUnsynced != 0 {
				// Faulty readings and readings whose time is not known stay
				// raw: averaged in, a loop fault's −2.5 m would read as a
				// flood minimum, and an unsynchronised time would land in
				// the wrong minute.
				flush()
				continue
			}
			if n := len(run); n > 0 && run[n-1].Seq+1 != seq {
				flush()
			}
			run = append(run, *e.Record)
			keys = append(keys, append([]byte(nil), k...))
			condensed++
		}
		flush()
		for _, k := range keys {
			if err := data.Delete(k); err != nil {
				return err
			}
		}
		for _, r := range runs {
			block := Condense(r)
			v, err := telemetry.MarshalCondensed(block)
			if err != nil {
				return err
			}
			if err := data.Put(seqKey(block.Range.First), append([]byte{tagCondensed}, v...)); err != nil {
				return err
			}
		}
		return putUint(meta, keyCondensed, getUint(meta, keyCondensed)+uint64(condensed))
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: condense: %w", err)
	}
	o.acked = ackedSet{}
	return condensed, nil
}

// Condense summarises a run of records with consecutive sequence numbers
// as per-stream, per-minute aggregates, in order of first appearance.
func Condense(run []telemetry.Record) telemetry.Condensed {
	type key struct {
		sensor   string
		quantity telemetry.Quantity
		minute   time.Time
	}
	idx := map[key]int{}
	var aggs []telemetry.Aggregate
	var sums []float64
	for _, r := range run {
		k := key{r.Sensor, r.Quantity, r.Time.Truncate(time.Minute)}
		i, ok := idx[k]
		if !ok {
			i = len(aggs)
			idx[k] = i
			aggs = append(aggs, telemetry.Aggregate{Sensor: r.Sensor, Quantity: r.Quantity, Minute: k.minute.UTC(), Min: r.Value, Max: r.Value})
			sums = append(sums, 0)
		}
		a := &aggs[i]
		a.Count++
		a.Min = min(a.Min, r.Value)
		a.Max = max(a.Max, r.Value)
		sums[i] += r.Value
	}
	for i := range aggs {
		aggs[i].Mean = sums[i] / float64(aggs[i].Count)
	}
	return telemetry.Condensed{Range: telemetry.Range{First: run[0].Seq, Last: run[len(run)-1].Seq}, Aggregates: aggs}
}
