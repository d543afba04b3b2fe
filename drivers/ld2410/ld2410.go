package ld2410

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/framing"
)

// DefaultMaxRange is the farthest plausible target when Opts.MaxRange is
// 0: nine distance gates of 0.75 m.
const DefaultMaxRange = 6750 * physic.MilliMetre

// DefaultMaxSkip is how many bytes a read may discard when Opts.MaxSkip
// is 0: a few engineering-mode reports' worth.
const DefaultMaxSkip = 4 * maxFrame

// idleTimeouts is how many conn read timeouts a Read sits out while
// waiting for the next report.
const idleTimeouts = 2

// Opts configures a Dev. The zero value means DefaultMaxRange and
// DefaultMaxSkip.
type Opts struct {
	// MaxRange is the farthest plausible target: a report with a target
	// farther away is counted (Stats.OutOfRange). 0 means
	// DefaultMaxRange.
	MaxRange physic.Distance
	// MaxSkip is how many bytes a read may discard (garbage, corrupted
	// frames, frames not waited for) before it gives up; 0 means
	// DefaultMaxSkip.
	MaxSkip int
}

// Stats counts what the reader has seen since New.
type Stats struct {
	Frames     uint64 // well-formed reports
	Acks       uint64 // well-formed command ACKs
	BadFrames  uint64 // frames with a wrong length, footer or marker byte (the protocol has no checksum)
	Garbage    uint64 // bytes dropped while hunting for a frame header
	OutOfRange uint64 // reports returned with a target beyond MaxRange
}

// Dev is an HLK-LD2410 radar on a UART. Its methods are safe for
// concurrent use; they take turns on the conn.
type Dev struct {
	c        conn.Conn
	maxRange physic.Distance
	maxSkip  int
	fw       Firmware

	mu sync.Mutex // guards the conn and rx
	rx framing.Rx // bytes read but not yet consumed, at most a frame

	stats struct {
		frames, acks, badFrames, outOfRange atomic.Uint64
	}
}

var _ conn.Resource = (*Dev)(nil)

// New probes the radar by reading its firmware version, which takes it
// into configuration mode and back out. nil opts means defaults.
func New(c conn.Conn, opts *Opts) (*Dev, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.MaxRange < 0 {
		return nil, fmt.Errorf("ld2410: negative MaxRange %v", o.MaxRange)
	}
	if o.MaxRange == 0 {
		o.MaxRange = DefaultMaxRange
	}
	if o.MaxSkip < 0 {
		return nil, fmt.Errorf("ld2410: negative MaxSkip %d", o.MaxSkip)
	}
	if o.MaxSkip == 0 {
		o.MaxSkip = DefaultMaxSkip
	}
	d := &Dev{c: c, maxRange: o.MaxRange, maxSkip: o.MaxSkip, rx: framing.Rx{Buf: make([]byte, maxFrame)}}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.flush(); err != nil {
		return nil, err
	}
	fw, err := d.readFirmware()
	if err != nil {
		return nil, err
	}
	d.fw = fw
	return d, nil
}

// Read returns the next report, sitting out up to two conn read timeouts
// while it waits.
func (d *Dev) Read() (Report, error) { return d.read(context.Background()) }

func (d *Dev) read(ctx context.Context) (Report, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.flush(); err != nil {
		return Report{}, err
	}
	b, err := d.next(ctx, func(f []byte) bool { return f[0] == reportHeader[0] }, idleTimeouts)
	if err != nil {
		return Report{}, err
	}
	r, err := ParseReport(b)
	if err == nil && !d.InRange(r) {
		d.stats.outOfRange.Add(1)
	}
	return r, err
}

// InRange reports whether each target r says is there lies within the
// Dev's MaxRange.
func (d *Dev) InRange(r Report) bool {
	switch r.State {
	case Moving:
		return r.MovingDistance <= d.maxRange
	case Stationary:
		return r.StationaryDistance <= d.maxRange
	case Both:
		return r.MovingDistance <= d.maxRange && r.StationaryDistance <= d.maxRange
	}
	return true
}

// Firmware returns the firmware version New read.
func (d *Dev) Firmware() Firmware { return d.fw }

// Halt does nothing: the radar has no sleep command. It implements
// conn.Resource.
func (d *Dev) Halt() error { return nil }

// Stats returns counters of what the reader has seen. It does not wait for
// a read in progress.
func (d *Dev) Stats() Stats {
	return Stats{
		Frames:     d.stats.frames.Load(),
		Acks:       d.stats.acks.Load(),
		BadFrames:  d.stats.badFrames.Load(),
		Garbage:    d.rx.Garbage.Load(),
		OutOfRange: d.stats.outOfRange.Load(),
	}
}

func (d *Dev) String() string { return "ld2410 on " + d.c.String() }

// readFirmware enables configuration mode, reads the firmware version and
// ends configuration mode, which it tries even when the read failed so
// that the radar goes back to reporting. The caller holds d.mu.
func (d *Dev) readFirmware() (Firmware, error) {
	if _, err := d.exchange("enable-configuration", cmdEnableConfig, 0x01, 0x00); err != nil {
		return Firmware{}, err
	}
	v, err := d.exchange("read-firmware", cmdFirmware)
	var fw Firmware
	if err == nil {
		fw, err = parseFirmware(v)
	}
	if _, endErr := d.exchange("end-configuration", cmdEndConfig); endErr != nil {
		err = errors.Join(err, endErr)
	}
	return fw, err
}

// exchange sends a command and waits for its ACK, skipping reports and
// other ACKs, and returns the ACK's value after the status word. The
// caller holds d.mu.
func (d *Dev) exchange(name string, word uint16, value ...byte) ([]byte, error) {
	if err := d.c.Tx(command(word, value...), nil); err != nil {
		return nil, fmt.Errorf("ld2410: send %s command: %w", name, err)
	}
	isAck := func(f []byte) bool {
		return f[0] == cmdHeader[0] && binary.LittleEndian.Uint16(f[headSize:]) == word|ackBit
	}
	f, err := d.next(context.Background(), isAck, 0)
	if err != nil {
		return nil, fmt.Errorf("%w; waiting for the ACK to the %s command", err, name)
	}
	if status := binary.LittleEndian.Uint16(f[headSize+2:]); status != 0 {
		return nil, fmt.Errorf("%w: %s answered with status %d", ErrRefused, name, status)
	}
	return f[headSize+ackLen : len(f)-footSize], nil
}

// flush discards what the port has received but nobody has read, when the
// conn can do that. The caller holds d.mu.
func (d *Dev) flush() error {
	if err := d.rx.Flush(d.c); err != nil {
		return fmt.Errorf("ld2410: flush input: %w", err)
	}
	return nil
}
