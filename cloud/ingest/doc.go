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
// A batch may carry condensed blocks (per-minute aggregates standing for
// readings the device condensed when its disk ran short); their sequence
// ranges are stored and acknowledged like records, but only raw records
// reach the observer (the rules).
package ingest
