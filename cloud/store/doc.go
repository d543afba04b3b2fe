// Package store defines the collector's storage: readings kept
// idempotently by (device, seq), each device's completeness (the highest
// sequence number seen and the ranges still missing below it), and alerts.
//
// Backends live in sub-packages: store/bolt (embedded, the default) and,
// later, store/postgres. Every backend must pass the same conformance
// tests.
package store
