package rules

import (
	"math"
	"time"
)

// ring is a sliding window of Buckets buckets of equal width. Bucket i
// covers [start(i), start(i)+res); the window ends with the bucket of the
// newest reading. Adding a reading is O(1) amortised (moving the window
// clears the buckets it passes, at most Buckets of them), and judging it
// is O(Buckets) for min and max, O(1) for the mean and the count, which
// are kept running.
type ring struct {
	res  time.Duration
	head int64 // bucket number (time / res) of the newest bucket; valid when n > 0
	n    int   // readings in the window
	sum  float64
	b    [Buckets]bucket
}

type bucket struct {
	n        int
	sum      float64
	min, max float64
	// first is the bucket's earliest reading, for rate rules.
	firstT time.Time
	firstV float64
}

func newRing(window time.Duration) *ring {
	res := window / Buckets
	if res <= 0 {
		res = 1
	}
	return &ring{res: res, head: math.MinInt64}
}

func (w *ring) index(k int64) *bucket {
	i := k % Buckets
	if i < 0 {
		i += Buckets
	}
	return &w.b[i]
}

// add places v at t. It returns false, and changes nothing, when t falls
// before the window (a late reading).
func (w *ring) add(t time.Time, v float64) bool {
	k := t.UnixNano() / int64(w.res)
	if t.UnixNano() < 0 && t.UnixNano()%int64(w.res) != 0 {
		k--
	}
	if w.head == math.MinInt64 {
		w.head = k
	}
	switch {
	case k > w.head:
		for step := w.head + 1; step <= k && step <= w.head+Buckets; step++ {
			b := w.index(step)
			w.n -= b.n
			w.sum -= b.sum
			*b = bucket{}
		}
		if w.n == 0 {
			w.sum = 0 // keep rounding from drifting an empty window off zero
		}
		w.head = k
	case k <= w.head-Buckets:
		return false
	}
	b := w.index(k)
	if b.n == 0 || v < b.min {
		b.min = v
	}
	if b.n == 0 || v > b.max {
		b.max = v
	}
	if b.n == 0 || t.Before(b.firstT) {
		b.firstT, b.firstV = t, v
	}
	b.n++
	b.sum += v
	w.n++
	w.sum += v
	return true
}

// end is the exclusive end of the window: the end of the newest bucket.
func (w *ring) end() time.Time { return time.Unix(0, (w.head+1)*int64(w.res)) }

// value is the window's aggregate.
func (w *ring) value(a Aggregate) float64 {
	switch a {
	case Max, Min:
		var out float64
		seen := false
		for i := range w.b {
			b := &w.b[i]
			if b.n == 0 {
				continue
			}
			x := b.max
			if a == Min {
				x = b.min
			}
			if !seen || (a == Max && x > out) || (a == Min && x < out) {
				out, seen = x, true
			}
		}
		return out
	}
	return w.sum / float64(w.n)
}

// oldest is the earliest reading still in the window.
func (w *ring) oldest() (time.Time, float64, bool) {
	var t time.Time
	var v float64
	found := false
	for i := range w.b {
		b := &w.b[i]
		if b.n > 0 && (!found || b.firstT.Before(t)) {
			t, v, found = b.firstT, b.firstV, true
		}
	}
	return t, v, found
}
