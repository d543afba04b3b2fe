package outbox

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Lane is one of the outbox's two queues.
type Lane int

const (
	Urgent Lane = iota // events: always sent first
	Data               // measurements
)

func (l Lane) bucket() []byte {
	if l == Urgent {
		return bucketUrgent
	}
	return bucketData
}

func (l Lane) String() string {
	if l == Urgent {
		return "urgent"
	}
	return "data"
}

// Entry is one item of a lane: a raw record or a condensed block. Exactly
// one of Record and Condensed is set.
type Entry struct {
	Record    *telemetry.Record
	Condensed *telemetry.Condensed
}

// Range is the sequence numbers the entry stands for.
func (e Entry) Range() telemetry.Range {
	if e.Record != nil {
		return telemetry.Range{First: e.Record.Seq, Last: e.Record.Seq}
	}
	return e.Condensed.Range
}

// Size is how much of a batch the entry takes: 1 for a record, the number
// of aggregates for a condensed block.
func (e Entry) Size() int {
	if e.Record != nil {
		return 1
	}
	return len(e.Condensed.Aggregates)
}

func decodeEntry(k, v []byte) (Entry, error) {
	if len(v) == 0 {
		return Entry{}, fmt.Errorf("entry %d is empty", binary.BigEndian.Uint64(k))
	}
	switch v[0] {
	case tagRecord:
		r, err := telemetry.UnmarshalRecord(v[1:])
		if err != nil {
			return Entry{}, fmt.Errorf("record %d: %w", binary.BigEndian.Uint64(k), err)
		}
		return Entry{Record: &r}, nil
	case tagCondensed:
		c, err := telemetry.UnmarshalCondensed(v[1:])
		if err != nil {
			return Entry{}, fmt.Errorf("condensed block at %d: %w", binary.BigEndian.Uint64(k), err)
		}
		return Entry{Condensed: &c}, nil
	}
	return Entry{}, fmt.Errorf("entry %d has unknown tag %q", binary.BigEndian.Uint64(k), v[0])
}

// Pending returns the lane's entries whose first sequence number lies in
// (after, before) — before 0 means no upper bound — in ascending order,
// taking up to max batch slots (see Entry.Size; at least one entry is
// returned when any is pending). Acknowledged entries are not pending,
// even while their deletion waits for a commit (see Ack). The entries are
// leased: they will not be condensed until they are acknowledged. A batch
// given up on (ack timeout, reconnect) keeps its leases, since it may
// still be on the wire; the set stays small because the uplink only ever
// leases its in-flight window, and re-sends lease the same oldest entries
// again.
func (o *Outbox) Pending(lane Lane, after, before uint64, max int) ([]Entry, error) {
	o.leaseMu.Lock()
	defer o.leaseMu.Unlock()
	var out []Entry
	size := 0
	err := o.db.View(func(tx *bolt.Tx) error {
		c := o.acked.cursor(tx, lane)
		for k, v := c.seek(after + 1); k != nil; k, v = c.next() {
			if before != 0 && binary.BigEndian.Uint64(k) >= before {
				break
			}
			e, err := decodeEntry(k, v)
			if err != nil {
				return err
			}
			if len(out) > 0 && size+e.Size() > max {
				break
			}
			out = append(out, e)
			size += e.Size()
			if size >= max {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: pending %s: %w", lane, err)
	}
	for _, e := range out {
		o.leased = o.leased.Add(e.Range())
	}
	return out, nil
}

// Stats describes the outbox at one moment.
type Stats struct {
	Depth       uint64    // sequence numbers waiting for acknowledgement, raw and condensed
	UrgentDepth uint64    // of which events in the urgent lane
	OldestSeq   uint64    // lowest waiting sequence number; 0 when empty
	OldestTime  time.Time // time of the oldest waiting raw reading; zero when none
	NextSeq     uint64    // the sequence number the next reading gets
	Condensed   uint64    // readings condensed into aggregates since the outbox was created
	Budget      int64     // the byte budget; 0 means none
	UsedBytes   int64     // bytes of the file in use (file size less free pages)
	FileBytes   int64     // the file's size
	OverBudget  uint64    // times the budget could not be met by condensing
	Commits     uint64    // write transactions committed since Open (each fsyncs the file twice)
	// AckedUndeleted is the sequence numbers acknowledged whose deletion
	// from the file waits for the next commit (see Ack); they are not in
	// Depth. A power cut would send them again.
	AckedUndeleted uint64
	LastError      string // the last failure of background work (condensing, deleting acknowledged entries), "" if none
}

// Stats reads the outbox's counters. Acknowledged entries are not counted,
// even while their deletion waits for a commit (see Ack).
func (o *Outbox) Stats() (Stats, error) {
	s := Stats{Budget: o.o.Budget}
	o.leaseMu.Lock()
	defer o.leaseMu.Unlock()
	err := o.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		s.Depth, s.NextSeq, s.Condensed = getUint(meta, keyDepth)-o.acked.seqs, getUint(meta, keyNextSeq), getUint(meta, keyCondensed)
		// The urgent lane holds records only: one key per sequence number.
		s.UrgentDepth = uint64(tx.Bucket(bucketUrgent).Stats().KeyN) - o.acked.lanes[Urgent].Count()
		s.AckedUndeleted = o.acked.seqs
		for _, lane := range []Lane{Urgent, Data} {
			k, v := o.acked.cursor(tx, lane).seek(0)
			if k == nil {
				continue
			}
			if seq := binary.BigEndian.Uint64(k); s.OldestSeq == 0 || seq < s.OldestSeq {
				s.OldestSeq = seq
			}
			if e, err := decodeEntry(k, v); err == nil && e.Record != nil {
				if s.OldestTime.IsZero() || e.Record.Time.Before(s.OldestTime) {
					s.OldestTime = e.Record.Time
				}
			} else if err == nil {
				for _, a := range e.Condensed.Aggregates {
					if s.OldestTime.IsZero() || a.Minute.Before(s.OldestTime) {
						s.OldestTime = a.Minute
					}
				}
			}
		}
		s.FileBytes, s.UsedBytes = o.sizes(tx)
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("outbox: stats: %w", err)
	}
	s.OverBudget = o.budget.over.Load()
	s.Commits = o.commits.Load()
	if p := o.budget.lastErr.Load(); p != nil {
		s.LastError = *p
	}
	return s, nil
}
