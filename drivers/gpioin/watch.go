package gpioin

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// DefaultDebounce is the quiet time that ends a burst when Opts.Debounce
// is 0. Reed switches and relay contacts settle within 1–10 ms.
const DefaultDebounce = 50 * time.Millisecond

// idleWait bounds one WaitForEdge call between bursts, so that Halt ends
// the goroutine within this time even on pins whose WaitForEdge Halt
// does not interrupt.
const idleWait = 200 * time.Millisecond

// Opts configures a Watcher. The zero value leaves the pull resistor as
// it is and means DefaultDebounce.
type Opts struct {
	// Pull is the pin's pull resistor: gpio.PullNoChange (the zero value)
	// leaves it as it is, gpio.Float turns it off.
	Pull gpio.Pull
	// Debounce is how long the line must be quiet for a burst of edges to
	// end. 0 means DefaultDebounce; it must not be negative.
	Debounce time.Duration
	// Now is the clock for Burst times; nil means time.Now.
	Now func() time.Time
}

// Burst is one settled change of the line, or a pulse that came and went:
// a run of edges with less than the debounce time between them.
type Burst struct {
	From, To gpio.Level // settled level before the first edge and after the last
	Began    time.Time  // when the first edge was seen
	Settled  time.Time  // when the line had been quiet for the debounce time
	Edges    int        // edges seen, bounce included
}

// Watcher owns a goroutine that waits for edges on a pin and reports each
// burst. Create it with Watch; stop it with Halt.
type Watcher struct {
	p        gpio.PinIn
	debounce time.Duration
	now      func() time.Time
	fn       func(Burst)

	level  atomic.Bool // settled level: true is High
	bursts atomic.Uint64
	stop   atomic.Bool
	done   chan struct{}

	once sync.Once
	err  error
}

// Watch sets p as an input with opts.Pull and edge detection on both
// edges, reads its level, and starts the goroutine that calls fn for each
// burst, in order, from that goroutine. fn must not block for long: edges
// that come meanwhile wait in the kernel's (or the pin's) queue.
func Watch(p gpio.PinIn, opts Opts, fn func(Burst)) (*Watcher, error) {
	if opts.Debounce < 0 {
		return nil, fmt.Errorf("gpioin: %s: negative debounce %v", p, opts.Debounce)
	}
	if opts.Debounce == 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := p.In(opts.Pull, gpio.BothEdges); err != nil {
		return nil, fmt.Errorf("gpioin: %s: set input with edge detection: %w", p, err)
	}
	w := &Watcher{p: p, debounce: opts.Debounce, now: opts.Now, fn: fn, done: make(chan struct{})}
	w.level.Store(bool(p.Read()))
	go w.run()
	return w, nil
}

// Level returns the settled level: the level after the last burst, or
// the level read by Watch when there was none.
func (w *Watcher) Level() gpio.Level { return gpio.Level(w.level.Load()) }

// Bursts returns how many bursts have been reported.
func (w *Watcher) Bursts() uint64 { return w.bursts.Load() }

// Debounce returns the quiet time that ends a burst.
func (w *Watcher) Debounce() time.Duration { return w.debounce }

func (w *Watcher) run() {
	defer close(w.done)
	for !w.stop.Load() {
		if !w.p.WaitForEdge(idleWait) {
			continue
		}
		began, edges := w.now(), 1
		for w.p.WaitForEdge(w.debounce) {
			edges++
			if w.stop.Load() {
				return
			}
		}
		if w.stop.Load() {
			// WaitForEdge returned because of Halt, not because the
			// line went quiet: the level may still be bouncing.
			return
		}
		to := w.p.Read()
		from := w.Level()
		w.level.Store(bool(to))
		w.fn(Burst{From: from, To: to, Began: began, Settled: w.now(), Edges: edges})
		w.bursts.Add(1)
	}
}

// Halt stops the goroutine and waits for it, then turns the pin's edge
// detection off. A burst still bouncing is not reported. Halt is
// idempotent.
func (w *Watcher) Halt() error {
	w.once.Do(func() {
		w.stop.Store(true)
		// On pins that support it, Halt ends a pending WaitForEdge; on the
		// others the goroutine sees stop within idleWait or the debounce.
		herr := w.p.Halt()
		<-w.done
		ierr := w.p.In(gpio.PullNoChange, gpio.NoEdge)
		if err := errors.Join(herr, ierr); err != nil {
			w.err = fmt.Errorf("gpioin: %s: halt: %w", w.p, err)
		}
	})
	return w.err
}

func (w *Watcher) String() string { return w.p.String() }
