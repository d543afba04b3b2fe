package modbusradar

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// deadliner is an io.ReadWriter whose blocked calls can be ended, such as
// *os.File under the poller (chip.PTY's master) and net.Conn.
type deadliner interface {
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// Serve answers requests on rw until ctx ends, then returns nil; or until
// reading or writing rw fails, then returns that error.
//
// Reads and writes run on two goroutines that Serve owns. When rw has
// deadlines (chip.PTY's master does), Serve uses them to end blocked
// calls and waits for both goroutines before returning; otherwise its
// goroutines end when their blocked Read or Write returns.
func (c *Chip) Serve(ctx context.Context, rw io.ReadWriter) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		in   = make(chan []byte)
		out  = make(chan []byte, 4)
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
	buf := make([]byte, 256)
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
			errc <- fmt.Errorf("modbusradar: read: %w", err)
			return
		}
	}
}

func writeLoop(ctx context.Context, w io.Writer, out <-chan []byte, errc chan<- error) {
	for {
		select {
		case b := <-out:
			if _, err := w.Write(b); err != nil {
				errc <- fmt.Errorf("modbusradar: write: %w", err)
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// loop is the sensor's firmware: it collects bytes until t3.5 of silence
// ends a frame, answers it after the processing delay, and drops bytes
// beyond the 256-byte RTU limit.
func (c *Chip) loop(ctx context.Context, in <-chan []byte, out chan<- []byte, errc <-chan error) error {
	silence := time.NewTimer(time.Hour)
	silence.Stop()
	defer silence.Stop()
	var frame []byte
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return err
		case b := <-in:
			if room := 256 - len(frame); room > 0 {
				frame = append(frame, b[:min(len(b), room)]...)
			}
			silence.Reset(c.gap)
		case <-silence.C:
			resp := c.Handle(frame)
			frame = nil
			if resp == nil {
				continue
			}
			if c.delay > 0 {
				t := time.NewTimer(c.delay)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return nil
				}
			}
			select {
			case out <- resp:
			default: // nobody reads the line: the answer is lost, as on a bus
			}
		}
	}
}
