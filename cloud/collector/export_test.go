package collector

import (
	"context"

	"github.com/xiuhua/xiuhua/telemetry"
)

// ManualTicks replaces c's TickEvery ticker (call it before Run) and
// returns a function that ticks c once, at its clock's time, and returns
// true once the tick is done, or false if ctx ends first.
func ManualTicks(c *Collector) func(ctx context.Context) bool {
	c.ticks = make(chan chan struct{})
	return func(ctx context.Context) bool {
		done := make(chan struct{})
		select {
		case c.ticks <- done:
		case <-ctx.Done():
			return false
		}
		select {
		case <-done:
			return true
		case <-ctx.Done():
			return false
		}
	}
}

// OnObserved has f called (call it before Run), on ingest's goroutine,
// once each batch's new records are judged and their transitions applied.
func OnObserved(c *Collector, f func(device string, recs []telemetry.Record)) { c.observed = f }
