package ultrasonic

import (
	"context"
	"io"
	"time"

	"github.com/xiuhua/xiuhua/simulator/chip"
)

// Serve speaks the chip's protocol on rw until ctx ends, then returns nil;
// or until reading or writing rw fails, then returns that error. See
// chip.ServeUART for how it ends its goroutines.
func (c *Chip) Serve(ctx context.Context, rw io.ReadWriter) error {
	return chip.ServeUART(ctx, rw, "ultrasonic chip", c.loop)
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
	if chip.Queue(out, b, periodic) {
		c.state.Frames++
	} else {
		c.state.Dropped++
	}
}

func (c *Chip) count(f func(*State)) {
	c.mu.Lock()
	f(&c.state)
	c.mu.Unlock()
}
