package uplink

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// Connection pacing. paho's own waits between connection attempts have no
// jitter (paho.mqtt.golang v1.5.1: after a lost connection it tries again
// at once, then after 1 s, 2 s, 4 s … up to MaxReconnectInterval; a first
// connection is retried every ConnectRetryInterval), so devices that lose
// their broker together, because it restarted, try together and meet it
// with every CONNECT at once. paho has no hook for those waits, so the
// uplink sets them to zero and waits itself in the notification paho
// sends, on its connecting goroutine, before each attempt
// (mqtt.ConnectionNotificationConnecting).

// firstRedial bounds the first wait after a lost connection; each further
// attempt doubles the bound, up to Opts.ConnectRetry.
const firstRedial = time.Second

// maxRedialDoublings keeps firstRedial << n from overflowing; 2⁴⁰ s is far
// past any ConnectRetry.
const maxRedialDoublings = 40

// redial decides how long to wait before each connection attempt: a wait
// drawn uniformly from [0, bound] ("full jitter"), where the bound starts
// at firstRedial and doubles with every attempt up to max. The first
// attempt of a fresh start does not wait. The bound starts again from
// firstRedial only after a connection that lasted at least max: a broker
// that accepts connections and drops them at once is not hammered.
type redial struct {
	max time.Duration

	// rnd, now and sleep are the randomness, clock and wait; nil means
	// the process's random source, time.Now and a timer. Tests set them.
	rnd   *rand.Rand
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration)

	mu       sync.Mutex
	doubling int       // attempts since the bound last started again
	upAt     time.Time // when the last connection came up; zero if none has
}

// wait blocks before a connection attempt for the drawn wait, or until
// ctx ends. reconnect and attempt are paho's: whether the connection was
// lost (rather than never made), and the attempts already failed since.
func (r *redial) wait(ctx context.Context, reconnect bool, attempt int) {
	d, _ := r.delay(reconnect, attempt)
	if d <= 0 || ctx.Err() != nil {
		return
	}
	if r.sleep != nil {
		r.sleep(ctx, d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// delay draws the wait d before an attempt, from [0, bound].
func (r *redial) delay(reconnect bool, attempt int) (d, bound time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if attempt == 0 {
		if !reconnect {
			r.doubling = 0
			return 0, 0
		}
		if !r.upAt.IsZero() && r.clock().Sub(r.upAt) >= r.max {
			r.doubling = 0
		}
	}
	bound = r.bound()
	r.doubling = min(r.doubling+1, maxRedialDoublings)
	if r.rnd != nil {
		return time.Duration(r.rnd.Int64N(int64(bound) + 1)), bound
	}
	return rand.N(bound + 1), bound
}

// bound is the longest wait the next attempt may draw. The caller holds mu.
func (r *redial) bound() time.Duration {
	b := firstRedial << r.doubling
	if r.max > 0 && (b > r.max || b <= 0) {
		return r.max
	}
	return b
}

// connected notes that a connection came up.
func (r *redial) connected() {
	r.mu.Lock()
	r.upAt = r.clock()
	r.mu.Unlock()
}

func (r *redial) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

// paceConnections hands paho's connection notifications to r: each
// attempt waits first, and a connection that came up is noted.
func (r *redial) paceConnections(ctx context.Context, n mqtt.ConnectionNotification) {
	switch n := n.(type) {
	case mqtt.ConnectionNotificationConnecting:
		r.wait(ctx, n.IsReconnect, n.Attempt)
	case mqtt.ConnectionNotificationConnected:
		r.connected()
	}
}
