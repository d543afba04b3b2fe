package sds011

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3"

	"github.com/xiuhua/xiuhua/drivers/framing"
)

// Mode is how the chip reports.
type Mode uint8

const (
	// Query: the chip sends a frame only when asked. The driver's default.
	Query Mode = iota
	// Active: the chip sends frames on its own, every second or once per
	// working period. The chip's factory default.
	Active
)

func (m Mode) String() string {
	switch m {
	case Query:
		return "query"
	case Active:
		return "active"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// wire is the mode's value in the reporting-mode command.
func (m Mode) wire() byte {
	if m == Active {
		return 0
	}
	return 1
}

// DefaultMaxSkip is the number of bytes a read may discard when
// Opts.MaxSkip is 0: four frames' worth, which covers joining an
// active-mode stream mid-frame, a corrupted frame and a couple of replies
// or data frames ahead of the one waited for.
const DefaultMaxSkip = 4 * FrameSize

// continuousWait is how long an active-mode Read with a working period of
// 0 waits for the next frame; the chip sends one a second.
const continuousWait = 3 * time.Second

// Opts configures a Dev. The zero value means query mode, continuous
// working period and DefaultMaxSkip.
type Opts struct {
	// Mode is Query (the zero value) or Active.
	Mode Mode
	// Period is the working period in minutes, 0–30: 0 means continuous
	// (a measurement a second); n means the chip sleeps between
	// measurements and measures once every n minutes.
	Period int
	// MaxSkip is how many bytes a read may discard (garbage, corrupted
	// frames, frames not waited for) before it gives up; 0 means
	// DefaultMaxSkip.
	MaxSkip int
}

// Stats counts what the reader has seen since New.
type Stats struct {
	Frames       uint64 // data frames with a good checksum
	Replies      uint64 // command replies with a good checksum
	BadChecksums uint64 // frames whose checksum or tail byte was wrong
	Garbage      uint64 // bytes dropped while hunting for a frame start
	OutOfRange   uint64 // data frames returned with a value above 999.9 µg/m³
}

// Dev is an SDS011 on a UART. Its methods are safe for concurrent use;
// they take turns on the conn.
type Dev struct {
	c       conn.Conn
	maxSkip int
	fw      Firmware
	now     func() time.Time

	mu     sync.Mutex // guards the conn, rx, mode and period
	mode   Mode       //
	period int        //
	rx     framing.Rx // bytes read but not yet consumed, at most a frame

	stats struct {
		frames, replies, badChecksums, outOfRange atomic.Uint64
	}
}

var _ conn.Resource = (*Dev)(nil)

// New wakes the chip, sets its reporting mode and working period, and
// reads its firmware version, checking the chip's reply to each. nil opts
// means query mode, continuous.
func New(c conn.Conn, opts *Opts) (*Dev, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Mode != Query && o.Mode != Active {
		return nil, fmt.Errorf("sds011: unknown %v", o.Mode)
	}
	if o.Period < 0 || o.Period > MaxPeriod {
		return nil, fmt.Errorf("sds011: working period %d minutes outside 0–%d", o.Period, MaxPeriod)
	}
	if o.MaxSkip < 0 {
		return nil, fmt.Errorf("sds011: negative MaxSkip %d", o.MaxSkip)
	}
	if o.MaxSkip == 0 {
		o.MaxSkip = DefaultMaxSkip
	}
	d := &Dev{c: c, maxSkip: o.MaxSkip, now: time.Now, rx: framing.Rx{Buf: make([]byte, FrameSize)}}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.flush(); err != nil {
		return nil, err
	}
	if err := d.wake(); err != nil {
		return nil, err
	}
	if _, err := d.exchange(o.Mode.String()+"-mode", cmdMode, opSet, o.Mode.wire()); err != nil {
		return nil, err
	}
	d.mode = o.Mode
	if _, err := d.exchange("working-period", cmdPeriod, opSet, byte(o.Period)); err != nil {
		return nil, err
	}
	d.period = o.Period
	r, err := d.exchange("firmware", cmdFirmware)
	if err != nil {
		return nil, err
	}
	d.fw = Firmware{Year: r[3], Month: r[4], Day: r[5]}
	return d, nil
}

// Read returns the next data frame. In query mode it sends the query
// command first; in active mode it waits for the chip's next frame, up to
// 3 s when the working period is continuous and the period plus 30 s
// otherwise.
func (d *Dev) Read() (Frame, error) { return d.read(context.Background()) }

// read is Read that gives up between conn reads once ctx ends.
func (d *Dev) read(ctx context.Context) (Frame, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.flush(); err != nil {
		return Frame{}, err
	}
	var until time.Time
	if d.mode == Query {
		if err := d.send("query", command(cmdQuery)); err != nil {
			return Frame{}, err
		}
	} else {
		wait := continuousWait
		if d.period > 0 {
			wait = time.Duration(d.period)*time.Minute + 30*time.Second
		}
		until = d.now().Add(wait)
	}
	b, err := d.next(ctx, func(f []byte) bool { return f[1] == kindData }, until)
	if err != nil {
		return Frame{}, err
	}
	f, err := ParseFrame(b)
	if err == nil && !f.InRange() {
		d.stats.outOfRange.Add(1)
	}
	return f, err
}

// SetMode sets the reporting mode. The chip keeps it through power-off.
func (d *Dev) SetMode(m Mode) error {
	if m != Query && m != Active {
		return fmt.Errorf("sds011: unknown %v", m)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.exchange(m.String()+"-mode", cmdMode, opSet, m.wire()); err != nil {
		return err
	}
	d.mode = m
	return nil
}

// ReportingMode asks the chip for its reporting mode.
func (d *Dev) ReportingMode() (Mode, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, err := d.exchange("get-mode", cmdMode, opGet)
	if err != nil {
		return 0, err
	}
	if r[4] == 0 {
		return Active, nil
	}
	return Query, nil
}

// SetPeriod sets the working period in minutes, 0 (continuous) to 30. The
// chip keeps it through power-off.
func (d *Dev) SetPeriod(minutes int) error {
	if minutes < 0 || minutes > MaxPeriod {
		return fmt.Errorf("sds011: working period %d minutes outside 0–%d", minutes, MaxPeriod)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.exchange("working-period", cmdPeriod, opSet, byte(minutes)); err != nil {
		return err
	}
	d.period = minutes
	return nil
}

// Period asks the chip for its working period in minutes.
func (d *Dev) Period() (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, err := d.exchange("get-working-period", cmdPeriod, opGet)
	if err != nil {
		return 0, err
	}
	return int(r[4]), nil
}

// Sleep stops the fan and the laser, and waits for the chip to confirm.
func (d *Dev) Sleep() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err := d.exchange("sleep", cmdSleep, opSet, 0)
	return err
}

// Wake restarts the fan and the laser. Readings are stable only after
// 30 s.
func (d *Dev) Wake() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.wake()
}

// Halt puts the chip to sleep. It implements conn.Resource.
func (d *Dev) Halt() error { return d.Sleep() }

// Mode returns the reporting mode the driver last set.
func (d *Dev) Mode() Mode {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.mode
}

// Firmware returns the firmware date New read from the chip.
func (d *Dev) Firmware() Firmware { return d.fw }

// Stats returns counters of what the reader has seen. It does not wait for
// a read in progress.
func (d *Dev) Stats() Stats {
	return Stats{
		Frames:       d.stats.frames.Load(),
		Replies:      d.stats.replies.Load(),
		BadChecksums: d.stats.badChecksums.Load(),
		Garbage:      d.rx.Garbage.Load(),
		OutOfRange:   d.stats.outOfRange.Load(),
	}
}

func (d *Dev) String() string { return "sds011 on " + d.c.String() }

// wake sends the work command and waits for its reply, twice if need be:
// a sleeping chip may take the first command only as a wake-up call and
// answer it with a few stray bytes or not at all. The caller holds d.mu.
func (d *Dev) wake() error {
	if _, err := d.exchange("work", cmdSleep, opSet, 1); err == nil {
		return nil
	}
	d.rx.Discard(d.rx.N)
	if err := d.flush(); err != nil {
		return err
	}
	_, err := d.exchange("work", cmdSleep, opSet, 1)
	return err
}

// exchange sends command cmd with data and returns the chip's reply to it,
// skipping data frames and other replies. For a set (data[0] == opSet) it
// checks that the reply echoes the value. The caller holds d.mu.
func (d *Dev) exchange(name string, cmd byte, data ...byte) ([]byte, error) {
	if err := d.send(name, command(cmd, data...)); err != nil {
		return nil, err
	}
	isReply := func(f []byte) bool {
		return f[1] == kindAck && f[2] == cmd && (len(data) == 0 || f[3] == data[0])
	}
	r, err := d.next(context.Background(), isReply, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("%w; waiting for the reply to the %s command", err, name)
	}
	if len(data) == 2 && data[0] == opSet && r[4] != data[1] {
		return nil, fmt.Errorf("%w: sent %s %d, chip answered %d", ErrReply, name, data[1], r[4])
	}
	return r, nil
}

// send writes one command. The caller holds d.mu.
func (d *Dev) send(name string, cmd []byte) error {
	if err := d.c.Tx(cmd, nil); err != nil {
		return fmt.Errorf("sds011: send %s command: %w", name, err)
	}
	return nil
}

// flush discards what the port has received but nobody has read, when the
// conn can do that. The caller holds d.mu.
func (d *Dev) flush() error {
	if err := d.rx.Flush(d.c); err != nil {
		return fmt.Errorf("sds011: flush input: %w", err)
	}
	return nil
}
