package chiptest

import (
	"context"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/simulator/chip"
)

// WaitGoroutines waits up to 5 s for the goroutine count to fall back to
// n, and fails with every goroutine's stack if it does not.
func WaitGoroutines(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// StopsWhileBacked runs serve on rw, whose other end nobody reads, until
// backed reports that the chip's line is backed up (polled every 10 ms,
// for at most 20 s); then it ends serve's context and checks that serve
// returns nil within a second and leaves no goroutine behind.
func StopsWhileBacked(t testing.TB, rw io.ReadWriter, serve func(context.Context, io.ReadWriter) error, backed func() bool) {
	t.Helper()
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, rw) }()
	deadline := time.Now().Add(20 * time.Second)
	for !backed() {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatal("the chip's line never backed up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Serve did not return after ctx ended")
	}
	WaitGoroutines(t, base)
}

// StopsOnPTY is StopsWhileBacked on a pseudo-terminal whose slave nobody
// reads: the pty fills and the chip's writes block in the kernel.
func StopsOnPTY(t testing.TB, serve func(context.Context, io.ReadWriter) error, backed func() bool) {
	t.Helper()
	p, err := chip.OpenPTY()
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	defer p.Close()
	StopsWhileBacked(t, p.Master, serve, backed)
}

// Stalled returns a backed func for StopsOnPTY: the line is full once the
// count of items that reach it stops moving while the count of items
// dropped goes on rising, between two polls 50 ms apart.
func Stalled(sent, dropped func() uint64) func() bool {
	prevSent, prevDropped := sent(), dropped()
	return func() bool {
		time.Sleep(50 * time.Millisecond)
		s, d := sent(), dropped()
		full := s == prevSent && d > prevDropped
		prevSent, prevDropped = s, d
		return full
	}
}
