package rules

import (
	"sort"
	"time"
)

// window holds the readings of one stream's trailing window, oldest
// first, with their running sum.
type window struct {
	pts  []point
	head int // pts[head:] are live; the prefix is reused on compaction
	sum  float64
	open bool // an alert is open for this rule and stream
}

type point struct {
	t time.Time
	v float64
}

// add puts a reading into the window ending at the newest reading's time
// and evicts what fell out. It reports false, changing nothing, when the
// reading is older than the window's start.
func (w *window) add(t time.Time, v float64, length time.Duration) bool {
	live := w.pts[w.head:]
	if n := len(live); n > 0 && t.Before(live[n-1].t) {
		if !t.After(live[n-1].t.Add(-length)) {
			return false
		}
		// Out of order but inside the window: insert by time.
		i := sort.Search(n, func(i int) bool { return live[i].t.After(t) })
		w.pts = append(w.pts, point{})
		copy(w.pts[w.head+i+1:], w.pts[w.head+i:])
		w.pts[w.head+i] = point{t, v}
		w.sum += v
		return true
	}
	w.pts = append(w.pts, point{t, v})
	w.sum += v
	start := t.Add(-length) // the window is (start, t]
	for w.head < len(w.pts) && !w.pts[w.head].t.After(start) {
		w.sum -= w.pts[w.head].v
		w.head++
	}
	if w.head > len(w.pts)/2 && w.head > 64 {
		n := copy(w.pts, w.pts[w.head:])
		w.pts, w.head = w.pts[:n], 0
	}
	if w.head == len(w.pts) {
		w.sum = 0 // drop accumulated rounding once the window empties
	}
	return true
}

func (w *window) len() int { return len(w.pts) - w.head }

func (w *window) mean() float64 { return w.sum / float64(w.len()) }

// end is the time of the newest reading in the window.
func (w *window) end() time.Time { return w.pts[len(w.pts)-1].t }
