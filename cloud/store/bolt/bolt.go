package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/xiuhua/xiuhua/cloud/store"
)

// SchemaVersion is the file layout this build reads and writes (see the
// package documentation). Open migrates a file of version 1 to 5 in
// place.
const SchemaVersion = 6

// Errors about the file itself; wrapped with the detail.
var (
	// ErrSchema means the file was written with another schema version,
	// or is a bbolt file that is not a collector store.
	ErrSchema = errors.New("bolt: unsupported schema")
	// ErrCorrupt means stored bytes did not decode.
	ErrCorrupt = errors.New("bolt: corrupt store")
)

var (
	bucketMeta          = []byte("meta")
	bucketDevices       = []byte("devices")
	bucketReadings      = []byte("readings")
	bucketAlerts        = []byte("alerts")
	bucketAggregates    = []byte("aggregates")
	bucketRollups       = []byte("rollups")
	bucketNotifications = []byte("notifications")
	bucketNotifyDue     = []byte("notify_due")
	bucketJournal       = []byte("journal")
	bucketJournalMarks  = []byte("journal_marks")
	keySchema           = []byte("schema")
)

// dataBuckets are the top-level buckets besides meta, in the order the
// schema versions added them.
var dataBuckets = [][]byte{bucketDevices, bucketReadings, bucketAlerts, bucketAggregates,
	bucketRollups, bucketNotifications, bucketNotifyDue, bucketJournal, bucketJournalMarks}

// schemaBuckets says how many of dataBuckets each schema version has; a
// version missing here is one this build neither reads nor migrates.
var schemaBuckets = map[uint32]int{1: 3, 2: 4, 3: 4, 4: 7, 5: 7, SchemaVersion: len(dataBuckets)}

// DefaultTimeout is how long Open waits for the file lock by default.
const DefaultTimeout = time.Second

// Opts tunes Open. The zero value and nil mean the defaults.
type Opts struct {
	// Timeout is how long Open waits for the file lock while another
	// process holds it. Zero or negative means DefaultTimeout.
	Timeout time.Duration
	// MaxFuture is how far ahead of its arrival a record's time may be
	// before Append flags it telemetry.FutureTime. Zero or negative means
	// store.DefaultMaxFuture.
	MaxFuture time.Duration
	// CompactEvery is how often each journal partition is compacted into
	// the indexes (see journal.go): the longer, the more of a device's
	// batches share its pages. Zero or negative means
	// DefaultCompactEvery.
	CompactEvery time.Duration
	// NoJournal writes every Append straight into the indexes, as schema
	// 5 did: fewer moving parts for tools and tests, a fifth of the
	// throughput under a city's load.
	NoJournal bool
}

// DB is a store.Store in one bbolt file. It is safe for concurrent use.
type DB struct {
	bdb       *bbolt.DB
	maxFuture time.Duration
	noJournal bool
	closed    atomic.Bool

	// mu serialises what writes the journal (Append and compaction), so
	// that the mirror judges batches in the journal's order and pending
	// counts exactly what the journal holds.
	mu      sync.Mutex
	mirror  map[string]*deviceState // every device's state, journal included
	pending [journalParts][]uint64  // each partition's journal entries not yet applied, oldest first
	// settled, when set (by tests), is called after each of settle's
	// compactions, without db.mu.
	settled func(part)
	stop    chan struct{} // closed by Close: the compactor returns
	done    chan struct{} // closed by the compactor when it has returned
}

var _ store.Store = (*DB)(nil)

// Open opens the store at path, creating the file if it does not exist.
func Open(path string, opts *Opts) (*DB, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxFuture <= 0 {
		o.MaxFuture = store.DefaultMaxFuture
	}
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: o.Timeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("bolt: open %s: another process holds its lock (waited %v): %w", path, o.Timeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	if o.CompactEvery <= 0 {
		o.CompactEvery = DefaultCompactEvery
	}
	if err := checkSchema(bdb, path); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	db := &DB{bdb: bdb, maxFuture: o.MaxFuture, noJournal: o.NoJournal,
		mirror: make(map[string]*deviceState), stop: make(chan struct{}), done: make(chan struct{})}
	if err := db.load(); err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	go db.compactor(o.CompactEvery)
	return db, nil
}

// checkSchema initialises a new file, migrates one of an earlier schema
// and refuses one with another layout. It reads before it writes so that a newer file
// is never touched.
func checkSchema(bdb *bbolt.DB, path string) error {
	var version uint32 // 0: a new file
	err := bdb.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			if k, _ := tx.Cursor().First(); k != nil {
				return fmt.Errorf("%w: %s holds bucket %q but no schema version; it is not a collector store", ErrSchema, path, k)
			}
			return nil
		}
		v := meta.Get(keySchema)
		if len(v) != 4 {
			return fmt.Errorf("%w: %s has a schema version of %d bytes", ErrCorrupt, path, len(v))
		}
		version = binary.BigEndian.Uint32(v)
		n, ok := schemaBuckets[version]
		if !ok {
			return fmt.Errorf("%w: %s has schema version %d; this build reads version %d and migrates versions 1 to %d",
				ErrSchema, path, version, SchemaVersion, SchemaVersion-1)
		}
		for _, name := range dataBuckets[:n] {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("%w: %s has no %q bucket", ErrCorrupt, path, name)
			}
		}
		return nil
	})
	if err != nil || version == SchemaVersion {
		return err
	}
	// A new file gets every bucket; an older one gets those later schemas
	// added. Older encodings are valid schema 5 encodings (see the package
	// documentation), so only device states before schema 3 are rewritten,
	// to count the one outbox each device has had, and the rollups are
	// built from the stored readings and aggregates. The one transaction
	// leaves either the old file or the migrated one.
	err = bdb.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		for _, name := range dataBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		if version != 0 && version < 3 {
			if err := migrateDevices(tx.Bucket(bucketDevices)); err != nil {
				return err
			}
		}
		if version != 0 && version < 4 {
			if err := rebuildRollups(tx); err != nil {
				return err
			}
			// The rebuilt bucket holds every hour; an earlier schema
			// has no open hours (schema 5) to count them twice, but a
			// state that says otherwise must not.
			if err := clearOpenHours(tx.Bucket(bucketDevices)); err != nil {
				return err
			}
		}
		return meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, SchemaVersion))
	})
	if err != nil {
		if version == 0 {
			return fmt.Errorf("bolt: initialise %s: %w", path, err)
		}
		return fmt.Errorf("bolt: migrate %s from schema version %d to %d: %w", path, version, SchemaVersion, err)
	}
	return nil
}

// migrateDevices gives every device state of a schema 1 or 2 file its
// first incarnation: unknown (0), counted as the device's one outbox.
func migrateDevices(devices *bbolt.Bucket) error {
	return rewriteStates(devices, func(s *deviceState) bool {
		s.Incarnations = max(s.Incarnations, 1)
		return true
	})
}

// clearOpenHours removes the open rollup hours (schema 5) of every
// device state that has some.
func clearOpenHours(devices *bbolt.Bucket) error {
	return rewriteStates(devices, func(s *deviceState) bool {
		had := len(s.open) > 0
		s.open = nil
		return had
	})
}

// rewriteStates decodes every device state, lets change alter it, and
// writes back those it reports changed.
func rewriteStates(devices *bbolt.Bucket, change func(*deviceState) bool) error {
	// Collect, then write: bbolt does not promise a cursor survives Put.
	var ids, states [][]byte
	err := devices.ForEach(func(k, v []byte) error {
		s, err := decodeDeviceState(v)
		if err != nil {
			return fmt.Errorf("device %q: %w", k, err)
		}
		if change(&s) {
			ids, states = append(ids, append([]byte(nil), k...)), append(states, s.encode())
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, id := range ids {
		if err := devices.Put(id, states[i]); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the file. Calling it again does nothing; every other method
// returns store.ErrClosed afterwards.
func (db *DB) Close() error {
	if !db.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(db.stop)
	<-db.done
	if err := db.bdb.Close(); err != nil {
		return fmt.Errorf("bolt: close: %w", err)
	}
	return nil
}

// view runs fn in a read transaction; op names the operation in errors.
func (db *DB) view(op string, fn func(*bbolt.Tx) error) error {
	return db.tx(op, db.bdb.View, fn)
}

// update runs fn in a write transaction, committed with one fsync.
func (db *DB) update(op string, fn func(*bbolt.Tx) error) error {
	return db.tx(op, db.bdb.Update, fn)
}

func (db *DB) tx(op string, run func(func(*bbolt.Tx) error) error, fn func(*bbolt.Tx) error) error {
	if db.closed.Load() {
		return fmt.Errorf("bolt: %s: %w", op, store.ErrClosed)
	}
	err := run(fn)
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		// Close won the race after the check above.
		err = store.ErrClosed
	}
	if err != nil {
		return classify(fmt.Errorf("bolt: %s: %w", op, err))
	}
	return nil
}

// classify marks the errors callers may retry (a lock not had in time)
// and those about the data (a key or value bbolt cannot hold) with their
// store kinds. Every other error (the disk, a corrupt file) is neither:
// repeating the call would meet it again, and refusing the data would
// blame the device for the collector's disk.
func classify(err error) error {
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return store.Transient(err)
	case errors.Is(err, bolterrors.ErrKeyTooLarge), errors.Is(err, bolterrors.ErrValueTooLarge), errors.Is(err, bolterrors.ErrKeyRequired):
		return store.Invalid(err)
	}
	return err
}
