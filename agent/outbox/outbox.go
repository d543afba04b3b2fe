package outbox

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/telemetry"
)

const schemaVersion = 1

var (
	bucketMeta = []byte("meta")
	bucketData = []byte("data")
	keySchema  = []byte("schema")
	keyNextSeq = []byte("next_seq")
	keyDepth   = []byte("depth")
)

// ErrClosed is returned by an outbox used after Close.
var ErrClosed = errors.New("outbox: closed")

// Opts tunes an outbox. The zero value of each field means its default.
type Opts struct {
	// LockTimeout is how long Open waits for another process to release
	// the file. 0 means 1 s.
	LockTimeout time.Duration
	// MaxGroup is the most readings one commit takes. 0 means 4096.
	MaxGroup int
}

// Outbox is a durable queue of readings numbered by sequence. It is safe
// for concurrent use.
type Outbox struct {
	db       *bolt.DB
	path     string
	maxGroup int
	reqs     chan *appendReq

	closeOnce sync.Once
	done      chan struct{} // closed by Close to stop the committer
	stopped   chan struct{} // closed by the committer when it returns
}

type appendReq struct {
	readings []telemetry.Reading
	first    uint64
	err      error
	done     chan struct{}
}

// Open opens or creates the outbox file at path and starts the goroutine
// that commits appends; Close stops it.
func Open(path string, opts *Opts) (*Outbox, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Second
	}
	if o.MaxGroup <= 0 {
		o.MaxGroup = 4096
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.LockTimeout})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("outbox: open %s: another process holds the file lock (is a second agent running?)", path)
		}
		return nil, fmt.Errorf("outbox: open %s: %w", path, err)
	}
	if err := db.Update(initSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("outbox: open %s: %w", path, err)
	}
	ob := &Outbox{
		db: db, path: path, maxGroup: o.MaxGroup,
		reqs:    make(chan *appendReq),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go ob.commitLoop()
	return ob, nil
}

func initSchema(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	if _, err := tx.CreateBucketIfNotExists(bucketData); err != nil {
		return err
	}
	switch v := getUint(meta, keySchema); v {
	case 0:
		if err := putUint(meta, keySchema, schemaVersion); err != nil {
			return err
		}
		return putUint(meta, keyNextSeq, 1)
	case schemaVersion:
		return nil
	default:
		return fmt.Errorf("schema version %d is not one this build reads (%d)", v, schemaVersion)
	}
}

// Append commits readings and returns the range of sequence numbers they
// were given, in order. When Append returns nil the readings are on disk.
func (o *Outbox) Append(ctx context.Context, readings ...telemetry.Reading) (telemetry.Range, error) {
	if len(readings) == 0 {
		return telemetry.Range{}, errors.New("outbox: append of no readings")
	}
	req := &appendReq{readings: readings, done: make(chan struct{})}
	select {
	case o.reqs <- req:
	case <-o.done:
		return telemetry.Range{}, ErrClosed
	case <-ctx.Done():
		return telemetry.Range{}, ctx.Err()
	}
	// Once taken, a request is always answered: the commit may already be
	// under way, so the caller must learn its outcome.
	<-req.done
	if req.err != nil {
		return telemetry.Range{}, req.err
	}
	return telemetry.Range{First: req.first, Last: req.first + uint64(len(readings)) - 1}, nil
}

func (o *Outbox) commitLoop() {
	defer close(o.stopped)
	for {
		var first *appendReq
		select {
		case first = <-o.reqs:
		case <-o.done:
			return
		}
		group, n := []*appendReq{first}, len(first.readings)
	gather:
		for n < o.maxGroup {
			select {
			case r := <-o.reqs:
				group = append(group, r)
				n += len(r.readings)
			default:
				break gather
			}
		}
		err := o.commit(group)
		for _, r := range group {
			if err != nil {
				r.err = err
			}
			close(r.done)
		}
	}
}

func (o *Outbox) commit(group []*appendReq) error {
	err := o.db.Update(func(tx *bolt.Tx) error {
		meta, data := tx.Bucket(bucketMeta), tx.Bucket(bucketData)
		next := getUint(meta, keyNextSeq)
		var added uint64
		for _, r := range group {
			r.first = next
			for _, rd := range r.readings {
				v, err := telemetry.MarshalRecord(telemetry.Record{Seq: next, Reading: rd})
				if err != nil {
					return err
				}
				if err := data.Put(seqKey(next), v); err != nil {
					return err
				}
				next++
				added++
			}
		}
		if err := putUint(meta, keyNextSeq, next); err != nil {
			return err
		}
		return putUint(meta, keyDepth, getUint(meta, keyDepth)+added)
	})
	if err != nil {
		return fmt.Errorf("outbox: commit: %w", err)
	}
	return nil
}

// Pending returns up to max records with sequence numbers above after, in
// ascending order.
func (o *Outbox) Pending(after uint64, max int) ([]telemetry.Record, error) {
	var recs []telemetry.Record
	err := o.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketData).Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(recs) < max; k, v = c.Next() {
			r, err := telemetry.UnmarshalRecord(v)
			if err != nil {
				return fmt.Errorf("record %d: %w", binary.BigEndian.Uint64(k), err)
			}
			recs = append(recs, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: pending: %w", err)
	}
	return recs, nil
}

// Ack deletes the records in ranges, which the collector has stored, and
// returns how many it deleted. Ranges that hold records already deleted,
// or never given, are ignored: acknowledgements may repeat.
func (o *Outbox) Ack(ranges telemetry.Ranges) (int, error) {
	var deleted uint64
	err := o.db.Update(func(tx *bolt.Tx) error {
		meta, data := tx.Bucket(bucketMeta), tx.Bucket(bucketData)
		c := data.Cursor()
		for _, r := range ranges {
			for k, _ := c.Seek(seqKey(r.First)); k != nil && binary.BigEndian.Uint64(k) <= r.Last; k, _ = c.Next() {
				if err := c.Delete(); err != nil {
					return err
				}
				deleted++
			}
		}
		if deleted == 0 {
			return nil
		}
		return putUint(meta, keyDepth, getUint(meta, keyDepth)-deleted)
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: ack %v: %w", ranges, err)
	}
	return int(deleted), nil
}

// Stats describes the outbox at one moment.
type Stats struct {
	Depth     uint64 // records waiting for acknowledgement
	OldestSeq uint64 // lowest waiting sequence number; 0 when empty
	NextSeq   uint64 // the sequence number the next reading gets
}

// Stats reads the outbox's counters.
func (o *Outbox) Stats() (Stats, error) {
	var s Stats
	err := o.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		s.Depth, s.NextSeq = getUint(meta, keyDepth), getUint(meta, keyNextSeq)
		if k, _ := tx.Bucket(bucketData).Cursor().First(); k != nil {
			s.OldestSeq = binary.BigEndian.Uint64(k)
		}
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("outbox: stats: %w", err)
	}
	return s, nil
}

// Path is the outbox's file.
func (o *Outbox) Path() string { return o.path }

// Close stops the committer, waiting for a commit in progress, and closes
// the file. It is idempotent.
func (o *Outbox) Close() error {
	var err error
	o.closeOnce.Do(func() {
		close(o.done)
		<-o.stopped
		if cerr := o.db.Close(); cerr != nil {
			err = fmt.Errorf("outbox: close %s: %w", o.path, cerr)
		}
	})
	return err
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func getUint(b *bolt.Bucket, k []byte) uint64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func putUint(b *bolt.Bucket, k []byte, v uint64) error {
	return b.Put(k, binary.BigEndian.AppendUint64(nil, v))
}
