package tty

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"go.bug.st/serial"
	"periph.io/x/conn/v3"

	"github.com/xiuhua/xiuhua/drivers/sensor"
)

// Defaults used when an Opts field is zero.
const (
	DefaultBaud        = 9600
	DefaultReadTimeout = 2 * time.Second
)

// Errors returned by Port. A timeout wraps ErrTimeout, whose type also
// reports Timeout() == true so that callers which only know conn.Conn can
// recognise it with errors.As.
var (
	ErrTimeout error = timeoutError{}
	ErrClosed        = errors.New("tty: port closed")
)

type timeoutError struct{}

func (timeoutError) Error() string { return "tty: read timed out" }
func (timeoutError) Timeout() bool { return true }

// Opts are a port's line settings. The zero value means 9600 baud and a
// 2 s read timeout.
type Opts struct {
	// Baud is the line rate in bits per second; 0 means 9600.
	Baud int
	// ReadTimeout is the longest a Tx waits for all of its read bytes to
	// arrive, counted from the end of its write; 0 means 2 s. It must not
	// be negative.
	ReadTimeout time.Duration
}

// Port is an open serial port. Tx calls are serialised; Close may be
// called at any time, from any goroutine, and makes a pending Tx return.
type Port struct {
	path    string
	timeout time.Duration

	mu     sync.Mutex // serialises Tx and ResetInputBuffer
	sp     serial.Port
	closed atomic.Bool
	once   sync.Once
	cerr   error
}

var _ sensor.Port = (*Port)(nil)

// Open opens the serial port at path (e.g. /dev/ttyAMA0 or a pty slave
// such as /dev/pts/3) as 8N1 raw at opts.Baud. nil opts means defaults.
func Open(path string, opts *Opts) (*Port, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Baud < 0 {
		return nil, fmt.Errorf("tty: open %s: negative baud %d", path, o.Baud)
	}
	if o.ReadTimeout < 0 {
		return nil, fmt.Errorf("tty: open %s: negative read timeout %v", path, o.ReadTimeout)
	}
	if o.Baud == 0 {
		o.Baud = DefaultBaud
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	sp, err := serial.Open(path, &serial.Mode{
		BaudRate: o.Baud,
		DataBits: 8,
		Parity:   serial.NoParity,
		StopBits: serial.OneStopBit,
		// InitialStatusBits nil: leave DTR/RTS alone. Pseudo-terminals do
		// not support the modem-line ioctls at all.
	})
	if err != nil {
		return nil, fmt.Errorf("tty: open %s: %w", path, err)
	}
	return &Port{path: path, timeout: o.ReadTimeout, sp: sp}, nil
}

// Tx writes all of w, then reads exactly len(r) bytes into r. It returns
// an error wrapping ErrTimeout when they do not all arrive within the
// port's read timeout, and ErrClosed once the port is closed.
func (p *Port) Tx(w, r []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.write(w); err != nil {
		return err
	}
	return p.read(r)
}

func (p *Port) write(w []byte) error {
	for len(w) > 0 {
		if p.closed.Load() {
			return ErrClosed
		}
		n, err := p.sp.Write(w)
		if err != nil {
			return p.fail("write", err)
		}
		if n == 0 {
			return fmt.Errorf("tty: write %s: %w", p.path, io.ErrShortWrite)
		}
		w = w[n:]
	}
	return nil
}

func (p *Port) read(r []byte) error {
	deadline := time.Now().Add(p.timeout)
	got := 0
	for got < len(r) {
		if p.closed.Load() {
			return ErrClosed
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("%w: %s: got %d of %d bytes in %v", ErrTimeout, p.path, got, len(r), p.timeout)
		}
		if err := p.sp.SetReadTimeout(left); err != nil {
			return p.fail("read", err)
		}
		// go.bug.st/serial returns (0, nil) when its timeout runs out.
		n, err := p.sp.Read(r[got:])
		got += n
		if err != nil {
			return p.fail("read", err)
		}
	}
	return nil
}

// fail turns an error from the serial package into ours, reporting
// ErrClosed when it happened because Close ran meanwhile.
func (p *Port) fail(op string, err error) error {
	if p.closed.Load() {
		return ErrClosed
	}
	return fmt.Errorf("tty: %s %s: %w", op, p.path, err)
}

// ResetInputBuffer discards bytes that have arrived but not been read, so
// that the next Tx reads only what the device sends from now on.
func (p *Port) ResetInputBuffer() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() {
		return ErrClosed
	}
	if err := p.sp.ResetInputBuffer(); err != nil {
		return p.fail("flush", err)
	}
	return nil
}

// Duplex reports conn.Full: a UART has separate transmit and receive lines.
func (p *Port) Duplex() conn.Duplex { return conn.Full }

// String returns the port's device path.
func (p *Port) String() string { return p.path }

// Close releases the port and makes a pending Tx return ErrClosed. It does
// not wait for that Tx. Closing twice is harmless.
func (p *Port) Close() error {
	p.once.Do(func() {
		p.closed.Store(true)
		if err := p.sp.Close(); err != nil {
			p.cerr = fmt.Errorf("tty: close %s: %w", p.path, err)
		}
	})
	return p.cerr
}
