package outbox

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/telemetry"
)

const schemaVersion = 1

var (
	bucketMeta   = []byte("meta")
	bucketUrgent = []byte("urgent")
	bucketData   = []byte("data")
	keySchema    = []byte("schema")
	keyNextSeq   = []byte("next_seq")
	keyDepth     = []byte("depth")
	keyCondensed = []byte("condensed")
	keyIncarn    = []byte("incarnation")
)

// Entry tags, the first byte of every value in a lane bucket.
const (
	tagRecord    = 'R'
	tagCondensed = 'C'
)

// ErrClosed is returned by an outbox used after Close.
var ErrClosed = errors.New("outbox: closed")

// Opts tunes an outbox. The zero value of each field means its default.
type Opts struct {
	// LockTimeout is how long Open waits for another process to release
	// the file. 0 means 1 s.
	LockTimeout time.Duration
	// MaxGroup is the most readings one commit takes, and the most
	// acknowledged entries that wait for a commit to delete them before
	// they are deleted in one of their own. 0 means 4096.
	MaxGroup int
	// Budget is the most bytes the file may take on disk. 0 means no
	// budget. Budgets below 1 MiB are raised to 1 MiB: bbolt needs room
	// for its own pages.
	Budget int64
	// Linger is how long the committer waits for more appends before
	// committing a group that is not full. 0 commits at once; a few
	// milliseconds trade latency for fewer fsyncs under many writers.
	Linger time.Duration
	// AckLinger is how long acknowledged entries may wait for a commit of
	// appends to carry their deletion before they are deleted in a commit
	// of their own (see Ack). 0 means 1 min, longer than agents' sampling
	// intervals, so that each ack rides on the next reading's commit.
	// Negative deletes them in Ack, one commit per ack.
	AckLinger time.Duration
}

// Outbox is a durable queue of readings numbered by sequence. It is safe
// for concurrent use.
type Outbox struct {
	db   *bolt.DB
	path string
	o    Opts
	reqs chan *appendReq

	// leaseMu guards leased and acked. It is held across every read that
	// leases entries and across every condensing transaction, so that an
	// entry is never condensed between being read and being leased, and
	// across every transaction that deletes acked, so that the file and
	// acked are seen together.
	leaseMu sync.Mutex
	leased  telemetry.Ranges
	acked   ackedSet
	// ackKick tells the committer that acked has grown.
	ackKick chan struct{}

	// incarnation is meta's, read once at Open: it never changes.
	incarnation uint64

	// commits counts the write transactions committed since Open: each
	// is two fdatasyncs in bbolt (the pages, then the meta page).
	commits atomic.Uint64

	closeOnce sync.Once
	done      chan struct{} // closed by Close to stop the committer
	stopped   chan struct{} // closed by the committer when it returns
	budget    budgetState
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
	if o.AckLinger == 0 {
		o.AckLinger = defaultAckLinger
	}
	if o.Budget > 0 && o.Budget < minBudget {
		o.Budget = minBudget
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.LockTimeout})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("outbox: open %s: another process holds the file lock (is a second agent running?)", path)
		}
		return nil, fmt.Errorf("outbox: open %s: %w", path, err)
	}
	if o.Budget > 0 {
		// Grow the file in small steps so that it tracks the bytes in use
		// (bbolt's default step is 16 MiB).
		db.AllocSize = int(allocStep(o.Budget))
	}
	var incarnation uint64
	err = db.Update(func(tx *bolt.Tx) error {
		if err := initSchema(tx); err != nil {
			return err
		}
		var err error
		incarnation, err = ensureIncarnation(tx.Bucket(bucketMeta))
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("outbox: open %s: %w", path, err)
	}
	ob := &Outbox{
		db: db, path: path, o: o, incarnation: incarnation,
		reqs:    make(chan *appendReq),
		ackKick: make(chan struct{}, 1),
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
	for _, b := range [][]byte{bucketUrgent, bucketData} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
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

// ensureIncarnation returns the file's incarnation, drawing and storing
// one when the file has none: a new file, or one written before
// incarnations (whose sequence numbers the collector already knows under
// incarnation 0, which it lets a device's first real incarnation adopt).
func ensureIncarnation(meta *bolt.Bucket) (uint64, error) {
	if v := getUint(meta, keyIncarn); v != 0 {
		return v, nil
	}
	v, err := newIncarnation()
	if err != nil {
		return 0, err
	}
	return v, putUint(meta, keyIncarn, v)
}

// newIncarnation draws a random non-zero number: random rather than
// counted, because the file that would hold a counter is the very thing
// that gets replaced.
func newIncarnation() (uint64, error) {
	var b [8]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("draw incarnation: %w", err)
		}
		if v := binary.BigEndian.Uint64(b[:]); v != 0 {
			return v, nil
		}
	}
}

// Incarnation identifies this outbox file among every file the device
// will ever have: a random non-zero number drawn when the file was created
// (or first opened by a build that knows incarnations). It goes out with
// every batch, so that the collector can tell a new file's sequence
// numbers, which start at 1 again, from re-sends of the old file's.
func (o *Outbox) Incarnation() uint64 { return o.incarnation }

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
	// linger runs while acknowledged entries wait for their deletion and
	// no commit of appends has come to carry it.
	var (
		linger  *time.Timer
		lingerC <-chan time.Time
	)
	defer func() {
		if linger != nil {
			linger.Stop()
		}
	}()
	// settle starts or stops linger after the acknowledged entries have
	// changed: flushing them alone once there are MaxGroup of them.
	settle := func() {
		n := o.ackedWaiting()
		if n >= o.o.MaxGroup {
			o.backgroundErr(o.flushAcks())
			n = o.ackedWaiting()
		}
		switch {
		case n == 0 && linger != nil:
			linger.Stop()
			linger, lingerC = nil, nil
		case n > 0 && linger == nil:
			linger = time.NewTimer(o.o.AckLinger)
			lingerC = linger.C
		}
	}
	for {
		var first *appendReq
		select {
		case first = <-o.reqs:
		case <-o.ackKick:
			settle()
			continue
		case <-lingerC:
			linger, lingerC = nil, nil
			o.backgroundErr(o.flushAcks())
			settle()
			continue
		case <-o.done:
			return
		}
		group := o.gather(first)
		err := o.commit(group)
		for _, r := range group {
			if err != nil {
				r.err = err
			}
			close(r.done)
		}
		if err == nil && o.o.Budget > 0 {
			o.enforceBudget()
		}
		settle()
	}
}

// backgroundErr keeps the failure of work no caller waits for, for Stats.
func (o *Outbox) backgroundErr(err error) {
	if err != nil {
		msg := err.Error()
		o.budget.lastErr.Store(&msg)
	}
}

// gather collects the requests already waiting behind first, up to
// MaxGroup readings, waiting up to Linger for more.
func (o *Outbox) gather(first *appendReq) []*appendReq {
	group, n := []*appendReq{first}, len(first.readings)
	var linger <-chan time.Time
	if o.o.Linger > 0 {
		t := time.NewTimer(o.o.Linger)
		defer t.Stop()
		linger = t.C
	}
	for n < o.o.MaxGroup {
		var r *appendReq
		select {
		case r = <-o.reqs:
		default:
			if linger == nil {
				return group
			}
			select {
			case r = <-o.reqs:
			case <-linger:
				return group
			}
		}
		group = append(group, r)
		n += len(r.readings)
	}
	return group
}

// commit appends group's readings in one transaction, which also deletes
// the acknowledged entries waiting for a commit.
func (o *Outbox) commit(group []*appendReq) error {
	carry := o.lockAcked()
	if carry {
		defer o.leaseMu.Unlock()
	}
	err := o.update(func(tx *bolt.Tx) error {
		meta, urgent, data := tx.Bucket(bucketMeta), tx.Bucket(bucketUrgent), tx.Bucket(bucketData)
		next := getUint(meta, keyNextSeq)
		var added uint64
		for _, r := range group {
			r.first = next
			for _, rd := range r.readings {
				v, err := telemetry.MarshalRecord(telemetry.Record{Seq: next, Reading: rd})
				if err != nil {
					return err
				}
				lane := data
				if rd.Quantity.IsEvent() {
					lane = urgent
				}
				if err := lane.Put(seqKey(next), append([]byte{tagRecord}, v...)); err != nil {
					return err
				}
				next++
				added++
			}
		}
		if err := putUint(meta, keyNextSeq, next); err != nil {
			return err
		}
		if err := putUint(meta, keyDepth, getUint(meta, keyDepth)+added); err != nil {
			return err
		}
		if carry {
			return o.deleteAcked(tx)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("outbox: commit: %w", err)
	}
	if carry {
		o.acked = ackedSet{}
	}
	return nil
}

// update runs fn in a write transaction and counts the commit.
func (o *Outbox) update(fn func(tx *bolt.Tx) error) error {
	if err := o.db.Update(fn); err != nil {
		return err
	}
	o.commits.Add(1)
	return nil
}

// Path is the outbox's file.
func (o *Outbox) Path() string { return o.path }

// Close stops the committer, waiting for a commit in progress, deletes
// the acknowledged entries still waiting for a commit, and closes the
// file. It is idempotent.
func (o *Outbox) Close() error {
	var err error
	o.closeOnce.Do(func() {
		close(o.done)
		<-o.stopped
		err = o.flushAcks()
		if cerr := o.db.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("outbox: close %s: %w", o.path, cerr))
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

func bigEndian(k []byte) uint64 { return binary.BigEndian.Uint64(k) }
