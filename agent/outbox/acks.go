package outbox

import (
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/telemetry"
)

// This file is the outbox's side of acknowledgements. An ack takes entries
// out of the queue at once, in memory; their deletion from the file waits
// for the next write transaction (a group commit of appends, as a rule) so
// that it costs no fsync of its own. A deletion lost to a power cut only
// makes the uplink send those entries again, and the collector drops them
// as duplicates of (device, seq): unlike an append, a deletion need not be
// durable when Ack returns.

// defaultAckLinger is how long acknowledged entries wait, by default, for
// a commit of appends to carry their deletion: longer than the sampling
// intervals agents use (seconds to a minute), so that a device's ack rides
// on its next reading's commit.
const defaultAckLinger = time.Minute

// ackedSet is what Ack has taken out of the queue and not yet deleted from
// the file. Its ranges hold whole entries only (a condensed block is in it
// only if all of its range was acknowledged), and nothing but the deletion
// of the set removes or rewrites an entry in it: the committer's
// transactions, condensing and clock correction all delete the set first,
// in their own transaction. So the keys of the file that lie in a lane's
// ranges are exactly the entries the set stands for.
type ackedSet struct {
	lanes   [2]telemetry.Ranges // by Lane
	seqs    uint64              // sequence numbers the entries stand for
	entries int                 // keys, both lanes
}

func (a *ackedSet) empty() bool { return a.entries == 0 }

// holding returns the range of lane's set that holds seq.
func (a *ackedSet) holding(lane Lane, seq uint64) (telemetry.Range, bool) {
	rs := a.lanes[lane]
	i := sort.Search(len(rs), func(i int) bool { return rs[i].Last >= seq })
	if i < len(rs) && rs[i].First <= seq {
		return rs[i], true
	}
	return telemetry.Range{}, false
}

// liveCursor walks a lane skipping the entries of the acknowledged set.
type liveCursor struct {
	c    *bolt.Cursor
	a    *ackedSet
	lane Lane
}

func (a *ackedSet) cursor(tx *bolt.Tx, lane Lane) liveCursor {
	return liveCursor{c: tx.Bucket(lane.bucket()).Cursor(), a: a, lane: lane}
}

// seek moves to the first live entry whose key is seq or after it.
func (l liveCursor) seek(seq uint64) (k, v []byte) { return l.skip(l.c.Seek(seqKey(seq))) }

// next moves to the next live entry.
func (l liveCursor) next() (k, v []byte) { return l.skip(l.c.Next()) }

func (l liveCursor) skip(k, v []byte) ([]byte, []byte) {
	for k != nil {
		r, ok := l.a.holding(l.lane, bigEndian(k))
		if !ok {
			break
		}
		k, v = l.c.Seek(seqKey(r.Last + 1))
	}
	return k, v
}

// Ack takes the entries the collector has stored out of the queue —
// records whose sequence number is in ranges, condensed blocks whose whole
// range is — and returns how many sequence numbers they stand for. From
// then on Pending and Stats no longer see them. Their deletion from the
// file is not durable when Ack returns: it is carried by the next commit
// of appends, or committed alone after Opts.AckLinger, once Opts.MaxGroup
// entries are waiting, or on Close. After a power cut the entries acked
// but not yet deleted are pending again and go out once more, which the
// collector's dedupe by (device, seq) absorbs. Acks may repeat and may
// name sequence numbers never given or already acknowledged.
func (o *Outbox) Ack(ranges telemetry.Ranges) (uint64, error) {
	select {
	case <-o.done:
		return 0, ErrClosed
	default:
	}
	ranges = telemetry.Ranges(nil).Union(ranges) // canonical: no entry is counted twice
	o.leaseMu.Lock()
	type found struct {
		lane Lane
		r    telemetry.Range
	}
	var (
		add     []found
		removed uint64
	)
	err := o.db.View(func(tx *bolt.Tx) error {
		for _, lane := range []Lane{Urgent, Data} {
			c := o.acked.cursor(tx, lane)
			for _, r := range ranges {
				for k, v := c.seek(r.First); k != nil && bigEndian(k) <= r.Last; k, v = c.next() {
					er := telemetry.Range{First: bigEndian(k), Last: bigEndian(k)}
					if len(v) > 0 && v[0] == tagCondensed {
						// Only blocks are decoded: a record's range is
						// its key, and a damaged record must still be
						// deletable.
						e, err := decodeEntry(k, v)
						if err != nil {
							return err
						}
						if er = e.Condensed.Range; !ranges.Covers(telemetry.Ranges{er}) {
							continue
						}
					}
					add = append(add, found{lane, er})
					removed += er.Len()
				}
			}
		}
		return nil
	})
	if err != nil {
		o.leaseMu.Unlock()
		return 0, fmt.Errorf("outbox: ack %v: %w", ranges, err)
	}
	for _, f := range add {
		o.acked.lanes[f.lane] = o.acked.lanes[f.lane].Add(f.r)
	}
	o.acked.seqs += removed
	o.acked.entries += len(add)
	o.leased = o.leased.Subtract(ranges)
	o.leaseMu.Unlock()
	if len(add) == 0 {
		return 0, nil
	}
	if o.o.AckLinger < 0 {
		if err := o.flushAcks(); err != nil {
			return 0, err
		}
		return removed, nil
	}
	select {
	case o.ackKick <- struct{}{}:
	default: // the committer has a kick waiting already
	}
	return removed, nil
}

// deleteAcked deletes the acknowledged entries in tx and takes them off
// the depth. The caller holds leaseMu, and empties the set once tx has
// committed (if tx rolls back, the entries are still in the file and the
// set must stay).
func (o *Outbox) deleteAcked(tx *bolt.Tx) error {
	if o.acked.empty() {
		return nil
	}
	for _, lane := range []Lane{Urgent, Data} {
		b := tx.Bucket(lane.bucket())
		// Collect, then delete: deleting under a cursor and then calling
		// Next is not something bbolt promises to handle.
		var keys [][]byte
		c := b.Cursor()
		for _, r := range o.acked.lanes[lane] {
			for k, _ := c.Seek(seqKey(r.First)); k != nil && bigEndian(k) <= r.Last; k, _ = c.Next() {
				keys = append(keys, append([]byte(nil), k...))
			}
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
	}
	meta := tx.Bucket(bucketMeta)
	return putUint(meta, keyDepth, getUint(meta, keyDepth)-o.acked.seqs)
}

// lockAcked takes leaseMu and reports true when acknowledged entries wait
// for deletion; otherwise it releases leaseMu again at once. The committer
// calls it before a commit of appends: with acknowledged entries waiting,
// it holds leaseMu across the commit that deletes them, so that Pending,
// Ack and Stats never see the file and the set disagree.
func (o *Outbox) lockAcked() bool {
	o.leaseMu.Lock()
	if o.acked.empty() {
		o.leaseMu.Unlock()
		return false
	}
	return true
}

// flushAcks deletes the acknowledged entries in a commit of their own.
func (o *Outbox) flushAcks() error {
	o.leaseMu.Lock()
	defer o.leaseMu.Unlock()
	if o.acked.empty() {
		return nil
	}
	if err := o.update(o.deleteAcked); err != nil {
		return fmt.Errorf("outbox: delete acknowledged entries: %w", err)
	}
	o.acked = ackedSet{}
	return nil
}

// ackedWaiting reports how many acknowledged entries wait for deletion.
func (o *Outbox) ackedWaiting() int {
	o.leaseMu.Lock()
	defer o.leaseMu.Unlock()
	return o.acked.entries
}
