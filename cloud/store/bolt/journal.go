package bolt

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/telemetry"
)

// The journal (schema 6). Under a city's load an Append of a thousand
// batches from devices at random phases touches a thousand devices'
// pages: each batch costs the leaf of its device's readings, that
// bucket's root and header, and the leaf of its state, 4 to 5 pages that
// bbolt copies and writes, whatever the batch's size. The journal writes
// each batch once, as one value at the end of one of journalParts
// append-only buckets (a tenth of a page a batch), and judges it against
// the devices' states kept in memory (the mirror), so that Append answers
// at once what a direct write would have. Compaction later moves a
// partition's batches into the indexes in one transaction, with the same
// code a direct write runs, so that a device's several batches share its
// pages: with devices sending every 10 s and each partition compacted
// every minute, six batches share them.
//
// The mirror is the devices bucket with the journal's batches applied. It
// is built at Open by replaying the journal over the stored states, so a
// crash loses nothing a committed Append wrote, and compaction, which
// replays the same batches from the same states with the same code,
// stores what Append answered.

// journalParts is the number of journal partitions: a device's batches
// always go to partition partOf(device), in order, so compacting one
// partition moves whole devices. Part of the schema. With 100,000 devices
// sending every 10 s, a partition compacted every minute holds about 600
// batches: a compaction holds the single writer for about 15 ms (with 256
// partitions it was 60 ms, up to 260, and every commit and alert queued
// behind it).
const journalParts = 1024

// part is a journal partition's number; its bucket's name is partKey.
type part uint16

func (p part) key() []byte { return binary.BigEndian.AppendUint16(nil, uint16(p)) }

// DefaultCompactEvery is how often each journal partition is compacted by
// default.
const DefaultCompactEvery = time.Minute

// maxCompact bounds the batches one compaction transaction moves, so that
// a partition grown large (a long outage's backlog) does not hold the
// single writer, or the memory of one transaction, for long.
const maxCompact = 20_000

// partOf is the journal partition of device id.
func partOf(id string) part {
	h := fnv.New32a()
	h.Write([]byte(id))
	return part(h.Sum32() % journalParts)
}

// journalEntry is one journaled batch with what Append judged it by.
type journalEntry struct {
	arrived     time.Time // the collector's clock at arrival: the device's LastSeen
	futureAfter time.Time // records after this were flagged FutureTime
	batch       telemetry.Batch
}

// Journal entry flags.
const entryReplay = 1

// appendEntry appends the encoding of e to dst: arrived and futureAfter
// as Unix nanoseconds (big-endian int64 each), the device id (uvarint
// length and bytes), the incarnation (big-endian uint64), a flags byte
// (bit 0: Replay), the number of records (uvarint) and each record as its
// length (uvarint) and its reading key (without incarnation) and value
// (see appendRecord), then the number of condensed blocks (uvarint) and
// for each its first and last sequence numbers and its number of
// aggregates (uvarint each) and each aggregate as its length (uvarint)
// and its aggregate key (without incarnation) and value (see
// appendAggregate).
func appendEntry(dst []byte, e journalEntry) []byte {
	b := e.batch
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.arrived.UnixNano()))
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.futureAfter.UnixNano()))
	dst = appendString(dst, b.Device)
	dst = binary.BigEndian.AppendUint64(dst, b.Incarnation)
	var flags byte
	if b.Replay {
		flags |= entryReplay
	}
	dst = append(dst, flags)
	dst = binary.AppendUvarint(dst, uint64(len(b.Records)))
	var one []byte // scratch
	for _, r := range b.Records {
		one, _ = appendRecord(one[:0], r, 0)
		dst = appendPrefixed(dst, one)
	}
	dst = binary.AppendUvarint(dst, uint64(len(b.Condensed)))
	for _, c := range b.Condensed {
		dst = binary.AppendUvarint(dst, c.Range.First)
		dst = binary.AppendUvarint(dst, c.Range.Last)
		dst = binary.AppendUvarint(dst, uint64(len(c.Aggregates)))
		for i, a := range c.Aggregates {
			one, _ = appendAggregate(one[:0], c.Range, uint32(i), a, 0)
			dst = appendPrefixed(dst, one)
		}
	}
	return dst
}

// appendPrefixed appends one, preceded by its length as a uvarint.
func appendPrefixed(dst, one []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(one)))
	return append(dst, one...)
}

// decodeEntry parses what appendEntry wrote.
func decodeEntry(v []byte) (journalEntry, error) {
	var e journalEntry
	bad := func(what string) (journalEntry, error) {
		return journalEntry{}, fmt.Errorf("%w: journal entry: %s", ErrCorrupt, what)
	}
	if len(v) < 16 {
		return bad(fmt.Sprintf("%d bytes", len(v)))
	}
	e.arrived = time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC()
	e.futureAfter = time.Unix(0, int64(binary.BigEndian.Uint64(v[8:]))).UTC()
	device, rest, ok := cutString(v[16:])
	if !ok || len(rest) < 9 {
		return bad("bad device id")
	}
	b := telemetry.Batch{Device: device, Incarnation: binary.BigEndian.Uint64(rest), Replay: rest[8]&entryReplay != 0}
	rest = rest[9:]
	n, rest, ok := cutUvarint(rest)
	if !ok || n > uint64(len(rest)) {
		return bad("bad record count")
	}
	if n > 0 {
		b.Records = make([]telemetry.Record, 0, n)
	}
	for range n {
		var one []byte
		if one, rest, ok = cutPrefixed(rest); !ok || len(one) < readingKeyLen {
			return bad(fmt.Sprintf("device %q: bad record", device))
		}
		r, err := decodeRecord(one[:readingKeyLen], one[readingKeyLen:])
		if err != nil {
			return journalEntry{}, fmt.Errorf("journal entry: device %q: %w", device, err)
		}
		b.Records = append(b.Records, r)
	}
	if n, rest, ok = cutUvarint(rest); !ok || n > uint64(len(rest)) {
		return bad(fmt.Sprintf("device %q: bad block count", device))
	}
	for range n {
		var c telemetry.Condensed
		var count uint64
		c.Range.First, rest, ok = cutUvarint(rest)
		if ok {
			c.Range.Last, rest, ok = cutUvarint(rest)
		}
		if ok {
			count, rest, ok = cutUvarint(rest)
		}
		if !ok || count > uint64(len(rest)) {
			return bad(fmt.Sprintf("device %q: bad condensed block", device))
		}
		for range count {
			var one []byte
			if one, rest, ok = cutPrefixed(rest); !ok || len(one) < aggregateKeyLen {
				return bad(fmt.Sprintf("device %q: bad aggregate", device))
			}
			a, err := decodeAggregate(one[:aggregateKeyLen], one[aggregateKeyLen:])
			if err != nil {
				return journalEntry{}, fmt.Errorf("journal entry: device %q: %w", device, err)
			}
			c.Aggregates = append(c.Aggregates, a)
		}
		b.Condensed = append(b.Condensed, c)
	}
	if len(rest) != 0 {
		return bad(fmt.Sprintf("device %q: %d bytes after the last block", device, len(rest)))
	}
	e.batch = b
	return e, nil
}

// cutPrefixed splits a uvarint-length-prefixed byte string off b.
func cutPrefixed(b []byte) (one, rest []byte, ok bool) {
	n, b, ok := cutUvarint(b)
	if !ok || n > uint64(len(b)) {
		return nil, nil, false
	}
	return b[:n], b[n:], true
}

// journal appends the batches to their partitions in tx.
func journal(tx *bbolt.Tx, entries []journalEntry) error {
	top := tx.Bucket(bucketJournal)
	var parts [journalParts]*bbolt.Bucket
	for _, e := range entries {
		p := partOf(e.batch.Device)
		b := parts[p]
		if b == nil {
			var err error
			if b, err = top.CreateBucketIfNotExists(p.key()); err != nil {
				return err
			}
			b.FillPercent = 1 // keys only ever grow
			parts[p] = b
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := b.Put(binary.BigEndian.AppendUint64(nil, seq), appendEntry(nil, e)); err != nil {
			return fmt.Errorf("device %q: %w", e.batch.Device, err)
		}
	}
	return nil
}

// compactPart moves at most limit of partition p's oldest batches into
// the indexes in tx and returns how many it moved.
func (db *DB) compactPart(tx *bbolt.Tx, p part, limit int) (int, error) {
	top := tx.Bucket(bucketJournal)
	jb := top.Bucket(p.key())
	if jb == nil {
		return 0, nil
	}
	a := db.newAppender(tx)
	c := jb.Cursor()
	n := 0
	var last []byte
	k, v := c.First()
	for ; k != nil && n < limit; k, v = c.Next() {
		e, err := decodeEntry(v)
		if err != nil {
			return 0, fmt.Errorf("journal partition %d, entry %x: %w", p, k, err)
		}
		if _, err := a.batch(e.batch, e.arrived, e.futureAfter); err != nil {
			return 0, fmt.Errorf("journal partition %d: device %q: %w", p, e.batch.Device, err)
		}
		last = k
		n++
	}
	if err := a.flush(); err != nil {
		return 0, err
	}
	if k == nil && n > 0 {
		// All of it: dropping the bucket frees its pages unread.
		return n, top.DeleteBucket(p.key())
	}
	// Only the head: delete it key by key (a cursor's Delete moves it on).
	last = append([]byte(nil), last...)
	for k, _ := c.First(); k != nil && string(k) <= string(last); k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// load builds the mirror: the stored device states, then the journal's
// batches judged over them in the order they were journaled.
func (db *DB) load() error {
	return db.bdb.View(func(tx *bbolt.Tx) error {
		err := tx.Bucket(bucketDevices).ForEach(func(k, v []byte) error {
			s, err := decodeDeviceState(v)
			if err != nil {
				return fmt.Errorf("device %q: %w", k, err)
			}
			s.open = nil
			db.mirror[string(k)] = &s
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketJournal).ForEachBucket(func(name []byte) error {
			if len(name) != 2 || binary.BigEndian.Uint16(name) >= journalParts {
				return fmt.Errorf("%w: journal partition %x", ErrCorrupt, name)
			}
			p := part(binary.BigEndian.Uint16(name))
			a := &appender{mirror: db.mirror, open: make(map[string]*openDevice)}
			err := tx.Bucket(bucketJournal).Bucket(name).ForEach(func(k, v []byte) error {
				e, err := decodeEntry(v)
				if err != nil {
					return fmt.Errorf("journal partition %d, entry %x: %w", p, k, err)
				}
				if _, err := a.batch(e.batch, e.arrived, e.futureAfter); err != nil {
					// A journaled batch was judged without the stored
					// keys once; it must be again.
					return fmt.Errorf("%w: journal partition %d, entry %x: device %q: %w", ErrCorrupt, p, k, e.batch.Device, err)
				}
				if partOf(e.batch.Device) != p {
					return fmt.Errorf("%w: journal partition %d holds device %q of partition %d", ErrCorrupt, p, e.batch.Device, partOf(e.batch.Device))
				}
				db.pending[p]++
				return nil
			})
			db.adopt(a.open)
			return err
		})
	})
}

// compactor compacts one journal partition in turn, each every period,
// until Close. A failed compaction is tried again on the partition's next
// turn; a read that needs the partition meets the error itself.
func (db *DB) compactor(period time.Duration) {
	defer close(db.done)
	tick := time.NewTicker(max(period/journalParts, time.Millisecond))
	defer tick.Stop()
	for p := 0; ; p = (p + 1) % journalParts {
		select {
		case <-db.stop:
			return
		case <-tick.C:
		}
		db.mu.Lock()
		if db.pending[p] > 0 {
			_, _ = db.compact(part(p), maxCompact)
		}
		db.mu.Unlock()
	}
}

// compact runs one compaction transaction of partition p, moving at most
// limit batches. db.mu must be held.
func (db *DB) compact(p part, limit int) (int, error) {
	var n int
	err := db.update("compact journal", func(tx *bbolt.Tx) error {
		var err error
		n, err = db.compactPart(tx, p, limit)
		return err
	})
	if err != nil {
		return 0, err
	}
	db.pending[p] -= n
	return n, nil
}

// settle compacts the partitions of devices, or every partition when
// devices is empty, until they hold nothing: what a read of the indexes
// must wait for.
func (db *DB) settle(devices ...string) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	var parts []part
	if len(devices) == 0 {
		for p := range journalParts {
			parts = append(parts, part(p))
		}
	}
	for _, id := range devices {
		parts = append(parts, partOf(id))
	}
	for _, p := range parts {
		for db.pending[p] > 0 {
			n, err := db.compact(p, maxCompact)
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("bolt: journal partition %d: %d batches counted, none found", p, db.pending[p])
			}
		}
	}
	return nil
}

// clone returns a copy of s that shares no memory with it, without its
// open hours.
func (s *deviceState) clone() deviceState {
	c := *s
	c.received = slices.Clone(s.received)
	c.previous = slices.Clone(s.previous)
	c.open = nil
	return c
}

// Compact moves every journaled batch into the indexes now: before a
// backup or a downgrade to a build without the journal. Reads do what
// they need of it themselves.
func (db *DB) Compact(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt: compact: %w", err)
	}
	return db.settle()
}
