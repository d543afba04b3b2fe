package ultrasonic

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// Queue sizes of the line to the host: periodic frames are dropped once
// periodicRoom items wait.
const (
	lineQueue    = 4
	periodicRoom = 2
)

// deadliner is an io.ReadWriter whose blocked calls can be ended, such as
// *os.File under the poller (chip.PTY's master) and net.Conn.
type deadliner interface {
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// Serve speaks the chip's protocol on rw until ctx ends, then returns nil;
// or until reading or writing rw fails, then returns that error.
//
// Reads and writes run on two goroutines that Serve owns. When rw has
// SetReadDeadline and SetWriteDeadline (chip.PTY's master does), Serve
// uses them to end blocked calls, waits for both goroutines, and clears
// the deadlines again before returning, so it returns promptly even while
// nobody reads the other end and leaves nothing running. Otherwise it
// returns without waiting, and its goroutines end as soon as their
// blocked Read or Write returns (close rw to make that happen).
func (c *Chip) Serve(ctx context.Context, rw io.ReadWriter) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		wg   sync.WaitGroup
		in   = make(chan []byte)
		out  = make(chan []byte, lineQueue)
		errc = make(chan error, 2)
	)
	wg.Add(2)
	go func() { defer wg.Done(); readLoop(ctx, rw, in, errc) }()
	go func() { defer wg.Done(); writeLoop(ctx, rw, out, errc) }()

	err := c.loop(ctx, in, out, errc)
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

func readLoop(ctx context.Context, r io.Reader, in chan<- []byte, errc chan<- error) {
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
			errc <- fmt.Errorf("ultrasonic chip: read: %w", err)
			return
		}
	}
}

func writeLoop(ctx context.Context, w io.Writer, out <-chan []byte, errc chan<- error) {
	for {
		select {
		case b := <-out:
			if _, err := w.Write(b); err != nil {
				errc <- fmt.Errorf("ultrasonic chip: write: %w", err)
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// loop is the board's firmware: it sends frames on its own or answers
// triggers.
func (c *Chip) loop(ctx context.Context, in <-chan []byte, out chan []byte, errc <-chan error) error {
	ticker := time.NewTicker(c.period)
	defer ticker.Stop()
	if c.trigger >= 0 {
		ticker.Stop()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return err
		case <-ticker.C:
			c.send(out, frame(c.src(c.now()), c.noHeader), true)
		case b := <-in:
			for _, x := range b {
				if int(x) != c.trigger {
					c.count(func(s *State) { s.Ignored++ })
					continue
				}
				c.count(func(s *State) { s.Triggers++ })
				c.send(out, frame(c.src(c.now()), c.noHeader), false)
			}
		}
	}
}

// send queues b for the line, or drops it when the line is backed up.
// A triggered frame is dropped too rather than block: a board answers
// when it can, and a host that floods it with triggers loses frames.
func (c *Chip) send(out chan []byte, b []byte, periodic bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !periodic || len(out) < periodicRoom {
		select {
		case out <- b:
			c.state.Frames++
			return
		default:
		}
	}
	c.state.Dropped++
}

func (c *Chip) count(f func(*State)) {
	c.mu.Lock()
	f(&c.state)
	c.mu.Unlock()
}
