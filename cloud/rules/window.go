package rules

import (
	"math"
	"time"
)

// ring is a sliding window of Buckets buckets of equal width. Bucket k
// covers [k·res, (k+1)·res); the window ends with the bucket of the
// newest reading. Adding a reading is O(1) amortised (moving the window
// clears the buckets it passes, at most Buckets of them), and judging it
// is O(Buckets) for min and max, O(1) for the mean and the count, which
// are kept running.
//
// The buckets are kept column by column, and a column only by the rules
// that read it: every window counts and sums, a Min or Max window keeps
// the extremes, a Rate window each bucket's earliest reading. A mean
// window of 30 buckets so takes some 400 bytes, a rate window some 900,
// where a bucket holding everything would take 64 bytes each: with
// thousands of streams under each rule, this is most of the engine's
// memory.
type ring struct {
	res  int64 // bucket width, ns
	head int64 // bucket number (time / res) of the newest bucket; valid when n > 0
	n    int   // readings in the window
	sum  float64

	count [Buckets]int32
	sums  [Buckets]float64
	ext   *[Buckets]extremes // Min and Max windows only
	first *[Buckets]reading  // Rate windows only: each bucket's earliest reading
}

type extremes struct{ min, max float64 }

type reading struct {
	t int64 // ns since the epoch
	v float64
}

// newRing returns an empty window of span window that keeps what
// aggregate a needs, and each bucket's earliest reading when firsts is
// set.
func newRing(window time.Duration, a Aggregate, firsts bool) *ring {
	res := int64(window / Buckets)
	if res <= 0 {
		res = 1
	}
	w := &ring{res: res, head: math.MinInt64}
	if a == Min || a == Max {
		w.ext = new([Buckets]extremes)
	}
	if firsts {
		w.first = new([Buckets]reading)
	}
	return w
}

// slot is the index of bucket number k.
func slot(k int64) int {
	i := k % Buckets
	if i < 0 {
		i += Buckets
	}
	return int(i)
}

// add places v at t. It returns false, and changes nothing, when t falls
// before the window (a late reading).
func (w *ring) add(t time.Time, v float64) bool {
	ns := t.UnixNano()
	k := ns / w.res
	if ns < 0 && ns%w.res != 0 {
		k--
	}
	if w.head == math.MinInt64 {
		w.head = k
	}
	switch {
	case k > w.head:
		for step := w.head + 1; step <= k && step <= w.head+Buckets; step++ {
			i := slot(step)
			w.n -= int(w.count[i])
			w.sum -= w.sums[i]
			w.count[i], w.sums[i] = 0, 0
		}
		if w.n == 0 {
			w.sum = 0 // keep rounding from drifting an empty window off zero
		}
		w.head = k
	case k <= w.head-Buckets:
		return false
	}
	i := slot(k)
	empty := w.count[i] == 0
	if w.ext != nil {
		e := &w.ext[i]
		if empty || v < e.min {
			e.min = v
		}
		if empty || v > e.max {
			e.max = v
		}
	}
	if w.first != nil {
		if f := &w.first[i]; empty || ns < f.t {
			*f = reading{ns, v}
		}
	}
	w.count[i]++
	w.sums[i] += v
	w.n++
	w.sum += v
	return true
}

// value is the window's aggregate; the window must hold a reading.
func (w *ring) value(a Aggregate) float64 {
	if w.ext == nil || a == Mean {
		return w.sum / float64(w.n)
	}
	var out float64
	seen := false
	for i := range w.count {
		if w.count[i] == 0 {
			continue
		}
		x := w.ext[i].max
		if a == Min {
			x = w.ext[i].min
		}
		if !seen || (a == Max && x > out) || (a == Min && x < out) {
			out, seen = x, true
		}
	}
	return out
}

// oldest is the earliest reading still in the window: the earliest of
// its oldest bucket that holds any. Only a window made with firsts keeps
// it.
func (w *ring) oldest() (time.Time, float64, bool) {
	if w.n == 0 || w.first == nil {
		return time.Time{}, 0, false
	}
	for k := w.head - Buckets + 1; k <= w.head; k++ {
		if i := slot(k); w.count[i] > 0 {
			f := w.first[i]
			return time.Unix(0, f.t), f.v, true
		}
	}
	return time.Time{}, 0, false
}
