package raingauge

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/gpioin"
)

// Defaults used by nil Opts, and for zero Opts fields where noted.
const (
	DefaultBucket   = 200 * physic.MicroMetre // 0.2 mm per tip
	DefaultDebounce = gpioin.DefaultDebounce  // 50 ms
)

// Opts configures a Dev. nil Opts means DefaultOpts.
type Opts struct {
	// Bucket is the depth of rain one tip stands for; 0 means
	// DefaultBucket. It must not be negative.
	Bucket physic.Distance
	// Edge is the transition that starts a tip: gpio.FallingEdge (the
	// reed pulls a pulled-up input low) or gpio.RisingEdge. gpio.NoEdge,
	// the zero value, means gpio.FallingEdge.
	Edge gpio.Edge
	// Pull is the input's pull resistor; gpio.PullNoChange, the zero
	// value, leaves it as it is.
	Pull gpio.Pull
	// Debounce is the quiet time that ends a burst of edges and the
	// minimum time between tips; 0 means DefaultDebounce.
	Debounce time.Duration
	// Now is the clock for tip times; nil means time.Now.
	Now func() time.Time
}

// DefaultOpts is a 0.2 mm gauge whose reed pulls a pulled-up input low.
var DefaultOpts = Opts{Bucket: DefaultBucket, Edge: gpio.FallingEdge, Pull: gpio.PullUp, Debounce: DefaultDebounce}

// Dev is a tipping-bucket rain gauge. It counts tips on its own
// goroutine from New until Halt. Its methods are safe for concurrent use.
type Dev struct {
	bucket physic.Distance
	edge   gpio.Edge
	idle   gpio.Level // the level between tips
	w      *gpioin.Watcher

	tips atomic.Uint64 // since New
	last atomic.Int64  // unix nanoseconds of the latest tip; 0 if none

	mu    sync.Mutex
	taken uint64 // tips when Take was last called
}

var _ conn.Resource = (*Dev)(nil)

// New sets p up as an edge-detecting input and starts counting tips.
func New(p gpio.PinIn, opts *Opts) (*Dev, error) {
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	if o.Bucket < 0 {
		return nil, fmt.Errorf("raingauge: negative bucket %v", o.Bucket)
	}
	if o.Bucket == 0 {
		o.Bucket = DefaultBucket
	}
	d := &Dev{bucket: o.Bucket, edge: o.Edge}
	switch o.Edge {
	case gpio.NoEdge, gpio.FallingEdge:
		d.edge, d.idle = gpio.FallingEdge, gpio.High
	case gpio.RisingEdge:
		d.idle = gpio.Low
	default:
		return nil, fmt.Errorf("raingauge: a tip starts on a falling or a rising edge, not %v", o.Edge)
	}
	w, err := gpioin.Watch(p, gpioin.Opts{Pull: o.Pull, Debounce: o.Debounce, Now: o.Now}, d.burst)
	if err != nil {
		return nil, fmt.Errorf("raingauge: %w", err)
	}
	d.w = w
	return d, nil
}

// burst counts a tip when the line left its idle level. It runs on the
// Watcher's goroutine.
func (d *Dev) burst(b gpioin.Burst) {
	if b.From != d.idle {
		return // the reed opening again after a long closure
	}
	d.last.Store(b.Began.UnixNano())
	d.tips.Add(1)
}

// Tips returns the number of tips since New.
func (d *Dev) Tips() uint64 { return d.tips.Load() }

// LastTip returns when the latest tip began, or the zero time if there
// was none.
func (d *Dev) LastTip() time.Time {
	if ns := d.last.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// Take returns the tips since the previous Take (or since New) and the
// rain they stand for. No tip is lost or counted twice between Takes.
func (d *Dev) Take() (tips uint64, rain physic.Distance) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.tips.Load()
	tips, d.taken = now-d.taken, now
	return tips, physic.Distance(tips) * d.bucket
}

// Bucket returns the depth of rain one tip stands for.
func (d *Dev) Bucket() physic.Distance { return d.bucket }

// Halt stops counting: it stops and joins the goroutine and turns edge
// detection off. It is idempotent.
func (d *Dev) Halt() error {
	if err := d.w.Halt(); err != nil {
		return fmt.Errorf("raingauge: %w", err)
	}
	return nil
}

func (d *Dev) String() string {
	return fmt.Sprintf("raingauge on %s (%v per tip, %v)", d.w, d.bucket, d.edge)
}
