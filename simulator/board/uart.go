package board

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/tty"
)

// UART is an in-memory serial line between an emulated chip and a
// driver: what a pseudo-terminal does for one board, without the two file
// descriptors, the kernel's line discipline and the runtime poller, so
// that a fleet of thousands of boards fits in one process. The chip
// serves Chip(); the driver opens the line by the path the agent's config
// names, through Board.OpenSerial, and gets a sensor.Port that behaves
// as drivers/tty's: Tx writes, then reads exactly len(r) bytes or fails
// after the read timeout with an error wrapping tty.ErrTimeout.
//
// Bytes move at once, not at the line rate: like the pseudo-terminal, the
// line does not model 9600 baud. Each direction holds at most Opts.Buffer
// unread bytes, as a tty's input buffer does; more are dropped and
// counted (an overrun), as when a chip in active mode streams at a port
// nobody reads.
type UART struct {
	path    string
	timeout time.Duration
	toChip  line
	toHost  line
	chip    ChipEnd
}

// UARTOpts configures a UART. The zero value means a 2 s read timeout and
// 4096-byte buffers.
type UARTOpts struct {
	// ReadTimeout is the longest a driver's Tx waits for its read bytes;
	// 0 means tty.DefaultReadTimeout.
	ReadTimeout time.Duration
	// Buffer is the most unread bytes each direction holds; 0 means 4096,
	// a Linux tty's input buffer.
	Buffer int
}

// NewUART returns a line that a driver opens as path (e.g. /dev/ttyAMA0).
// nil opts means defaults.
func NewUART(path string, opts *UARTOpts) *UART {
	var o UARTOpts
	if opts != nil {
		o = *opts
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = tty.DefaultReadTimeout
	}
	if o.Buffer <= 0 {
		o.Buffer = 4096
	}
	u := &UART{path: path, timeout: o.ReadTimeout}
	u.toChip.init(o.Buffer)
	u.toHost.init(o.Buffer)
	u.chip.in, u.chip.out, u.chip.kick = &u.toChip, &u.toHost, make(chan struct{})
	return u
}

// AddUART wires u to the board: OpenSerial on u's path opens u instead of
// a device file.
func (b *Board) AddUART(u *UART) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.uarts == nil {
		b.uarts = make(map[string]*UART)
	}
	b.uarts[u.path] = u
}

// uart returns the UART wired at path, or nil.
func (b *Board) uart(path string) *UART {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.uarts[path]
}

// Path is the device path the driver opens.
func (u *UART) Path() string { return u.path }

// Chip is the chip's end of the line: an io.ReadWriter with read and
// write deadlines, for an emulator's Serve (chip.ServeUART uses the
// deadlines to end its reader when it stops). Writes never block.
func (u *UART) Chip() *ChipEnd { return &u.chip }

// Overruns counts the bytes each direction dropped because its buffer was
// full: toChip written by the driver, toHost by the chip.
func (u *UART) Overruns() (toChip, toHost uint64) {
	return u.toChip.dropped.Load(), u.toHost.dropped.Load()
}

// Open returns a driver's handle on the line, as opening the device file
// would. Handles share the line; each is closed on its own.
func (u *UART) Open() sensor.Port {
	return &uartPort{u: u, done: make(chan struct{})}
}

// line is one direction's buffer.
type line struct {
	mu      sync.Mutex
	buf     []byte
	max     int
	dropped atomic.Uint64
	data    chan struct{} // holds a token after a write, so a reader wakes
}

func (l *line) init(max int) {
	l.max = max
	l.data = make(chan struct{}, 1)
}

// write keeps what fits and drops the rest. It never blocks.
func (l *line) write(p []byte) {
	l.mu.Lock()
	n := min(len(p), l.max-len(l.buf))
	l.buf = append(l.buf, p[:n]...)
	l.mu.Unlock()
	if n < len(p) {
		l.dropped.Add(uint64(len(p) - n))
	}
	if n > 0 {
		select {
		case l.data <- struct{}{}:
		default:
		}
	}
}

// take moves up to len(p) buffered bytes into p.
func (l *line) take(p []byte) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := copy(p, l.buf)
	l.buf = l.buf[:copy(l.buf, l.buf[n:])]
	return n
}

func (l *line) reset() {
	l.mu.Lock()
	l.buf = l.buf[:0]
	l.mu.Unlock()
}

// wait blocks until a write, stop, or deadline (zero: none), whichever
// comes first. It reports whether the deadline passed.
func (l *line) wait(stop <-chan struct{}, deadline time.Time) (expired bool) {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return true
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-l.data:
	case <-stop:
	case <-timeout:
		return true
	}
	return false
}

// ChipEnd is the chip's end of a UART.
type ChipEnd struct {
	in, out *line

	mu       sync.Mutex
	deadline time.Time
	kick     chan struct{} // closed and replaced when the deadline changes
}

// Read waits for the driver's bytes. It fails with os.ErrDeadlineExceeded
// once the read deadline passes.
func (c *ChipEnd) Read(p []byte) (int, error) {
	for {
		if n := c.in.take(p); n > 0 || len(p) == 0 {
			return n, nil
		}
		c.mu.Lock()
		dl, kick := c.deadline, c.kick
		c.mu.Unlock()
		if c.in.wait(kick, dl) {
			return 0, os.ErrDeadlineExceeded
		}
	}
}

// Write queues p for the driver, dropping what does not fit.
func (c *ChipEnd) Write(p []byte) (int, error) {
	c.out.write(p)
	return len(p), nil
}

// SetReadDeadline sets when a Read gives up; the zero time means never.
// It wakes a Read that is waiting, so that the new deadline applies.
func (c *ChipEnd) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	close(c.kick)
	c.kick = make(chan struct{})
	c.mu.Unlock()
	return nil
}

// SetWriteDeadline is accepted and ignored: writes never block.
func (c *ChipEnd) SetWriteDeadline(time.Time) error { return nil }

// uartPort is a driver's handle on a UART.
type uartPort struct {
	u      *UART
	mu     sync.Mutex // serialises Tx and ResetInputBuffer
	closed atomic.Bool
	once   sync.Once
	done   chan struct{} // closed by Close, to end a pending read
}

var _ sensor.Port = (*uartPort)(nil)

// Tx writes w, then reads exactly len(r) bytes within the read timeout.
func (p *uartPort) Tx(w, r []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() {
		return tty.ErrClosed
	}
	if len(w) > 0 {
		p.u.toChip.write(w)
	}
	deadline := time.Now().Add(p.u.timeout)
	got := 0
	for got < len(r) {
		got += p.u.toHost.take(r[got:])
		if got == len(r) {
			break
		}
		expired := p.u.toHost.wait(p.done, deadline)
		if p.closed.Load() {
			return tty.ErrClosed
		}
		if expired {
			return fmt.Errorf("%w: %s: got %d of %d bytes in %v", tty.ErrTimeout, p.u.path, got, len(r), p.u.timeout)
		}
	}
	return nil
}

// ResetInputBuffer discards what the chip sent that was not read.
func (p *uartPort) ResetInputBuffer() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() {
		return tty.ErrClosed
	}
	p.u.toHost.reset()
	return nil
}

func (p *uartPort) Duplex() conn.Duplex { return conn.Full }
func (p *uartPort) String() string      { return p.u.path }

// Close makes a pending Tx return tty.ErrClosed. Closing twice is
// harmless.
func (p *uartPort) Close() error {
	p.once.Do(func() {
		p.closed.Store(true)
		close(p.done)
	})
	return nil
}
