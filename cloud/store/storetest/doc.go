// Package storetest is the conformance suite every store.Store backend
// must pass. A backend's own tests call Run with a function that opens a
// store for a test:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { ... })
//	}
//
// The suite checks idempotent appends by (device, seq), the received set
// and its gaps, several devices per call, the half-open time range, order
// and limit of Readings, reading flags and the collector's future-time
// flag, replayed counts, condensed blocks (their sequence numbers counted
// like records', re-sent blocks as duplicates) and the order, range and
// limit of Aggregates, outbox incarnations, the hourly rollups Append
// keeps (which readings and aggregates count, exactly once, and Rollups'
// filters and order), alerts (every field, every AlertQuery filter, order
// and limit), the notification outbox (idempotent Enqueue, Due's order,
// Settle, Notifications' filters), behaviour after Close, persistence
// across a reopen and concurrent appends and enqueues, each with exact
// counts; and the corners of the contract a backend could otherwise
// settle its own way: time precision (records to the millisecond, alerts
// exactly, other times to the millisecond at least), the kinds of errors
// (store.ErrInvalid for refused data), Due without a limit, Enqueue's
// defaults, Rollups of every quantity, and rollups of a condensed block
// that overlaps raw records.
//
// The suite assumes nothing of a backend beyond the store.Store contract:
// times are compared with Equal, the names the rollup, alert and
// notification tests sort on are lowercase ASCII letters and digits (so
// that any collation agrees with byte order), and rollup sums are of
// multiples of 1/4, exact in any order of addition.
package storetest
