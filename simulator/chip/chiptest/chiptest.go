// Package chiptest holds the helpers the chip emulators' tests share: an
// emulator served on one end of a pipe or on a pseudo-terminal, exact
// expectations of the bytes it sends, or of its silence, and a settable
// clock. Like net/http/httptest, it is for tests only.
package chiptest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/simulator/chip"
)

// Silence is how long Expect listens before it believes a chip is silent.
const Silence = 50 * time.Millisecond

// ServeOnPipe runs serve (an emulator's Serve) on one end of a pipe and
// returns the other end, the host's. At cleanup it stops serve, checks
// that it returned nil and closes both ends.
func ServeOnPipe(t testing.TB, serve func(context.Context, io.ReadWriter) error) net.Conn {
	t.Helper()
	chipEnd, host := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, chipEnd) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		host.Close()
		chipEnd.Close()
	})
	return host
}

// Expect reads exactly want from host within 5 s, or, when want is nil,
// checks that nothing comes for Silence.
func Expect(t testing.TB, host net.Conn, want []byte) {
	t.Helper()
	if want == nil {
		host.SetReadDeadline(time.Now().Add(Silence))
		b := make([]byte, 64)
		if n, err := host.Read(b); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("chip sent % x (%v), want silence", b[:n], err)
		}
		return
	}
	host.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(host, got); err != nil {
		t.Fatalf("chip sent nothing: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("chip sent % x, want % x", got, want)
	}
}

// ServeOnPTY runs serve (an emulator's Serve) on the master of a new
// pseudo-terminal and returns the pty, whose SlavePath the driver under
// test opens. It skips the test on a machine without pseudo-terminals. At
// cleanup it stops serve, checks that it returned nil and closes the pty.
func ServeOnPTY(t testing.TB, serve func(context.Context, io.ReadWriter) error) *chip.PTY {
	t.Helper()
	p, err := chip.OpenPTY()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, p.Master) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		p.Close()
	})
	return p
}

// Send writes b to the chip from the host end, within 5 s.
func Send(t testing.TB, host net.Conn, b []byte) {
	t.Helper()
	host.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := host.Write(b); err != nil {
		t.Fatal(err)
	}
}

// ReturnsReadError checks that serve, on a pipe whose host end goes away,
// returns within 5 s with the read's error, io.EOF.
func ReturnsReadError(t testing.TB, serve func(context.Context, io.ReadWriter) error) {
	t.Helper()
	chipEnd, host := net.Pipe()
	defer chipEnd.Close()
	done := make(chan error, 1)
	go func() { done <- serve(context.Background(), chipEnd) }()
	host.Close()
	select {
	case err := <-done:
		if !errors.Is(err, io.EOF) {
			t.Errorf("Serve = %v, want EOF", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return when the host went away")
	}
}

// Clock is a settable time for a chip's Source, safe for the chip's
// goroutines to read while the test moves it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock set to t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// Add moves the clock on by d and returns the new time.
func (c *Clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}
