package gpiopin

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/pin"
)

// QueueSize is how many edge events wait for WaitForEdge before more are
// dropped.
const QueueSize = 64

// Stats says what happened on the pin, and what its driver is doing.
type Stats struct {
	Edges   uint64 // edge events queued
	Dropped uint64 // edge events lost because the queue was full
	Waits   uint64 // WaitForEdge calls
	Queued  int    // edge events waiting now
	// Waiting is the timeout of the WaitForEdge call in progress: -1 when
	// it waits forever, 0 when none waits. A driver that waits in long
	// slices between bursts and short ones within a burst shows by this
	// which it is doing.
	Waiting time.Duration
}

// Pin is an emulated GPIO pin. Its methods are safe for concurrent use.
type Pin struct {
	name string
	num  int

	mu      sync.Mutex
	output  bool       // set by Out; cleared by In
	out     gpio.Level // level driven by Out
	driven  bool       // the scenario drives the line
	ext     gpio.Level // level the scenario drives
	level   gpio.Level // level the line is at, as an input
	pull    gpio.Pull
	edge    gpio.Edge
	events  int           // queued edge events
	wake    chan struct{} // closed and replaced when an event is queued, or on Halt and In
	aborted uint64        // Halt and In calls, so that a waiter can tell them from an event
	waiting time.Duration // timeout of the pending WaitForEdge
	stats   Stats
}

var (
	_ gpio.PinIO  = (*Pin)(nil)
	_ pin.PinFunc = (*Pin)(nil)
)

// New returns a released, floating input pin at level low.
func New(name string, number int) *Pin {
	return &Pin{name: name, num: number, wake: make(chan struct{})}
}

// Set drives the line to l, as the device wired to the pin does.
func (p *Pin) Set(l gpio.Level) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drive(l)
}

// drive drives the line to l. The caller holds p.mu.
func (p *Pin) drive(l gpio.Level) {
	p.driven, p.ext = true, l
	p.settle()
}

// Release stops driving the line: the pull resistor decides its level.
func (p *Pin) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.driven = false
	p.settle()
}

// Bounce drives the line to l, !l, l, … n times, gap apart, and then to
// l: a contact that bounces before it settles. It blocks for n × gap.
// With gap 0 the toggles happen at once, as one burst of edges that no
// scheduling delay can split.
func (p *Pin) Bounce(l gpio.Level, n int, gap time.Duration) {
	if gap <= 0 {
		p.mu.Lock()
		defer p.mu.Unlock()
	}
	lv := l
	for range n {
		if gap > 0 {
			p.Set(lv)
			time.Sleep(gap)
		} else {
			p.drive(lv)
		}
		lv = !lv
	}
	if gap > 0 {
		p.Set(l)
	} else {
		p.drive(l)
	}
}

// settle sets the line's level from what drives it and queues an edge
// event when the level changed. The caller holds p.mu.
func (p *Pin) settle() {
	l := p.level
	switch {
	case p.driven:
		l = p.ext
	case p.pull == gpio.PullUp:
		l = gpio.High
	case p.pull == gpio.PullDown:
		l = gpio.Low
	}
	if l == p.level {
		return
	}
	p.level = l
	if p.output {
		return
	}
	if p.edge == gpio.BothEdges || (p.edge == gpio.RisingEdge && l) || (p.edge == gpio.FallingEdge && !l) {
		if p.events == QueueSize {
			p.stats.Dropped++
			return
		}
		p.events++
		p.stats.Edges++
		p.signal()
	}
}

// signal wakes waiters. The caller holds p.mu.
func (p *Pin) signal() {
	close(p.wake)
	p.wake = make(chan struct{})
}

// Output returns the level the pin drives and whether it is an output.
func (p *Pin) Output() (gpio.Level, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out, p.output
}

// Stats returns the pin's counters and state.
func (p *Pin) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Queued, s.Waiting = p.events, p.waiting
	return s
}

// In implements gpio.PinIn. It flushes queued edges and ends a pending
// WaitForEdge.
func (p *Pin) In(pull gpio.Pull, edge gpio.Edge) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pull != gpio.PullNoChange {
		p.pull = pull
	}
	// The pull taking effect is not an edge for the new configuration.
	p.output, p.edge = false, gpio.NoEdge
	p.settle()
	p.edge, p.events = edge, 0
	p.aborted++
	p.signal()
	return nil
}

// Read implements gpio.PinIn.
func (p *Pin) Read() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.output {
		return p.out
	}
	return p.level
}

// WaitForEdge implements gpio.PinIn: it takes one queued edge event, or
// waits for one; timeout < 0 waits forever and 0 does not wait. It
// returns false on timeout, and when Halt or In is called meanwhile.
func (p *Pin) WaitForEdge(timeout time.Duration) bool {
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	p.mu.Lock()
	p.stats.Waits++
	aborted := p.aborted
	p.waiting = timeout
	if timeout < 0 {
		p.waiting = -1
	}
	defer func() {
		p.mu.Lock()
		p.waiting = 0
		p.mu.Unlock()
	}()
	for {
		if p.aborted != aborted {
			p.mu.Unlock()
			return false
		}
		if p.events > 0 {
			p.events--
			p.mu.Unlock()
			return true
		}
		if timeout == 0 {
			p.mu.Unlock()
			return false
		}
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-wake:
		case <-expired:
			return false
		}
		p.mu.Lock()
	}
}

// Pull implements gpio.PinIn.
func (p *Pin) Pull() gpio.Pull {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pull
}

// DefaultPull implements gpio.PinIn: like most Raspberry Pi GPIOs, the
// pin comes up with its pull-down on.
func (p *Pin) DefaultPull() gpio.Pull { return gpio.PullDown }

// Out implements gpio.PinOut.
func (p *Pin) Out(l gpio.Level) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.output, p.out, p.events = true, l, 0
	return nil
}

// PWM implements gpio.PinOut; the emulated pin has none.
func (p *Pin) PWM(gpio.Duty, physic.Frequency) error {
	return errors.New("gpiopin: " + p.name + ": no PWM")
}

// Halt implements conn.Resource: it turns edge detection off, drops
// queued edges and ends a pending WaitForEdge.
func (p *Pin) Halt() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.edge, p.events = gpio.NoEdge, 0
	p.aborted++
	p.signal()
	return nil
}

// Name implements pin.Pin.
func (p *Pin) Name() string { return p.name }

// Number implements pin.Pin.
func (p *Pin) Number() int { return p.num }

// Function implements pin.Pin.
func (p *Pin) Function() string { return string(p.Func()) }

// Func implements pin.PinFunc.
func (p *Pin) Func() pin.Func {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.output {
		return gpio.OUT
	}
	return gpio.IN
}

// SupportedFuncs implements pin.PinFunc.
func (p *Pin) SupportedFuncs() []pin.Func { return []pin.Func{gpio.IN, gpio.OUT} }

// SetFunc implements pin.PinFunc.
func (p *Pin) SetFunc(f pin.Func) error {
	switch f {
	case gpio.IN:
		return p.In(gpio.PullNoChange, gpio.NoEdge)
	case gpio.OUT:
		return p.Out(p.Read())
	}
	return fmt.Errorf("gpiopin: %s: no function %s", p.name, f)
}

func (p *Pin) String() string { return fmt.Sprintf("%s(%d)", p.name, p.num) }
