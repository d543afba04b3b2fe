package pms5003

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"periph.io/x/conn/v3"

	"github.com/xiuhua/xiuhua/drivers/framing"
)

// Mode is how the chip reports.
type Mode uint8

const (
	// Passive: the chip sends a frame only when asked. The default.
	Passive Mode = iota
	// Active: the chip sends frames on its own, every ~2.3 s when stable.
	Active
)

func (m Mode) String() string {
	switch m {
	case Passive:
		return "passive"
	case Active:
		return "active"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// DefaultMaxSkip is the number of bytes a Read may discard when
// Opts.MaxSkip is 0: four frames' worth, which covers joining an
// active-mode stream mid-frame, a corrupted frame and a couple of
// command replies.
const DefaultMaxSkip = 4 * FrameSize

// activeIdleTimeouts is how many conn read timeouts an active-mode Read
// sits out while waiting for the next frame. The chip may take ~2.3 s
// between frames, longer than drivers/tty's default 2 s timeout.
const activeIdleTimeouts = 2

// Opts configures a Dev. The zero value means passive mode and
// DefaultMaxSkip.
type Opts struct {
	// Mode is Passive (the zero value) or Active.
	Mode Mode
	// MaxSkip is how many bytes a Read may discard (garbage, corrupted
	// frames, command replies) before it gives up; 0 means DefaultMaxSkip.
	MaxSkip int
}

// Stats counts what the reader has seen since New.
type Stats struct {
	Frames       uint64 // data frames with a good check
	Replies      uint64 // command replies with a good check
	BadChecksums uint64 // frames whose check did not match
	Garbage      uint64 // bytes dropped while hunting for a frame start
}

// Dev is a PMS5003 or PMS7003 on a UART. Its methods are safe for
// concurrent use; they take turns on the conn.
type Dev struct {
	c       conn.Conn
	mode    Mode
	maxSkip int

	mu sync.Mutex // guards the conn and rx
	rx framing.Rx // bytes read but not yet consumed, at most a frame

	stats struct {
		frames, replies, badChecksums atomic.Uint64
	}
}

var _ conn.Resource = (*Dev)(nil)

// New wakes the chip, puts it in opts.Mode and waits for the chip's reply
// to the mode command, skipping frames that were already on their way.
// nil opts means passive mode.
func New(c conn.Conn, opts *Opts) (*Dev, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Mode != Passive && o.Mode != Active {
		return nil, fmt.Errorf("pms5003: unknown %v", o.Mode)
	}
	if o.MaxSkip < 0 {
		return nil, fmt.Errorf("pms5003: negative MaxSkip %d", o.MaxSkip)
	}
	if o.MaxSkip == 0 {
		o.MaxSkip = DefaultMaxSkip
	}
	d := &Dev{c: c, mode: o.Mode, maxSkip: o.MaxSkip, rx: framing.Rx{Buf: make([]byte, FrameSize)}}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.flush(); err != nil {
		return nil, err
	}
	// Wake first: a chip left asleep by an earlier run may not answer the
	// mode command. Wake itself has no reply.
	if err := d.send("wake", cmdSleep, 1); err != nil {
		return nil, err
	}
	mode := byte(o.Mode)
	if err := d.send(o.Mode.String()+"-mode", cmdMode, uint16(mode)); err != nil {
		return nil, err
	}
	isAck := func(f []byte) bool { return len(f) == replySize && f[4] == cmdMode && f[5] == mode }
	if _, err := d.next(context.Background(), isAck, 0); err != nil {
		return nil, fmt.Errorf("%w; waiting for the reply to the %v-mode command", err, o.Mode)
	}
	return d, nil
}

// Read returns the next data frame. In passive mode it sends the read
// command first; in active mode it waits for the chip's next frame,
// sitting out up to two conn read timeouts while it waits.
func (d *Dev) Read() (Frame, error) {
	return d.read(context.Background())
}

// read is Read that gives up between conn reads once ctx ends.
func (d *Dev) read(ctx context.Context) (Frame, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.flush(); err != nil {
		return Frame{}, err
	}
	idle := activeIdleTimeouts
	if d.mode == Passive {
		idle = 0
		if err := d.send("read", cmdRead, 0); err != nil {
			return Frame{}, err
		}
	}
	b, err := d.next(ctx, func(f []byte) bool { return len(f) == FrameSize }, idle)
	if err != nil {
		return Frame{}, err
	}
	return ParseFrame(b)
}

// Sleep stops the fan and the laser. The chip answers with a reply frame,
// which the next Read skips.
func (d *Dev) Sleep() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.send("sleep", cmdSleep, 0)
}

// Wake restarts the fan. Readings are stable only after ≥30 s.
func (d *Dev) Wake() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.send("wake", cmdSleep, 1)
}

// Halt puts the chip to sleep. It implements conn.Resource.
func (d *Dev) Halt() error { return d.Sleep() }

// Mode returns the mode New put the chip in.
func (d *Dev) Mode() Mode { return d.mode }

// Stats returns counters of what the reader has seen. It does not wait for
// a Read in progress.
func (d *Dev) Stats() Stats {
	return Stats{
		Frames:       d.stats.frames.Load(),
		Replies:      d.stats.replies.Load(),
		BadChecksums: d.stats.badChecksums.Load(),
		Garbage:      d.rx.Garbage.Load(),
	}
}

func (d *Dev) String() string { return "pms5003 on " + d.c.String() }

// send writes one command. The caller holds d.mu.
func (d *Dev) send(name string, cmd byte, data uint16) error {
	if err := d.c.Tx(command(cmd, data), nil); err != nil {
		return fmt.Errorf("pms5003: send %s command: %w", name, err)
	}
	return nil
}

// flush discards what the port has received but nobody has read, when the
// conn can do that. The caller holds d.mu.
func (d *Dev) flush() error {
	if err := d.rx.Flush(d.c); err != nil {
		return fmt.Errorf("pms5003: flush input: %w", err)
	}
	return nil
}
