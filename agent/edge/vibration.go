package edge

import (
	"math"
	"time"
)

// maxWindow bounds the samples a vibration window holds (32 KiB of values
// and times each): 2 s at up to 2 kHz. At higher rates the window keeps the
// latest maxWindow samples, so it covers less than its span.
const maxWindow = 4096

// window is a sliding time window of accelerometer samples with running
// sums, for the RMS about the window's mean in O(1) amortised per sample.
type window struct {
	span  time.Duration
	ts    []int64   // sample times, Unix ns, a ring
	xs    []float64 // samples minus shift, a ring
	head  int       // index of the oldest sample
	n     int       // samples held
	sum   float64   // Σx
	sq    float64   // Σx²
	shift float64   // subtracted from every sample so the sums stay small (gravity)
	adds  int       // samples added since the sums were last recomputed
	ready bool      // the window has covered its whole span
	rms   float64   // m/s², valid when ready
}

func (w *window) reset() {
	w.head, w.n, w.sum, w.sq, w.adds, w.ready, w.rms = 0, 0, 0, 0, 0, false, 0
}

// add appends the sample x taken at t and drops samples older than the span.
func (w *window) add(t time.Time, x float64) {
	ns := t.UnixNano()
	for w.n > 0 && ns-w.ts[w.head] >= int64(w.span) {
		w.pop()
		w.ready = true
	}
	if w.n == len(w.xs) {
		if len(w.xs) < maxWindow {
			w.grow()
		} else {
			w.pop()
			w.ready = true
		}
	}
	if w.n == 0 {
		w.shift, w.sum, w.sq = x, 0, 0
	}
	x -= w.shift
	i := (w.head + w.n) % len(w.xs)
	w.ts[i], w.xs[i] = ns, x
	w.n++
	w.sum += x
	w.sq += x * x
	// Adding and subtracting leaves rounding behind; recomputing once per
	// ring's worth of samples keeps the cost O(1) amortised.
	if w.adds++; w.adds >= len(w.xs) {
		w.recompute()
	}
	if w.ready {
		mean := w.sum / float64(w.n)
		w.rms = math.Sqrt(math.Max(0, w.sq/float64(w.n)-mean*mean))
	}
}

func (w *window) pop() {
	x := w.xs[w.head]
	w.sum -= x
	w.sq -= x * x
	w.head = (w.head + 1) % len(w.xs)
	w.n--
}

func (w *window) grow() {
	size := min(max(64, 2*len(w.xs)), maxWindow)
	ts, xs := make([]int64, size), make([]float64, size)
	for i := 0; i < w.n; i++ {
		j := (w.head + i) % len(w.xs)
		ts[i], xs[i] = w.ts[j], w.xs[j]
	}
	w.ts, w.xs, w.head = ts, xs, 0
}

func (w *window) recompute() {
	w.sum, w.sq, w.adds = 0, 0, 0
	for i := 0; i < w.n; i++ {
		x := w.xs[(w.head+i)%len(w.xs)]
		w.sum += x
		w.sq += x * x
	}
}
