// Package store defines the collector's storage: readings kept
// idempotently by (device, seq), the per-minute aggregates of readings a
// device condensed when its disk ran short (whose sequence numbers count
// as received like raw ones), each device's completeness (the highest
// sequence number seen, the ranges still missing below it, and counts of
// duplicates, condensed, replayed and future-time readings), hourly
// rollups, alerts and the durable outbox of alert messages.
//
// Backends live in sub-packages: store/bolt (embedded, the default) and
// store/postgres. Every backend must pass the same conformance tests
// (store/storetest). Their errors carry a kind callers branch on:
// ErrTransient (try again), ErrInvalid (the data is refused), ErrClosed,
// ErrNotFound.
package store
