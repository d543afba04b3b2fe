package ultrasonic

import (
	"math"
	"sync"
	"time"
)

// Values are what the sensor faces.
type Values struct {
	// Distance from the sensor face to the surface, in mm.
	Distance float64
}

// Source gives what the sensor faces at a time.
type Source func(t time.Time) Values

// Defaults used when an Opts field is zero.
const (
	// DefaultPeriod is the time between frames a board sends on its
	// own: ~100 ms, as the A02YYUW and JSN-SR04T mode 2.
	DefaultPeriod = 100 * time.Millisecond
	// DefaultTrigger is the byte a triggered board answers (JSN-SR04T
	// mode 3).
	DefaultTrigger = 0x55
)

// Opts configures a Chip: which board it plays, as its resistors would
// select. The zero value is an A02YYUW sending every 100 ms.
type Opts struct {
	// Period is the time between frames a board sends on its own; 0
	// means 100 ms.
	Period time.Duration
	// Trigger makes the board measure only when TriggerByte arrives,
	// answering each with one frame.
	Trigger bool
	// TriggerByte is the byte a triggered board answers; 0 means 0x55.
	TriggerByte byte
	// SumNoHeader makes the checksum H+L, as some AJ-SR04M clones, rather
	// than 0xFF+H+L.
	SumNoHeader bool
	// Now is the clock whose time is passed to the Source; nil means
	// time.Now.
	Now func() time.Time
}

// State is what the board has done.
type State struct {
	Frames   uint64 // frames queued for the line
	Dropped  uint64 // frames dropped because the line was busy
	Triggers uint64 // trigger bytes received (triggered boards)
	Ignored  uint64 // other bytes received
}

// Chip is an emulated ultrasonic board. Serve it on one io.ReadWriter at a
// time.
type Chip struct {
	src      Source
	period   time.Duration
	trigger  int // the trigger byte, or -1 when the board sends on its own
	noHeader bool
	now      func() time.Time

	mu    sync.Mutex
	state State
}

// New returns a board that measures src. nil opts means defaults.
func New(src Source, opts *Opts) *Chip {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Period <= 0 {
		o.Period = DefaultPeriod
	}
	if o.TriggerByte == 0 {
		o.TriggerByte = DefaultTrigger
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := &Chip{src: src, period: o.Period, trigger: -1, noHeader: o.SumNoHeader, now: o.Now}
	if o.Trigger {
		c.trigger = int(o.TriggerByte)
	}
	return c
}

// State returns a snapshot of the board's state.
func (c *Chip) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

const (
	header    = 0xff
	frameSize = 4
)

// frame builds FF H L SUM for v.
func frame(v Values, noHeader bool) []byte {
	d := mm(v.Distance)
	h, l := byte(d>>8), byte(d)
	s := header + h + l
	if noHeader {
		s = h + l
	}
	return []byte{header, h, l, s}
}

// mm rounds x to the nearest whole millimetre, clamping to what two bytes
// hold and turning NaN into 0.
func mm(x float64) uint16 {
	switch {
	case !(x > 0):
		return 0
	case x >= math.MaxUint16:
		return math.MaxUint16
	}
	return uint16(math.Round(x))
}
