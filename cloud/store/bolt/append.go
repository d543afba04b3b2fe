package bolt

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// appendFill packs pages fuller than bbolt's default because a device's
// readings mostly arrive in time order, at the end of its bucket.
const appendFill = 0.9

// Append stores the batches durably in one write transaction (one
// fsync): in the journal, judged against the devices' states in memory
// (see journal.go), or, when a batch comes from an earlier incarnation
// (whose duplicates are told by the stored keys) or the journal is off,
// straight into the indexes after compacting its devices' journal. A
// batch with an invalid device id, a sequence number 0 or an empty or
// 0-based condensed range fails the whole call with store.ErrInvalid and
// nothing is stored. A device's LastSeen becomes arrived unless it is
// already later, so that a slow concurrent call cannot move it back.
func (db *DB) Append(ctx context.Context, arrived time.Time, batches ...telemetry.Batch) ([]store.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt: append: %w", err)
	}
	for i, b := range batches {
		if err := checkBatch(b); err != nil {
			return nil, store.Invalid(fmt.Errorf("bolt: append: batch %d: %w", i, err))
		}
	}
	// Records whose millisecond is after this are in the future.
	futureAfter := arrived.Add(db.maxFuture)
	db.mu.Lock()
	defer db.mu.Unlock()
	if !db.noJournal {
		results, judged, ok, err := db.judge(batches, arrived, futureAfter)
		if err != nil {
			return nil, err
		}
		if ok {
			entries := make([]journalEntry, len(batches))
			for i, b := range batches {
				entries[i] = journalEntry{arrived: arrived, futureAfter: futureAfter, batch: b}
			}
			var seqs []uint64
			err := db.update("append", func(tx *bbolt.Tx) (err error) {
				seqs, err = journal(tx, entries)
				return err
			})
			if err != nil {
				return nil, err
			}
			db.adopt(judged)
			for i, b := range batches {
				p := partOf(b.Device)
				db.pending[p] = append(db.pending[p], seqs[i])
			}
			return results, nil
		}
	}
	return db.appendDirect(batches, arrived, futureAfter)
}

// judge answers Append from the mirror without writing: ok is false when
// a batch is of an earlier incarnation, which only the stored keys can
// judge. The states it changed are returned for adopt.
func (db *DB) judge(batches []telemetry.Batch, arrived, futureAfter time.Time) (results []store.AppendResult, judged map[string]*openDevice, ok bool, err error) {
	a := &appender{mirror: db.mirror, open: make(map[string]*openDevice)}
	results = make([]store.AppendResult, len(batches))
	for i, b := range batches {
		res, err := a.batch(b, arrived, futureAfter)
		if errors.Is(err, errStaleDry) {
			return nil, nil, false, nil
		}
		if err != nil {
			return nil, nil, false, fmt.Errorf("bolt: append: device %q: %w", b.Device, err)
		}
		results[i] = res
	}
	return results, a.open, true, nil
}

// appendDirect writes the batches into the indexes in one transaction,
// after the journal of their devices' partitions: the order in which
// every device's batches arrived is the order they are applied in.
func (db *DB) appendDirect(batches []telemetry.Batch, arrived, futureAfter time.Time) ([]store.AppendResult, error) {
	results := make([]store.AppendResult, len(batches))
	var a *appender
	var moved map[part]int
	err := db.update("append", func(tx *bbolt.Tx) error {
		var parts []part
		for _, b := range batches {
			if p := partOf(b.Device); len(db.pending[p]) > 0 && !slices.Contains(parts, p) {
				parts = append(parts, p)
			}
		}
		var err error
		if moved, err = db.compactIn(tx, parts, math.MaxInt); err != nil {
			return err
		}
		a = db.newAppender(tx)
		for i, b := range batches {
			res, err := a.batch(b, arrived, futureAfter)
			if err != nil {
				return fmt.Errorf("device %q: %w", b.Device, err)
			}
			results[i] = res
		}
		return a.flush()
	})
	if err != nil {
		return nil, err
	}
	db.took(moved)
	db.adopt(a.open)
	return results, nil
}

// adopt makes the states of an Append's devices the mirror's.
func (db *DB) adopt(open map[string]*openDevice) {
	for id, d := range open {
		m := db.mirror[id]
		if m == nil {
			m = new(deviceState)
			db.mirror[id] = m
		}
		*m = d.state
		m.open = nil // the mirror judges; rollups are the indexes'
		// As stored: the microsecond (see deviceState.encode).
		m.LastSeen = time.UnixMicro(m.LastSeen.UnixMicro()).UTC()
	}
}

func checkBatch(b telemetry.Batch) error {
	if err := telemetry.ValidateDeviceID(b.Device); err != nil {
		return err
	}
	for j, r := range b.Records {
		if r.Seq == 0 {
			return fmt.Errorf("device %q: record %d has sequence number 0", b.Device, j)
		}
	}
	for j, c := range b.Condensed {
		if c.Range.First == 0 || c.Range.First > c.Range.Last {
			return fmt.Errorf("device %q: condensed block %d has range %d-%d", b.Device, j, c.Range.First, c.Range.Last)
		}
	}
	return nil
}

// appender applies batches to device states, one transaction's or one
// judgement's: each device's state is read once however many batches it
// has, and the rollups' additions are gathered so that each touched hour
// is written once. A dry appender (no buckets) judges against the mirror:
// it changes copies of the states and writes nothing.
type appender struct {
	devices, readings, aggregates, rollups *bbolt.Bucket // nil when dry
	mirror                                 map[string]*deviceState
	open                                   map[string]*openDevice
	sums                                   rollupSums
}

// errStaleDry is what a dry appender answers for a batch of an earlier
// incarnation.
var errStaleDry = errors.New("bolt: a stale batch needs the stored keys")

// newAppender returns an appender writing in tx.
func (db *DB) newAppender(tx *bbolt.Tx) *appender {
	return &appender{
		devices:    tx.Bucket(bucketDevices),
		readings:   tx.Bucket(bucketReadings),
		aggregates: tx.Bucket(bucketAggregates),
		rollups:    tx.Bucket(bucketRollups),
		open:       make(map[string]*openDevice),
		sums:       rollupSums{},
	}
}

func (a *appender) dry() bool { return a.devices == nil }

type openDevice struct {
	state      deviceState
	readings   *bbolt.Bucket
	aggregates *bbolt.Bucket // nil until the device's first condensed block
}

func (a *appender) device(id string) (*openDevice, error) {
	if d, ok := a.open[id]; ok {
		return d, nil
	}
	d := &openDevice{}
	if a.dry() {
		if s, ok := a.mirror[id]; ok {
			d.state = s.clone()
		}
		a.open[id] = d
		return d, nil
	}
	if v := a.devices.Get([]byte(id)); v != nil {
		var err error
		if d.state, err = decodeDeviceState(v); err != nil {
			return nil, err
		}
	}
	rb, err := a.readings.CreateBucketIfNotExists([]byte(id))
	if err != nil {
		return nil, err
	}
	rb.FillPercent = appendFill
	d.readings = rb
	a.open[id] = d
	return d, nil
}

func (a *appender) batch(b telemetry.Batch, arrived, futureAfter time.Time) (store.AppendResult, error) {
	var res store.AppendResult
	d, err := a.device(b.Device)
	if err != nil {
		return res, err
	}
	if arrived.After(d.state.LastSeen) {
		d.state.LastSeen = arrived
	}
	inc := b.Incarnation
	res.Stale, _ = d.state.Incarnate(inc)
	if res.Stale && a.dry() {
		return res, errStaleDry
	}
	// One buffer holds every record's key and value: bbolt keeps the
	// values until commit (and copies the keys), and one allocation per
	// batch rather than per record is much of Append's garbage.
	var buf []byte
	if len(b.Records) > 0 && !a.dry() {
		size := 0
		for _, r := range b.Records {
			size += recordLen(r)
		}
		buf = make([]byte, 0, size)
	}
	for _, r := range b.Records {
		one := telemetry.Range{First: r.Seq, Last: r.Seq}
		res.Stored = res.Stored.Add(one)
		r.Time = time.UnixMilli(r.Time.UnixMilli()).UTC() // as stored
		if res.Stale {
			// No received set is kept for an earlier incarnation: its
			// record is a duplicate when its key is taken.
			if d.readings.Get(readingKey(nil, r.Time.UnixMilli(), r.Seq, inc)) != nil {
				res.Duplicates++
				continue
			}
			d.state.Stale++
		} else {
			if d.state.Received.Contains(r.Seq) {
				res.Duplicates++
				continue
			}
			d.state.Received = d.state.Received.Add(one)
		}
		r.Flags &^= telemetry.FutureTime
		if r.Time.After(futureAfter) {
			r.Flags |= telemetry.FutureTime
			d.state.FutureTime++
		}
		if b.Replay {
			d.state.Replayed++
		}
		if res.New == nil { // nil when none is new, as before
			res.New = make([]telemetry.Record, 0, len(b.Records))
		}
		res.New = append(res.New, r)
		if a.dry() {
			continue
		}
		start := len(buf)
		var keyEnd int
		buf, keyEnd = appendRecord(buf, r, inc)
		// Full slice expressions: a later append can never reach a
		// value bbolt holds.
		if err := d.readings.Put(buf[start:keyEnd:keyEnd], buf[keyEnd:len(buf):len(buf)]); err != nil {
			return res, err
		}
		a.sums.record(b.Device, r)
	}
	for _, c := range b.Condensed {
		res.Stored = res.Stored.Add(c.Range)
		var fresh uint64
		if res.Stale {
			// A block is stored whole or not at all: it is a duplicate
			// when its first aggregate's key is taken.
			if fresh = c.Range.Len(); a.hasBlock(b.Device, d, c, inc) {
				fresh = 0
			}
			d.state.Stale += fresh
		} else {
			fresh = c.Range.Len() - d.state.Received.Overlap(c.Range)
			d.state.Received = d.state.Received.Add(c.Range)
		}
		res.Duplicates += int(c.Range.Len() - fresh)
		if fresh == 0 {
			continue
		}
		d.state.Condensed += fresh
		res.Condensed += fresh
		if a.dry() {
			continue
		}
		if err := a.putAggregates(b.Device, d, c, inc); err != nil {
			return res, err
		}
		for _, ag := range c.Aggregates {
			a.sums.aggregate(b.Device, ag)
		}
	}
	d.state.Duplicates += uint64(res.Duplicates)
	bySeq := func(x, y telemetry.Record) int { return cmp.Compare(x.Seq, y.Seq) }
	if !slices.IsSortedFunc(res.New, bySeq) { // a decoded batch's always are
		slices.SortFunc(res.New, bySeq)
	}
	if len(res.New) == 0 {
		res.New = nil // as the contract's other backends say "nothing new"
	}
	return res, nil
}

// hasBlock reports whether c, condensed by the outbox of incarnation inc,
// is stored.
func (a *appender) hasBlock(id string, d *openDevice, c telemetry.Condensed, inc uint64) bool {
	if len(c.Aggregates) == 0 {
		return false
	}
	ab := d.aggregates
	if ab == nil {
		if ab = a.aggregates.Bucket([]byte(id)); ab == nil {
			return false
		}
	}
	return ab.Get(aggregateKey(nil, c.Aggregates[0].Minute.UnixMilli(), c.Range, 0, inc)) != nil
}

func (a *appender) putAggregates(id string, d *openDevice, c telemetry.Condensed, inc uint64) error {
	if d.aggregates == nil {
		ab, err := a.aggregates.CreateBucketIfNotExists([]byte(id))
		if err != nil {
			return err
		}
		d.aggregates = ab
	}
	for i, ag := range c.Aggregates {
		buf, keyLen := appendAggregate(make([]byte, 0, aggregateLen(ag)), c.Range, uint32(i), ag, inc)
		if err := d.aggregates.Put(buf[:keyLen], buf[keyLen:]); err != nil {
			return err
		}
	}
	return nil
}

// flush writes the devices' states, with the transaction's rollup sums
// rolled into their open hours, and merges the closed hours the sums
// close or miss into the rollups bucket.
func (a *appender) flush() error {
	closed := rollupSums{}
	byDevice := a.sums.byDevice()
	for id, d := range a.open {
		d.state.roll(id, byDevice[id], closed)
		if err := a.devices.Put([]byte(id), d.state.encode()); err != nil {
			return fmt.Errorf("device %q: %w", id, err)
		}
	}
	return closed.merge(a.rollups)
}
