package chip

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// A UART line to the host holds LineQueue writes; a chip drops its
// periodic frames once PeriodicRoom are waiting, so that answers to
// commands still fit, as a real chip's transmitter would simply be busy.
const (
	LineQueue    = 4
	PeriodicRoom = 2
)

// Queue puts b on out, the line to the host, without waiting, and
// reports whether it did. A periodic frame is refused once PeriodicRoom
// writes are waiting, so that answers to commands still fit; an answer is
// refused only when the line is full.
func Queue(out chan<- []byte, b []byte, periodic bool) bool {
	if periodic && len(out) >= PeriodicRoom {
		return false
	}
	select {
	case out <- b:
		return true
	default:
		return false
	}
}

// Firmware is a UART chip's main loop. It reads the host's bytes from in
// and writes its own to out, and returns nil when ctx ends or the error
// that errc reports when the line fails.
type Firmware func(ctx context.Context, in <-chan []byte, out chan []byte, errc <-chan error) error

// deadliner is an io.ReadWriter whose blocked calls can be ended, such as
// *os.File under the poller (PTY's master) and net.Conn.
type deadliner interface {
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// ServeUART runs fw on rw until ctx ends, then returns nil; or until
// reading or writing rw fails, then returns that error, prefixed by name.
//
// Reads and writes run on two goroutines that ServeUART owns. When rw has
// SetReadDeadline and SetWriteDeadline (PTY's master does), ServeUART uses
// them to end blocked calls, waits for both goroutines, and clears the
// deadlines again before returning, so it returns promptly even while
// nobody reads the other end and leaves nothing running. Otherwise it
// returns without waiting, and its goroutines end as soon as their
// blocked Read or Write returns (close rw to make that happen).
func ServeUART(ctx context.Context, rw io.ReadWriter, name string, fw Firmware) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		wg   sync.WaitGroup
		in   = make(chan []byte)
		out  = make(chan []byte, LineQueue)
		errc = make(chan error, 2)
	)
	wg.Add(2)
	go func() { defer wg.Done(); readLoop(ctx, rw, name, in, errc) }()
	go func() { defer wg.Done(); writeLoop(ctx, rw, name, out, errc) }()

	err := fw(ctx, in, out, errc)
	cancel()
	if d, ok := rw.(deadliner); ok {
		past := time.Unix(1, 0)
		if d.SetReadDeadline(past) == nil && d.SetWriteDeadline(past) == nil {
			wg.Wait()
			d.SetReadDeadline(time.Time{})
			d.SetWriteDeadline(time.Time{})
		}
	}
	return err
}

func readLoop(ctx context.Context, r io.Reader, name string, in chan<- []byte, errc chan<- error) {
	buf := make([]byte, 64)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			select {
			case in <- append([]byte(nil), buf[:n]...):
			case <-ctx.Done():
				return
			}
		}
		if err != nil {
			errc <- fmt.Errorf("%s: read: %w", name, err)
			return
		}
	}
}

func writeLoop(ctx context.Context, w io.Writer, name string, out <-chan []byte, errc chan<- error) {
	for {
		select {
		case b := <-out:
			if _, err := w.Write(b); err != nil {
				errc <- fmt.Errorf("%s: write: %w", name, err)
				return
			}
		case <-ctx.Done():
			return
		}
	}
}
