// Package backoff computes capped, jittered exponential waits for retrying
// transient failures, and waits them honouring a context.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff doubles its wait from Min up to Max after each failure, and
// starts again from Min after Reset. The zero value waits 1 s to 1 min.
// A Backoff is not safe for concurrent use: each retry loop owns one.
type Backoff struct {
	Min, Max time.Duration
	n        int
}

// Next returns the wait before the next attempt: the current step with
// "full jitter" in [step/2, step], so that many devices that lost the same
// link do not retry in lockstep.
func (b *Backoff) Next() time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = time.Second
	}
	if hi < lo {
		hi = max(lo, time.Minute)
	}
	step := lo
	for i := 0; i < b.n && step < hi; i++ {
		step *= 2
	}
	step = min(step, hi)
	b.n++
	return step/2 + rand.N(step/2+1)
}

// Reset starts the next failure's wait from Min again.
func (b *Backoff) Reset() { b.n = 0 }

// Wait sleeps for Next() or until ctx ends, and reports whether the full
// wait passed.
func (b *Backoff) Wait(ctx context.Context) bool {
	t := time.NewTimer(b.Next())
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
