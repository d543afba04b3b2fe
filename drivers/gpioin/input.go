package gpioin

import (
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/xiuhua/xiuhua/telemetry"
)

// MaxChanges is how many settled changes an Input keeps between two
// Takes. Beyond that the oldest are dropped (and counted): the newest
// ones, which end at the current level, matter most.
const MaxChanges = 64

// Change is a settled change of level.
type Change struct {
	Level gpio.Level // the level the line settled at
	Time  time.Time  // when the change began (its first edge)
}

// Input is a debounced level input: the settled level, and the settled
// changes since the last Take. Its methods are safe for concurrent use.
type Input struct {
	w   *Watcher
	now func() time.Time

	mu      sync.Mutex
	changes []Change
	dropped uint64
}

// New watches p as a level input. Bursts that end at the level they began
// at (a pulse shorter than the debounce time) are not changes.
func New(p gpio.PinIn, opts Opts) (*Input, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	in := &Input{now: opts.Now}
	w, err := Watch(p, opts, in.add)
	if err != nil {
		return nil, err
	}
	in.w = w
	return in, nil
}

func (in *Input) add(b Burst) {
	if b.From == b.To {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.changes) == MaxChanges {
		copy(in.changes, in.changes[1:])
		in.changes = in.changes[:MaxChanges-1]
		in.dropped++
	}
	in.changes = append(in.changes, Change{Level: b.To, Time: b.Began})
}

// Level returns the settled level.
func (in *Input) Level() gpio.Level { return in.w.Level() }

// Bursts returns how many bursts of edges the input has seen; see
// Watcher.Bursts.
func (in *Input) Bursts() uint64 { return in.w.Bursts() }

// Take returns the settled changes since the previous Take, oldest first.
func (in *Input) Take() []Change {
	in.mu.Lock()
	defer in.mu.Unlock()
	c := in.changes
	in.changes = nil
	return c
}

// Dropped returns how many changes were dropped because nobody took them.
func (in *Input) Dropped() uint64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.dropped
}

// Readings turns the changes since the previous call into readings of q:
// 1 when the line is at active, 0 otherwise, each stamped with the time
// its change began. When nothing changed it returns one reading of the
// current settled level, stamped now. Either way the last reading gives
// the current state.
func (in *Input) Readings(name string, q telemetry.Quantity, active gpio.Level) []telemetry.Reading {
	r := func(l gpio.Level, t time.Time) telemetry.Reading {
		v := 0.0
		if l == active {
			v = 1
		}
		return telemetry.Reading{Sensor: name, Quantity: q, Value: v, Time: t, Quality: telemetry.Good}
	}
	changes := in.Take()
	if len(changes) == 0 {
		return []telemetry.Reading{r(in.Level(), in.now())}
	}
	rs := make([]telemetry.Reading, len(changes))
	for i, c := range changes {
		rs[i] = r(c.Level, c.Time)
	}
	return rs
}

// Halt stops watching the pin; see Watcher.Halt.
func (in *Input) Halt() error { return in.w.Halt() }

func (in *Input) String() string { return in.w.String() }
