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
// limit of Aggregates, alerts, behaviour after Close, persistence across a
// reopen and concurrent appends, each with exact counts.
package storetest
