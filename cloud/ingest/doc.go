// Package ingest takes the devices' batches from the broker, checks them,
// stores them idempotently and acknowledges them to the devices.
//
// A batch is acknowledged only after the store has committed it, so the
// acknowledgement is the device's licence to delete: nothing the collector
// acknowledged can be lost by a crash. Batches that arrive together are
// committed together (one fsync): each commit takes what queued while the
// previous one ran, so a slower disk means larger commits, not a longer
// queue. Batches are decoded as they arrive, and acks and the rules each
// run behind the commits in their own goroutine, so that neither the
// acks nor the next commit wait for an alert being written. A batch whose topic names another device
// than its payload, or that does not decode, is dropped and counted; it is
// never acknowledged, so nothing is lost if the fault was in transit.
//
// A commit that fails for a passing reason (store.ErrTransient: a lost
// database connection, a serialization failure, a lock timeout) is tried
// again with capped, jittered backoff until it succeeds or Run's context
// ends, and nothing is acknowledged before it succeeds; the queue fills
// meanwhile and holds the broker back. A batch the store refuses as
// invalid (store.ErrInvalid) is refused alone (the others of its commit
// are stored one by one), logged and counted, never acknowledged. Any
// other store error stops Run. A connection lost while committing may
// have committed: the retry then finds the records stored, acknowledges
// them, and, taking them for re-sends, does not pass them to the
// observer.
//
// A batch may carry condensed blocks (per-minute aggregates standing for
// readings the device condensed when its disk ran short); their sequence
// ranges are stored and acknowledged like records, but only raw records
// reach the observer (the rules).
package ingest
