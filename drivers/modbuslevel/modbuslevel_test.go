package modbuslevel

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/framing"
)

// exchangeOps is how a Dev reads a response to req: it writes req and
// reads the 3-byte header, then reads the rest the header announces.
func exchangeOps(req, resp []byte) []conntest.IO {
	return []conntest.IO{{W: req, R: resp[:3]}, {R: resp[3:]}}
}

func ops(groups ...[]conntest.IO) []conntest.IO {
	var all []conntest.IO
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

func playback(t *testing.T, ops []conntest.IO) *conntest.Playback {
	t.Helper()
	p := &conntest.Playback{Ops: ops, D: conn.Half, DontPanic: true}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

func TestRead(t *testing.T) {
	tests := []struct {
		name  string
		opts  Opts
		req   []byte
		resps [][]byte // probe, then Read
		want  physic.Distance
	}{
		{"uint16 mm, defaults", Opts{}, reqH0x1, [][]byte{resp1234, resp12345}, 12345 * physic.MilliMetre},
		{"float32 m", Opts{Format: Format{Type: Float32, Unit: physic.Metre}}, reqH0x2, [][]byte{respFloat, respFloat}, 3250 * physic.MilliMetre},
		{"input registers, slave 7, low word first", Opts{Slave: 7, Function: ReadInput, Register: 0x0100, Format: Format{Type: Float32, WordOrder: LowWordFirst, Unit: physic.Metre}},
			reqI7at100x2, [][]byte{respFloatLow, respFloatLow}, 3250 * physic.MilliMetre},
		{"int16", Opts{Format: Format{Type: Int16}}, reqH0x1, [][]byte{respInt16, respInt16}, -1500 * physic.MilliMetre},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o []conntest.IO
			for _, r := range tt.resps {
				o = append(o, exchangeOps(tt.req, r)...)
			}
			d, err := New(playback(t, o), &tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Read(context.Background())
			if err != nil || got != tt.want {
				t.Errorf("Read = %v, %v; want %v", got, err, tt.want)
			}
			if s := d.Stats(); s != (Stats{Requests: 2, Responses: 2}) {
				t.Errorf("Stats = %+v", s)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name  string
		ops   []conntest.IO
		err   error
		stats Stats
	}{
		{"bad CRC", exchangeOps(reqH0x1, flip(resp1234, 4)), ErrCRC, Stats{CRCErrors: 1}},
		{"exception: illegal data address", exchangeOps(reqH0x1, excAddress), &ExceptionError{1, 3, 2}, Stats{Exceptions: 1}},
		{"exception: busy", exchangeOps(reqH0x1, excBusy), &ExceptionError{1, 3, 6}, Stats{Exceptions: 1}},
		{"answer from another slave", []conntest.IO{{W: reqH0x1, R: respSlave2[:3]}}, ErrFrame, Stats{BadFrames: 1}},
		{"byte count for another read", []conntest.IO{{W: reqH0x1, R: respFloat[:3]}}, ErrFrame, Stats{BadFrames: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := devOn(playback(t, tt.ops), Opts{})
			_, err := d.Read(context.Background())
			var ex *ExceptionError
			if want, ok := tt.err.(*ExceptionError); ok {
				if !errors.As(err, &ex) || *ex != *want {
					t.Fatalf("Read = %v, want %v", err, want)
				}
			} else if !errors.Is(err, tt.err) {
				t.Fatalf("Read = %v, want %v", err, tt.err)
			}
			tt.stats.Requests = 1
			if s := d.Stats(); s != tt.stats {
				t.Errorf("Stats = %+v, want %+v", s, tt.stats)
			}
		})
	}
}

// devOn returns a Dev on c as New leaves it, without New's probe.
func devOn(c conn.Conn, o Opts) *Dev {
	if o.Slave == 0 {
		o.Slave = 1
	}
	if o.Function == 0 {
		o.Function = ReadHolding
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	return &Dev{c: c, o: o, req: Request(o.Slave, o.Function, o.Register, uint16(o.Format.Type.Registers())), gap: interFrameGap(9600), wait: sleep}
}

// timeoutErr is what a UART conn returns when bytes do not come.
type timeoutErr struct{}

func (timeoutErr) Error() string { return "test: read timed out" }
func (timeoutErr) Timeout() bool { return true }

// silentConn is a slave that sends the first n bytes of resp and then
// nothing, so that the read waiting for more times out, as a UART's does.
type silentConn struct {
	conntest.Discard
	resp []byte
	pos  int
}

func (c *silentConn) Tx(w, r []byte) error {
	if c.pos+len(r) > len(c.resp) {
		c.pos = len(c.resp)
		return timeoutErr{}
	}
	c.pos += copy(r, c.resp[c.pos:])
	return nil
}

func TestPortTimeouts(t *testing.T) {
	tests := []struct {
		name string
		sent []byte
		err  error
	}{
		{"no answer", nil, ErrTimeout},
		{"half a header", resp1234[:2], ErrTimeout},
		{"header, then nothing", resp1234[:3], ErrTruncated},
		{"CRC missing", resp1234[:5], ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := devOn(&silentConn{resp: tt.sent}, Opts{})
			_, err := d.Read(context.Background())
			if !errors.Is(err, tt.err) || !framing.IsTimeout(err) {
				t.Fatalf("Read = %v, want %v wrapping the port's timeout", err, tt.err)
			}
			if s := d.Stats(); s.Timeouts != 1 {
				t.Errorf("Stats = %+v", s)
			}
		})
	}
}

// stuckConn is a port whose reads block until it is closed, like a
// drivers/tty.Port with a long read timeout and a dead slave.
type stuckConn struct {
	conntest.Discard
	mu      sync.Mutex
	writes  [][]byte
	release chan struct{}
}

func (c *stuckConn) Tx(w, r []byte) error {
	c.mu.Lock()
	c.writes = append(c.writes, w)
	c.mu.Unlock()
	if len(r) > 0 {
		<-c.release
		return errors.New("port closed")
	}
	return nil
}

func TestOwnTimeout(t *testing.T) {
	c := &stuckConn{release: make(chan struct{})}
	d := devOn(c, Opts{Timeout: 50 * time.Millisecond})
	start := time.Now()
	_, err := d.Read(context.Background())
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "within 50ms") {
		t.Fatalf("Read = %v, want ErrTimeout", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Read took %v with a 50ms timeout", took)
	}
	// The exchange given up on still holds the port: the next Read waits
	// for it (here until ctx ends) instead of writing over it.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := d.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Read = %v, want the ctx's deadline", err)
	}
	c.mu.Lock()
	n := len(c.writes)
	c.mu.Unlock()
	if n != 1 {
		t.Errorf("%d requests written while the first exchange was pending", n)
	}
	close(c.release) // the port is closed: the exchange ends
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if d.inflight != nil {
		t.Error("Halt left an exchange behind")
	}
	if s := d.Stats(); s.Timeouts != 1 || s.Requests != 1 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestReadHonoursContext(t *testing.T) {
	c := &stuckConn{release: make(chan struct{})}
	d := devOn(c, Opts{Timeout: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if _, err := d.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read = %v, want context.Canceled", err)
	}
	close(c.release)
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
}

// clockConn records when each request was written, and answers at once.
type clockConn struct {
	conntest.Discard
	resp   []byte
	writes []time.Time
	pos    int
	flush  int
}

func (c *clockConn) Tx(w, r []byte) error {
	if len(w) > 0 {
		c.writes = append(c.writes, time.Now())
		c.pos = 0
	}
	c.pos += copy(r, c.resp[c.pos:])
	return nil
}

func (c *clockConn) ResetInputBuffer() error { c.flush++; return nil }

func TestInterFrameGap(t *testing.T) {
	c := &clockConn{resp: resp1234}
	d, err := New(c, &Opts{Baud: 9600})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := d.Read(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	gap := interFrameGap(9600)
	if gap < 4*time.Millisecond || gap > 4100*time.Microsecond {
		t.Errorf("t3.5 at 9600 baud = %v, want 3.5 × 11 bits = 4.01ms", gap)
	}
	for i := 1; i < len(c.writes); i++ {
		if d := c.writes[i].Sub(c.writes[i-1]); d < gap {
			t.Errorf("request %d sent %v after the previous one, want ≥ %v", i, d, gap)
		}
	}
	if c.flush != 4 {
		t.Errorf("input flushed %d times, want before each of 4 requests", c.flush)
	}
	if g := interFrameGap(115200); g != 1750*time.Microsecond {
		t.Errorf("t3.5 at 115200 = %v, want 1.75ms", g)
	}
}

func TestReadRegisters(t *testing.T) {
	req := []byte{0x01, 0x03, 0x00, 0x10, 0x00, 0x03, 0x04, 0x0e}
	d := devOn(playback(t, exchangeOps(req, resp3regs)), Opts{})
	regs, err := d.ReadRegisters(context.Background(), ReadHolding, 0x10, 3)
	if err != nil || len(regs) != 3 || regs[0] != 1 || regs[1] != 2 || regs[2] != 3 {
		t.Fatalf("ReadRegisters = %v, %v", regs, err)
	}
	for _, tc := range []struct {
		fn       byte
		reg, cnt uint16
	}{{6, 0, 1}, {3, 0, 0}, {3, 0, 126}, {3, 0xffff, 2}} {
		if _, err := d.ReadRegisters(context.Background(), tc.fn, tc.reg, tc.cnt); err == nil {
			t.Errorf("ReadRegisters(%d, %#x, %d) succeeded", tc.fn, tc.reg, tc.cnt)
		}
	}
}

func TestNew(t *testing.T) {
	// The probe meets an exception: the slave is there but the config is
	// wrong, so New fails, naming the exception.
	_, err := New(playback(t, exchangeOps(reqH0x1, excAddress)), nil)
	var ex *ExceptionError
	if !errors.As(err, &ex) || ex.Code != 2 || !strings.Contains(err.Error(), "(probe on playback)") {
		t.Errorf("New = %v", err)
	}
	tests := []struct {
		opts Opts
		want string
	}{
		{Opts{Slave: 248}, "slave 248"},
		{Opts{Function: 6}, "function 0x06"},
		{Opts{Format: Format{Type: 7}}, "unknown type(7)"},
		{Opts{Register: 0xffff, Format: Format{Type: Uint32}}, "runs past 0xffff"},
		{Opts{Timeout: -1}, "negative timeout"},
	}
	for _, tt := range tests {
		if _, err := New(playback(t, nil), &tt.opts); err == nil || !strings.HasPrefix(err.Error(), "modbuslevel: ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error about %s", tt.opts, err, tt.want)
		}
	}
	d := devOn(playback(t, nil), Opts{Register: 0x100, Format: Format{Type: Float32}})
	if s := d.String(); s != "modbuslevel slave 1 register 0x0100 (function 0x03, float32) on playback" {
		t.Errorf("String = %q", s)
	}
}
