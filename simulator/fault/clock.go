package fault

import (
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/agent/clock"
)

// Clock is a board's clock that boots wrong: its wall time is the host's
// plus an offset (a Raspberry Pi without a real-time clock boots with the
// time it last saved) until it synchronises, when it steps to the host's
// time, as NTP would. Time since boot runs with the host's monotonic
// clock and never steps. Give it to the agent in agent.Opts.Clock; the
// agent stamps readings with its time (clock.Skewed).
//
// The step happens when the agent next asks Synced, at or after the
// moment Sync was called or SyncAfter passed: a reading's flags and time
// are then decided by one state (see clock.Skewed).
type Clock struct {
	boot      time.Time
	id        string
	offset    time.Duration
	syncAfter time.Duration

	mu              sync.Mutex
	synced, pending bool
}

var _ clock.Skewed = (*Clock)(nil)

// NewClock boots a clock now, offset from the host's wall time and not
// synchronised. It synchronises by itself once syncAfter has passed since
// boot; syncAfter ≤ 0 means only when Sync is called. Every clock has a
// boot id of its own: a new board, or the same board after a power cut.
func NewClock(offset, syncAfter time.Duration) *Clock {
	var b [16]byte
	rand.Read(b[:])
	return &Clock{boot: time.Now(), id: fmt.Sprintf("%x-%x-%x-%x-%x", b[:4], b[4:6], b[6:8], b[8:10], b[10:]),
		offset: offset, syncAfter: syncAfter}
}

// Now is the board's wall time.
func (c *Clock) Now() time.Time { return time.Now().Add(c.Skew()) }

// SinceBoot is the time since NewClock.
func (c *Clock) SinceBoot() time.Duration { return time.Since(c.boot) }

// BootID identifies this boot.
func (c *Clock) BootID() string { return c.id }

// Synced reports whether the clock has synchronised, stepping it first
// when a synchronisation is due.
func (c *Clock) Synced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.synced && (c.pending || c.syncAfter > 0 && time.Since(c.boot) >= c.syncAfter) {
		c.synced = true
	}
	return c.synced
}

// Skew is the board's wall time less the host's: the offset until the
// clock synchronised, then 0.
func (c *Clock) Skew() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.synced {
		return 0
	}
	return c.offset
}

// Sync makes the clock synchronise when the agent next asks.
func (c *Clock) Sync() {
	c.mu.Lock()
	c.pending = true
	c.mu.Unlock()
}
