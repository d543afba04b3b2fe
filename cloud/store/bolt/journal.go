package bolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
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
// each batch once, as one value at the end of one append-only bucket (a
// tenth of a page a batch), and judges it against the devices' states
// kept in memory (the mirror), so that Append answers at once what a
// direct write would have. Compaction later moves a partition's batches
// (a 1/journalParts share of the devices, whose journal keys db.pending
// lists) into the indexes in one transaction, with the same code a direct
// write runs, so that a device's several batches share its pages: with
// devices sending every 10 s and each partition compacted every minute,
// six batches share them.
//
// Partitions are in memory and in journal_marks only: the journal is one
// sequence because a bucket a partition made each commit write as many
// partition tails as it had devices (about a page a batch with 1,024 of
// them), a third of the collector's CPU at 100,000 readings/s.
//
// The mirror is the devices bucket with the journal's unapplied batches
// applied. It is built at Open by replaying them over the stored states,
// so a crash loses nothing a committed Append wrote, and compaction,
// which replays the same batches from the same states with the same code,
// stores what Append answered.

// journalParts is the number of journal partitions: a device's batches
// always belong to partition partOf(device), in order, so compacting one
// partition moves whole devices. Part of the schema (journal_marks). With
// 100,000 devices sending every 10 s, a partition compacted every minute
// holds about 600 batches: a compaction holds the single writer for about
// 15 ms (with 256 partitions it was 60 ms, up to 260, and every commit and
// alert queued behind it).
const journalParts = 1024

// part is a journal partition's number; key is its journal_marks key.
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
	var err error
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
		var r telemetry.Record
		if r, rest, err = cutKeyed(rest, readingKeyLen, decodeRecord); err != nil {
			return bad(fmt.Sprintf("device %q: record: %v", device, err))
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
			var a telemetry.Aggregate
			if a, rest, err = cutKeyed(rest, aggregateKeyLen, decodeAggregate); err != nil {
				return bad(fmt.Sprintf("device %q: aggregate: %v", device, err))
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

// cutKeyed splits a length-prefixed key and value (see cutPrefixed) off
// b, the key keyLen bytes long, and decodes them: a record or an
// aggregate as its index stores it.
func cutKeyed[T any](b []byte, keyLen int, decode func(k, v []byte) (T, error)) (T, []byte, error) {
	var zero T
	one, rest, ok := cutPrefixed(b)
	if !ok || len(one) < keyLen {
		return zero, nil, errors.New("truncated")
	}
	v, err := decode(one[:keyLen], one[keyLen:])
	if err != nil {
		return zero, nil, err
	}
	return v, rest, nil
}

// cutPrefixed splits a uvarint-length-prefixed byte string off b.
func cutPrefixed(b []byte) (one, rest []byte, ok bool) {
	n, b, ok := cutUvarint(b)
	if !ok || n > uint64(len(b)) {
		return nil, nil, false
	}
	return b[:n], b[n:], true
}

// journal appends the batches to the journal in tx and returns their
// keys' sequence numbers.
func journal(tx *bbolt.Tx, entries []journalEntry) ([]uint64, error) {
	jb := tx.Bucket(bucketJournal)
	jb.FillPercent = 1 // keys only ever grow
	seqs := make([]uint64, len(entries))
	for i, e := range entries {
		seq, err := jb.NextSequence()
		if err != nil {
			return nil, err
		}
		if err := jb.Put(seqKey(seq), appendEntry(nil, e)); err != nil {
			return nil, fmt.Errorf("device %q: %w", e.batch.Device, err)
		}
		seqs[i] = seq
	}
	return seqs, nil
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// compactIn moves at most limit of the oldest pending batches of each of
// parts (distinct) into the indexes in tx, records in journal_marks how
// far each of those partitions got, deletes the head of the journal that
// no partition needs any more, and returns how many batches of each
// partition it moved: the caller takes them off db.pending once tx has
// committed (took).
func (db *DB) compactIn(tx *bbolt.Tx, parts []part, limit int) (map[part]int, error) {
	jb, marks := tx.Bucket(bucketJournal), tx.Bucket(bucketJournalMarks)
	a := db.newAppender(tx)
	moved := make(map[part]int, len(parts))
	for _, p := range parts {
		seqs := db.pending[p]
		if len(seqs) > limit {
			seqs = seqs[:limit]
		}
		if len(seqs) == 0 {
			continue
		}
		for _, seq := range seqs {
			v := jb.Get(seqKey(seq))
			if v == nil {
				return nil, fmt.Errorf("%w: journal entry %d of partition %d is missing", ErrCorrupt, seq, p)
			}
			e, err := decodeEntry(v)
			if err != nil {
				return nil, fmt.Errorf("journal entry %d: %w", seq, err)
			}
			if partOf(e.batch.Device) != p {
				return nil, fmt.Errorf("%w: journal entry %d of partition %d is device %q's, of partition %d",
					ErrCorrupt, seq, p, e.batch.Device, partOf(e.batch.Device))
			}
			if _, err := a.batch(e.batch, e.arrived, e.futureAfter); err != nil {
				return nil, fmt.Errorf("journal entry %d: device %q: %w", seq, e.batch.Device, err)
			}
		}
		if err := marks.Put(p.key(), seqKey(seqs[len(seqs)-1])); err != nil {
			return nil, err
		}
		moved[p] = len(seqs)
	}
	if len(moved) == 0 {
		return moved, nil
	}
	if err := a.flush(); err != nil {
		return nil, err
	}
	// Every entry before the oldest one still pending has been applied.
	low := uint64(math.MaxUint64)
	for q := range db.pending {
		if rest := db.pending[q][moved[part(q)]:]; len(rest) > 0 {
			low = min(low, rest[0])
		}
	}
	c := jb.Cursor()
	for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) < low; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return nil, err
		}
	}
	return moved, nil
}

// took takes what compactIn moved off db.pending.
func (db *DB) took(moved map[part]int) {
	for p, n := range moved {
		if db.pending[p] = db.pending[p][n:]; len(db.pending[p]) == 0 {
			db.pending[p] = nil // let the array go
		}
	}
}

// load builds the mirror: the stored device states, then the journal's
// batches that no compaction has applied (journal_marks) judged over them
// in the order they were journaled; those become db.pending.
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
		var marks [journalParts]uint64
		err = tx.Bucket(bucketJournalMarks).ForEach(func(k, v []byte) error {
			if len(k) != 2 || binary.BigEndian.Uint16(k) >= journalParts || len(v) != 8 {
				return fmt.Errorf("%w: journal mark %x = %x", ErrCorrupt, k, v)
			}
			marks[binary.BigEndian.Uint16(k)] = binary.BigEndian.Uint64(v)
			return nil
		})
		if err != nil {
			return err
		}
		a := &appender{mirror: db.mirror, open: make(map[string]*openDevice)}
		err = tx.Bucket(bucketJournal).ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("%w: journal key %x", ErrCorrupt, k)
			}
			seq := binary.BigEndian.Uint64(k)
			e, err := decodeEntry(v)
			if err != nil {
				return fmt.Errorf("journal entry %d: %w", seq, err)
			}
			p := partOf(e.batch.Device)
			if seq <= marks[p] {
				return nil // applied; kept until the partitions before it are
			}
			if _, err := a.batch(e.batch, e.arrived, e.futureAfter); err != nil {
				// A journaled batch was judged without the stored keys
				// once; it must be again.
				return fmt.Errorf("%w: journal entry %d: device %q: %w", ErrCorrupt, seq, e.batch.Device, err)
			}
			db.pending[p] = append(db.pending[p], seq)
			return nil
		})
		db.adopt(a.open)
		return err
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
		if len(db.pending[p]) > 0 {
			_, _ = db.compact(part(p), maxCompact)
		}
		db.mu.Unlock()
	}
}

// compact runs one compaction transaction of partition p, moving at most
// limit batches. db.mu must be held.
func (db *DB) compact(p part, limit int) (int, error) {
	var moved map[part]int
	err := db.update("compact journal", func(tx *bbolt.Tx) error {
		var err error
		moved, err = db.compactIn(tx, []part{p}, limit)
		return err
	})
	if err != nil {
		return 0, err
	}
	db.took(moved)
	return moved[p], nil
}

// settle compacts the partitions of devices, or every partition when
// devices is empty, until they hold nothing that was journaled before
// settle began: what a read of the indexes must wait for. It takes db.mu
// for one compaction at a time, so that Append goes on between them: a
// district's compliance query settles most partitions, a minute of a
// city's journal, which held the commits, and so every ack and alert,
// for seconds when settle held db.mu throughout. What is journaled while
// it runs is newer than the read and stays in the journal.
func (db *DB) settle(devices ...string) error {
	var parts []part
	var listed [journalParts]bool
	for _, id := range devices {
		if p := partOf(id); !listed[p] {
			listed[p] = true
			parts = append(parts, p)
		}
	}
	if len(devices) == 0 {
		for p := range journalParts {
			parts = append(parts, part(p))
		}
	}
	db.mu.Lock()
	until := make([]uint64, len(parts)) // the last seq of each partition to compact; 0: none
	for i, p := range parts {
		if q := db.pending[p]; len(q) > 0 {
			until[i] = q[len(q)-1]
		}
	}
	db.mu.Unlock()
	for i, p := range parts {
		for until[i] > 0 {
			db.mu.Lock()
			q := db.pending[p]
			due := len(q) > 0 && q[0] <= until[i]
			var err error
			if due {
				_, err = db.compact(p, maxCompact)
			}
			db.mu.Unlock()
			switch {
			case err != nil:
				return err
			case !due:
				until[i] = 0
			case db.settled != nil:
				db.settled(p)
			}
		}
	}
	return nil
}

// clone returns a copy of s that shares no memory with it, without its
// open hours.
func (s *deviceState) clone() deviceState {
	c := *s
	c.Received = slices.Clone(s.Received)
	c.Previous = slices.Clone(s.Previous)
	c.open = nil
	return c
}

// Compact moves every batch journaled before the call into the indexes
// now: before a backup or a downgrade to a build without the journal
// (with the collector stopped, that empties the journal). Reads do what
// they need of it themselves.
func (db *DB) Compact(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt: compact: %w", err)
	}
	return db.settle()
}
