package modbuslevel

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/framing"
)

// Defaults used for zero Opts fields.
const (
	DefaultSlave   = 1
	DefaultTimeout = time.Second
	DefaultBaud    = 9600
)

// Opts configures a Dev. The zero value reads holding register 0 of
// slave 1 as a uint16 count of millimetres, and waits up to 1 s for an
// answer at 9600 baud.
type Opts struct {
	// Slave is the slave address, 1–247; 0 means DefaultSlave.
	Slave byte
	// Function is ReadHolding or ReadInput; 0 means ReadHolding.
	Function byte
	// Register is the first register's address as sent on the wire
	// (0-based: "40001" in 1-based holding-register notation is 0).
	Register uint16
	// Format says how the registers hold the distance.
	Format Format
	// Timeout is how long to wait for a response; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// Baud is the line rate, used for the inter-frame gap; 0 means
	// DefaultBaud.
	Baud int
}

// Stats counts a Dev's transactions since New.
type Stats struct {
	Requests   uint64
	Responses  uint64 // good responses with data
	Exceptions uint64 // exception responses
	Timeouts   uint64 // no (complete) response in time
	CRCErrors  uint64
	BadFrames  uint64 // good CRC, but not the answer asked for
}

// Dev is a Modbus RTU slave with a level or distance in its registers,
// on a serial conn whose Tx(w, r) writes w and then reads exactly len(r)
// bytes or fails with a timeout (drivers/tty.Port). Its methods are safe
// for concurrent use; transactions take turns.
type Dev struct {
	c    conn.Conn
	o    Opts
	req  []byte        // the request Read sends
	gap  time.Duration // t3.5
	wait func(context.Context, time.Duration) error

	mu       sync.Mutex    // one transaction at a time
	last     time.Time     // when the line last fell quiet
	inflight chan struct{} // closed when an abandoned exchange ends; nil if none

	stats struct{ requests, responses, exceptions, timeouts, crc, frames atomic.Uint64 }
}

var _ conn.Resource = (*Dev)(nil)

// New checks opts and probes the slave with one read of the configured
// registers. An exception response fails New: the slave is there, but
// the configuration asks for something it does not have. When the probe
// times out, New waits for its exchange to end (at the conn's own read
// timeout) before it returns, so that nothing is left using c.
func New(c conn.Conn, opts *Opts) (*Dev, error) {
	d, err := newDev(c, opts)
	if err != nil {
		return nil, err
	}
	if err := d.probe(context.Background()); err != nil {
		d.Halt()
		return nil, err
	}
	return d, nil
}

// newDev checks opts and returns a Dev that has not talked to the slave.
func newDev(c conn.Conn, opts *Opts) (*Dev, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Slave == 0 {
		o.Slave = DefaultSlave
	}
	if o.Function == 0 {
		o.Function = ReadHolding
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Baud == 0 {
		o.Baud = DefaultBaud
	}
	switch {
	case o.Slave > 247:
		return nil, fmt.Errorf("modbuslevel: slave %d is not 1–247", o.Slave)
	case o.Function != ReadHolding && o.Function != ReadInput:
		return nil, fmt.Errorf("modbuslevel: function %#02x is neither 0x03 nor 0x04", o.Function)
	case o.Format.Type > Float32:
		return nil, fmt.Errorf("modbuslevel: unknown %v", o.Format.Type)
	case int(o.Register)+o.Format.Type.Registers() > 0x10000:
		return nil, fmt.Errorf("modbuslevel: register %#04x + %d runs past 0xffff", o.Register, o.Format.Type.Registers())
	case o.Timeout < 0 || o.Baud < 0:
		return nil, fmt.Errorf("modbuslevel: negative timeout %v or baud %d", o.Timeout, o.Baud)
	}
	return &Dev{
		c: c, o: o,
		req:  Request(o.Slave, o.Function, o.Register, uint16(o.Format.Type.Registers())),
		gap:  interFrameGap(o.Baud),
		wait: sleep,
	}, nil
}

// probe reads the configured registers once.
func (d *Dev) probe(ctx context.Context) error {
	if _, err := d.read(ctx); err != nil {
		return fmt.Errorf("%w (probe on %s)", err, d.c)
	}
	return nil
}

// interFrameGap is t3.5, the silence that separates RTU frames: 3.5
// characters of 11 bits (start, 8 data, parity or a second stop, stop),
// fixed at 1.75 ms above 19200 baud (Modbus over serial line V1.02,
// §2.5.1.1).
func interFrameGap(baud int) time.Duration {
	if baud > 19200 {
		return 1750 * time.Microsecond
	}
	return time.Duration(3.5 * 11 * float64(time.Second) / float64(baud))
}

// Read reads the configured registers and returns the distance they hold.
func (d *Dev) Read(ctx context.Context) (physic.Distance, error) {
	return d.read(ctx)
}

func (d *Dev) read(ctx context.Context) (physic.Distance, error) {
	regs, err := d.transact(ctx, d.req, d.o.Format.Type.Registers())
	if err != nil {
		return 0, err
	}
	return d.o.Format.Distance(regs)
}

// ReadRegisters reads count (1–125) registers from register on, with
// function ReadHolding or ReadInput, from the Dev's slave.
func (d *Dev) ReadRegisters(ctx context.Context, function byte, register, count uint16) ([]uint16, error) {
	if function != ReadHolding && function != ReadInput {
		return nil, fmt.Errorf("modbuslevel: function %#02x is neither 0x03 nor 0x04", function)
	}
	if count < 1 || count > maxRegisters || int(register)+int(count) > 0x10000 {
		return nil, fmt.Errorf("modbuslevel: cannot read %d registers from %#04x", count, register)
	}
	return d.transact(ctx, Request(d.o.Slave, function, register, count), int(count))
}

// transact runs one request and response. The exchange with the conn
// runs on a goroutine so that the Dev's timeout and ctx bound it even
// though a conn read cannot be interrupted; an exchange given up on is
// waited for before the next one starts, and by Halt.
func (d *Dev) transact(ctx context.Context, req []byte, count int) ([]uint16, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.settle(ctx); err != nil {
		return nil, err
	}
	if f, ok := d.c.(interface{ ResetInputBuffer() error }); ok {
		// A late answer to an earlier request must not be taken for this one's.
		if err := f.ResetInputBuffer(); err != nil {
			return nil, fmt.Errorf("modbuslevel: flush input: %w", err)
		}
	}
	if err := d.wait(ctx, time.Until(d.last.Add(d.gap))); err != nil {
		return nil, err
	}
	type result struct {
		frame []byte
		err   error
	}
	done := make(chan result, 1)
	finished := make(chan struct{})
	slave, function := req[0], req[1]
	d.stats.requests.Add(1)
	go func() {
		defer close(finished)
		f, err := exchange(d.c, req, slave, function, count)
		done <- result{f, err}
	}()
	timer := time.NewTimer(d.o.Timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		d.last = time.Now()
		if r.err != nil {
			d.count(r.err)
			return nil, r.err
		}
		regs, err := ParseResponse(r.frame, slave, function, count)
		d.count(err)
		return regs, err
	case <-timer.C:
		d.inflight = finished
		d.stats.timeouts.Add(1)
		return nil, fmt.Errorf("%w from slave %d within %v", ErrTimeout, slave, d.o.Timeout)
	case <-ctx.Done():
		d.inflight = finished
		return nil, ctx.Err()
	}
}

// settle waits for an exchange given up on to end. The caller holds d.mu.
func (d *Dev) settle(ctx context.Context) error {
	if d.inflight == nil {
		return nil
	}
	select {
	case <-d.inflight:
		d.inflight, d.last = nil, time.Now()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// exchange writes req and reads the response: the 3-byte header, then as
// many bytes as the header says follow.
func exchange(c conn.Conn, req []byte, slave, function byte, count int) ([]byte, error) {
	f := make([]byte, headerSize, headerSize+2*count+2)
	if err := c.Tx(req, f); err != nil {
		if framing.IsTimeout(err) {
			return nil, fmt.Errorf("%w from slave %d: %w", ErrTimeout, slave, err)
		}
		return nil, fmt.Errorf("modbuslevel: request: %w", err)
	}
	n, err := rest(f, slave, function, count)
	if err != nil {
		return nil, err
	}
	f = f[:headerSize+n]
	if err := c.Tx(nil, f[headerSize:]); err != nil {
		if framing.IsTimeout(err) {
			return nil, fmt.Errorf("%w: % x and then nothing: %w", ErrTruncated, f[:headerSize], err)
		}
		return nil, fmt.Errorf("modbuslevel: read response: %w", err)
	}
	return f, nil
}

func (d *Dev) count(err error) {
	var ex *ExceptionError
	switch {
	case err == nil:
		d.stats.responses.Add(1)
	case errors.As(err, &ex):
		d.stats.exceptions.Add(1)
	case errors.Is(err, ErrCRC):
		d.stats.crc.Add(1)
	case errors.Is(err, ErrTimeout), errors.Is(err, ErrTruncated):
		d.stats.timeouts.Add(1)
	case errors.Is(err, ErrFrame):
		d.stats.frames.Add(1)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Stats returns the Dev's counters.
func (d *Dev) Stats() Stats {
	return Stats{
		Requests: d.stats.requests.Load(), Responses: d.stats.responses.Load(), Exceptions: d.stats.exceptions.Load(),
		Timeouts: d.stats.timeouts.Load(), CRCErrors: d.stats.crc.Load(), BadFrames: d.stats.frames.Load(),
	}
}

// Halt waits for an exchange given up on after a timeout to end; closing
// the conn first makes that immediate. A Modbus slave has nothing to
// stop.
func (d *Dev) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.settle(context.Background())
}

func (d *Dev) String() string {
	return fmt.Sprintf("modbuslevel slave %d register %#04x (function %#02x, %v) on %s", d.o.Slave, d.o.Register, d.o.Function, d.o.Format.Type, d.c)
}
