package ultrasonic

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/framing"
)

// Defaults used when an Opts field is zero: the A02YYUW's range.
const (
	DefaultMin = 30 * physic.MilliMetre
	DefaultMax = 4500 * physic.MilliMetre

	// DefaultMaxSkip is how many bytes a read may discard when
	// Opts.MaxSkip is 0: eight frames' worth.
	DefaultMaxSkip = 8 * FrameSize
)

// Opts configures a Dev. The zero value means the A02YYUW: checksum with
// header, frames sent unasked, range 30–4500 mm.
type Opts struct {
	// Checksum is how the board computes a frame's last byte.
	Checksum Checksum
	// Trigger makes the Dev send TriggerByte before each frame it reads,
	// for boards that measure only when asked.
	Trigger bool
	// TriggerByte is the byte Trigger sends; 0 means DefaultTrigger
	// (0x55). AJ-SR04M boards in mode 4 want 0x01.
	TriggerByte byte
	// Min and Max bound a plausible distance: echoes outside are counted
	// (Stats.OutOfRange) and a measurement whose median lies outside is
	// marked. Both zero means DefaultMin and DefaultMax; otherwise Max
	// must exceed Min.
	Min, Max physic.Distance
	// MaxSkip is how many bytes a read may discard before it gives up;
	// 0 means DefaultMaxSkip.
	MaxSkip int
}

// Stats counts what the reader has seen since New.
type Stats struct {
	Frames       uint64 // frames with a good checksum
	BadChecksums uint64 // frames whose checksum did not match
	Garbage      uint64 // bytes dropped while hunting for a frame start
	OutOfRange   uint64 // frames whose distance lay outside [Min, Max]
}

// Measurement is the median of several echoes.
type Measurement struct {
	Distance   physic.Distance // median of the echoes' distances
	Echoes     int             // how many echoes it was taken over
	OutOfRange int             // how many of them lay outside [Min, Max]
	InRange    bool            // whether Distance lies within [Min, Max]
}

// Dev is an ultrasonic distance sensor with a UART frame output. Its
// methods are safe for concurrent use; they take turns on the conn.
type Dev struct {
	c        conn.Conn
	checksum Checksum
	trigger  []byte // nil: the board sends on its own
	min, max physic.Distance
	maxSkip  int

	mu sync.Mutex // guards the conn and rx
	rx framing.Rx // bytes read but not yet consumed, at most a frame

	stats struct {
		frames, badChecksums, outOfRange atomic.Uint64
	}
}

var _ conn.Resource = (*Dev)(nil)

// New checks opts and probes the board by reading one frame. nil opts
// means an A02YYUW.
func New(c conn.Conn, opts *Opts) (*Dev, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Checksum != SumWithHeader && o.Checksum != SumNoHeader {
		return nil, fmt.Errorf("ultrasonic: unknown %v", o.Checksum)
	}
	if o.Min == 0 && o.Max == 0 {
		o.Min, o.Max = DefaultMin, DefaultMax
	}
	if o.Min < 0 || o.Max <= o.Min {
		return nil, fmt.Errorf("ultrasonic: range %v–%v is empty", o.Min, o.Max)
	}
	if o.MaxSkip < 0 {
		return nil, fmt.Errorf("ultrasonic: negative MaxSkip %d", o.MaxSkip)
	}
	if o.MaxSkip == 0 {
		o.MaxSkip = DefaultMaxSkip
	}
	d := &Dev{c: c, checksum: o.Checksum, min: o.Min, max: o.Max, maxSkip: o.MaxSkip, rx: framing.Rx{Buf: make([]byte, FrameSize)}}
	if o.Trigger {
		b := o.TriggerByte
		if b == 0 {
			b = DefaultTrigger
		}
		d.trigger = []byte{b}
	}
	if _, err := d.measure(context.Background(), 1); err != nil {
		return nil, fmt.Errorf("%w; probing for a first frame", err)
	}
	return d, nil
}

// Read returns the distance in the board's next frame, triggering it
// first if the Dev triggers.
func (d *Dev) Read() (physic.Distance, error) {
	m, err := d.measure(context.Background(), 1)
	return m.Distance, err
}

// Measure reads n frames (triggering each when the Dev triggers) and
// returns the median of their distances, which rejects the odd echo off
// a wave crest or a drop of spray. It settles for the frames it has when
// more than half of n arrived before a read failed.
func (d *Dev) Measure(n int) (Measurement, error) { return d.measure(context.Background(), n) }

func (d *Dev) measure(ctx context.Context, n int) (Measurement, error) {
	if n < 1 {
		return Measurement{}, fmt.Errorf("ultrasonic: measure over %d echoes", n)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.flush(); err != nil {
		return Measurement{}, err
	}
	echoes := make([]physic.Distance, 0, n)
	var lastErr error
	for tries := 0; len(echoes) < n && tries < 2*n; tries++ {
		if err := ctx.Err(); err != nil {
			return Measurement{}, err
		}
		if d.trigger != nil {
			if err := d.c.Tx(d.trigger, nil); err != nil {
				return Measurement{}, fmt.Errorf("ultrasonic: send trigger: %w", err)
			}
		}
		v, err := d.next(ctx)
		if err != nil {
			lastErr = err
			if d.trigger == nil {
				// The board sends on its own: a failed read means it has
				// stopped.
				break
			}
			// A partial frame will not be completed: the board answers
			// each trigger with one frame.
			d.rx.Discard(d.rx.N)
			continue
		}
		echoes = append(echoes, v)
	}
	if 2*len(echoes) <= n {
		if lastErr == nil {
			lastErr = fmt.Errorf("%w: %d of %d echoes", ErrNoFrame, len(echoes), n)
		}
		return Measurement{}, lastErr
	}
	m := Measurement{Echoes: len(echoes)}
	for _, e := range echoes {
		if !d.inRange(e) {
			m.OutOfRange++
		}
	}
	slices.Sort(echoes)
	k := len(echoes) / 2
	m.Distance = echoes[k]
	if len(echoes)%2 == 0 {
		m.Distance = (echoes[k-1] + echoes[k]) / 2
	}
	m.InRange = d.inRange(m.Distance)
	return m, nil
}

func (d *Dev) inRange(v physic.Distance) bool { return v >= d.min && v <= d.max }

// Halt does nothing: the boards have no sleep command. It implements
// conn.Resource.
func (d *Dev) Halt() error { return nil }

// Stats returns counters of what the reader has seen. It does not wait for
// a read in progress.
func (d *Dev) Stats() Stats {
	return Stats{
		Frames:       d.stats.frames.Load(),
		BadChecksums: d.stats.badChecksums.Load(),
		Garbage:      d.rx.Garbage.Load(),
		OutOfRange:   d.stats.outOfRange.Load(),
	}
}

func (d *Dev) String() string { return "ultrasonic on " + d.c.String() }

// flush discards what the port has received but nobody has read, when the
// conn can do that, so that a measurement is made of fresh frames. The
// caller holds d.mu.
func (d *Dev) flush() error {
	if err := d.rx.Flush(d.c); err != nil {
		return fmt.Errorf("ultrasonic: flush input: %w", err)
	}
	return nil
}
