package tipbucket

import (
	"context"
	"math"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/xiuhua/xiuhua/simulator/chip/gpiopin"
)

// Source gives the rain that has fallen from the start to t, in mm. It
// must not decrease.
type Source func(t time.Time) float64

// Defaults for Opts fields left zero.
const (
	DefaultBucketMM = 0.2
	DefaultClosure  = 100 * time.Millisecond
	DefaultMinGap   = 300 * time.Millisecond
	DefaultTick     = 10 * time.Millisecond
	DefaultBounces  = 3
)

// Opts configures a Gauge. The zero value is a 0.2 mm gauge whose reed
// closes for 100 ms per tip, at most every 300 ms, checked every 10 ms on
// the wall clock.
type Opts struct {
	BucketMM float64       // rain per tip, mm; 0 means 0.2
	Closure  time.Duration // how long the reed stays closed per tip; 0 means 100 ms
	MinGap   time.Duration // least time between the starts of two tips; 0 means 300 ms
	Tick     time.Duration // how often the rain is checked; 0 means 10 ms
	Bounces  int           // toggles as the reed makes or breaks; 0 means 3
	// Jammed, when not nil, says when the rain is lost instead of tipped.
	Jammed func(t time.Time) bool
	// Now is the clock passed to Source and Jammed; nil means time.Now.
	Now func() time.Time
}

// Stats is what the gauge has done.
type Stats struct {
	Tips   uint64  // tips made: reed closures
	Owed   uint64  // tips the rain has earned that are still to come
	LostMM float64 // rain lost while jammed
	Closed bool    // the reed is closed now
}

// Gauge is an emulated tipping-bucket rain gauge. Run it on one goroutine;
// Stats is safe to call from others.
type Gauge struct {
	pin  *gpiopin.Pin
	rain Source
	o    Opts

	mu          sync.Mutex
	stats       Stats
	prev        float64 // the rain at the previous check, mm
	seen        bool    // prev is set
	closedUntil time.Time
	lastTip     time.Time
	lastOpen    time.Time
}

// New returns a gauge on pin measuring rain. nil opts means defaults.
func New(pin *gpiopin.Pin, rain Source, opts *Opts) *Gauge {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.BucketMM <= 0 {
		o.BucketMM = DefaultBucketMM
	}
	if o.Closure <= 0 {
		o.Closure = DefaultClosure
	}
	if o.MinGap <= 0 {
		o.MinGap = DefaultMinGap
	}
	if o.MinGap <= o.Closure {
		o.MinGap = 2 * o.Closure
	}
	if o.Tick <= 0 {
		o.Tick = DefaultTick
	}
	if o.Bounces <= 0 {
		o.Bounces = DefaultBounces
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Gauge{pin: pin, rain: rain, o: o}
}

// Stats returns what the gauge has done.
func (g *Gauge) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stats
}

// Run tips the bucket as the rain falls until ctx ends, then opens the
// reed if it is closed and returns nil.
func (g *Gauge) Run(ctx context.Context) error {
	tick := time.NewTicker(g.o.Tick)
	defer tick.Stop()
	for {
		g.step(time.Now())
		select {
		case <-ctx.Done():
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.stats.Closed {
				g.open()
			}
			return nil
		case <-tick.C:
		}
	}
}

// step does what is due at wall time now: opens the reed at the end of a
// closure, accounts the rain, and starts a tip when one is owed.
func (g *Gauge) step(now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stats.Closed && !now.Before(g.closedUntil) {
		g.open()
	}
	t := g.o.Now()
	rain := g.rain(t)
	if g.seen && g.o.Jammed != nil && g.o.Jammed(t) {
		g.stats.LostMM += rain - g.prev
	}
	g.prev, g.seen = rain, true
	earned := uint64(max(0, math.Floor((rain-g.stats.LostMM)/g.o.BucketMM+1e-9)))
	g.stats.Owed = 0
	if earned > g.stats.Tips {
		g.stats.Owed = earned - g.stats.Tips
	}
	// The next tip waits MinGap after the last one began and, should the
	// reed have opened late (a goroutine held up on a busy machine), the
	// quiet time after the opening too: a closure hard on the heels of an
	// opening would be one burst to the driver, and the tip lost.
	quiet := g.o.MinGap - g.o.Closure
	if g.stats.Owed > 0 && !g.stats.Closed && (g.lastTip.IsZero() || now.Sub(g.lastTip) >= g.o.MinGap && now.Sub(g.lastOpen) >= quiet) {
		g.pin.Bounce(gpio.Low, g.o.Bounces, 0)
		g.stats.Closed, g.closedUntil, g.lastTip = true, now.Add(g.o.Closure), now
		g.stats.Tips++
		g.stats.Owed--
	}
}

// open breaks the reed, bouncing, and leaves the line to the pull-up. The
// caller holds g.mu.
func (g *Gauge) open() {
	g.pin.Bounce(gpio.High, g.o.Bounces-1, 0)
	g.pin.Release()
	g.stats.Closed = false
	g.lastOpen = time.Now()
}
