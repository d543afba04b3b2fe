// Package chiptest holds the helpers the chip emulators' tests share: an
// emulator served on one end of a pipe, and exact expectations of the
// bytes it sends, or of its silence. Like net/http/httptest, it is for
// tests only.
package chiptest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
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
