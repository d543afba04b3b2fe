package notify

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/internal/backoff"
)

// scanLimit bounds one look at the outbox: every pending message of every
// channel, which a week-long outage of a busy channel does not approach.
const scanLimit = 100_000

// endOfTime is later than any message's next attempt: Due up to it lists
// every pending message.
var endOfTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// settleTimeout bounds one write of an attempt's outcome, which is made
// even while Run is stopping so that a delivery is not repeated.
const settleTimeout = 5 * time.Second

// Run delivers the outbox's pending messages, one worker per channel,
// until ctx ends; then it joins its workers and returns nil. A message
// interrupted by the end of ctx stays pending as it was, and is sent again
// by the next Run. Only one Run of a notifier may run at a time, and only
// one notifier may deliver from an outbox.
func (n *Notifier) Run(ctx context.Context) error {
	if !n.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer n.running.Store(false)
	var wg sync.WaitGroup
	for _, c := range n.chans {
		wg.Go(func() { n.work(ctx, c) })
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

// work delivers c's messages oldest created first. A message that failed
// and waits for its next attempt holds back the channel's younger ones, so
// that a duty group never reads "resolved" before "opened", and a robot
// that limits its rate or an endpoint that is down is not sent more while
// it recovers.
func (n *Notifier) work(ctx context.Context, c *channel) {
	poll := time.NewTicker(n.o.Poll)
	defer poll.Stop()
	var (
		queue []store.Notification // c's pending messages, oldest first
		look  = true               // read queue from the outbox again
		head  headWait
		fails = n.storeBackoff() // the outbox's own errors
	)
	defer head.stop()
	for ctx.Err() == nil {
		if look {
			q, err := n.scan(ctx, c)
			if err != nil {
				if ctx.Err() == nil {
					n.log.Error("notify: cannot read the outbox", "channel", c.Name, "err", err)
					fails.Wait(ctx)
				}
				continue
			}
			fails.Reset()
			queue, look = q, false
		}
		if len(queue) == 0 {
			select {
			case <-ctx.Done():
			case <-c.wake:
				look = true
			case <-poll.C:
				look = true
			}
			continue
		}

		select {
		case <-c.wake:
			look = true // count what Send added, and see any message it revived
			continue
		default:
		}
		m := &queue[0]
		now := n.o.Now()
		if now.Sub(m.Created) >= n.o.MaxAge {
			// Behind a failing message for so long that it is stale.
			why := "not sent: pending longer than " + n.o.MaxAge.String()
			if m.LastError != "" {
				why += " (last error: " + m.LastError + ")"
			}
			if !n.settle(ctx, c, m, store.Failed, now, time.Time{}, why) {
				return
			}
			queue = queue[1:]
			continue
		}
		if m.NextAttempt.After(now) && !head.passed(m) {
			head.arm(m, m.NextAttempt.Sub(now))
			select {
			case <-ctx.Done():
			case <-c.wake:
				look = true
			case <-poll.C:
				look = true
			case <-head.timer.C:
				head.fired = true
			}
			continue
		}

		err := n.deliver(ctx, c, *m)
		now = n.o.Now()
		switch {
		case err == nil:
			if !n.settle(ctx, c, m, store.Delivered, now, time.Time{}, "") {
				return
			}
			queue = queue[1:]
		case ctx.Err() != nil:
			return // cut short, not answered: the next Run tries again
		case isPermanent(err):
			if !n.settle(ctx, c, m, store.Failed, now, time.Time{}, err.Error()) {
				return
			}
			queue = queue[1:]
		default:
			next := now.Add(n.retryWait(m.Attempts + 1))
			if next.Sub(m.Created) >= n.o.MaxAge {
				if !n.settle(ctx, c, m, store.Failed, now, time.Time{}, err.Error()+" (giving up: pending for "+n.o.MaxAge.String()+")") {
					return
				}
				queue = queue[1:]
				continue
			}
			if !n.settle(ctx, c, m, store.Pending, now, next, err.Error()) {
				return
			}
			m.Attempts++
			m.NextAttempt, m.LastError = next, err.Error()
		}
	}
}

// scan returns c's pending messages, oldest created first, and counts
// them. It excludes Send, so that each message Send adds to the count is
// either in the outbox read here or added after it.
func (n *Notifier) scan(ctx context.Context, c *channel) ([]store.Notification, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	all, err := n.q.Due(ctx, endOfTime, scanLimit)
	if err != nil {
		return nil, err
	}
	var mine []store.Notification
	for _, m := range all {
		if m.Channel == c.Name {
			mine = append(mine, m)
		}
	}
	c.pending.Store(int64(len(mine)))
	slices.SortStableFunc(mine, func(a, b store.Notification) int { return a.Created.Compare(b.Created) })
	return mine, nil
}

// settle records the outcome of an attempt at m, and counts and logs it.
// The outbox is written even while ctx is ending, so that a message
// delivered is not delivered again; when the outbox fails, settle tries
// again until ctx ends and then reports false.
func (n *Notifier) settle(ctx context.Context, c *channel, m *store.Notification, state string, now, next time.Time, errText string) bool {
	fails := n.storeBackoff()
	for {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
		err := n.q.Settle(sctx, c.Name, m.Key, state, now, next, errText)
		cancel()
		if err == nil || errors.Is(err, store.ErrNotFound) {
			if err != nil {
				n.log.Error("notify: message left the outbox while being sent", "channel", c.Name, "key", m.Key, "err", err)
			}
			break
		}
		n.log.Error("notify: cannot record an attempt", "channel", c.Name, "key", m.Key, "state", state, "err", err)
		if !fails.Wait(ctx) {
			return false
		}
	}
	attempts := m.Attempts + 1
	switch state {
	case store.Delivered:
		n.delivered.Add(1)
		c.pending.Add(-1)
		n.log.Info("notify: delivered", "channel", c.Name, "key", m.Key, "attempts", attempts)
	case store.Failed:
		n.failed.Add(1)
		c.pending.Add(-1)
		n.log.Error("notify: gave up", "channel", c.Name, "key", m.Key, "attempts", attempts, "err", errText)
	default:
		n.retried.Add(1)
		n.log.Warn("notify: will retry", "channel", c.Name, "key", m.Key, "attempts", attempts, "next", next, "err", errText)
	}
	return true
}

// storeBackoff paces the retries of a failing outbox (a full disk, a
// database restarting): soon at first, then every Poll at most.
func (n *Notifier) storeBackoff() backoff.Backoff {
	return backoff.Backoff{Min: 100 * time.Millisecond, Max: max(n.o.Poll, time.Second)}
}

// retryWait is the wait before the next attempt at a message that has
// failed attempts times: capped exponential backoff with jitter.
func (n *Notifier) retryWait(attempts int) time.Duration {
	b := backoff.Backoff{Min: n.o.Backoff.Min, Max: n.o.Backoff.Max}
	for range min(attempts, 64) - 1 {
		b.Next()
	}
	return b.Next()
}

// headWait is the timer of a channel's oldest message while it waits for
// its next attempt. It is kept while the channel looks at the outbox
// again, so that the wait is measured once, by the timer, whatever the
// wall clock does meanwhile.
type headWait struct {
	key   string
	at    time.Time
	timer *time.Timer
	fired bool
}

// passed reports whether m's wait is over.
func (w *headWait) passed(m *store.Notification) bool {
	return w.fired && w.key == m.Key && w.at.Equal(m.NextAttempt)
}

// arm starts waiting d for m unless the timer already runs for m's next
// attempt.
func (w *headWait) arm(m *store.Notification, d time.Duration) {
	if w.timer != nil && w.key == m.Key && w.at.Equal(m.NextAttempt) {
		return
	}
	w.stop()
	w.key, w.at, w.fired = m.Key, m.NextAttempt, false
	w.timer = time.NewTimer(d)
}

func (w *headWait) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}
