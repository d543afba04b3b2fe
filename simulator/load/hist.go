package load

import (
	"math"
	"sync/atomic"
	"time"
)

// Histogram counts durations in buckets 2 % wide from 1 µs to about
// 3 minutes, so that quantiles are within 2 % without keeping every
// sample. It is safe for concurrent use; the zero value is empty.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	total  atomic.Uint64
}

const (
	histBuckets = 1000
	histGrowth  = 1.02
)

var logGrowth = math.Log(histGrowth)

// bucket is the index of the bucket holding d: bucket i holds durations
// from 1µs·1.02^i up to 1µs·1.02^(i+1); the first also holds shorter ones
// and the last longer ones.
func bucket(d time.Duration) int {
	us := float64(d) / float64(time.Microsecond)
	if us <= 1 {
		return 0
	}
	return min(int(math.Log(us)/logGrowth), histBuckets-1)
}

// Add counts d.
func (h *Histogram) Add(d time.Duration) {
	h.counts[bucket(d)].Add(1)
	h.total.Add(1)
}

// Count is how many durations were added.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Quantile returns the upper bound of the bucket holding the q-quantile
// (0 < q ≤ 1), or 0 when the histogram is empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	var seen uint64
	for i := range h.counts {
		if seen += h.counts[i].Load(); seen >= max(rank, 1) {
			return time.Duration(math.Pow(histGrowth, float64(i+1)) * float64(time.Microsecond))
		}
	}
	return time.Duration(math.Pow(histGrowth, histBuckets) * float64(time.Microsecond))
}
