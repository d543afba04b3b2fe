package pms5003

import (
	"context"
	"encoding/binary"
	"io"
	"time"

	"github.com/xiuhua/xiuhua/simulator/chip"
)

// Serve speaks the chip's protocol on rw until ctx ends, then returns nil;
// or until reading or writing rw fails, then returns that error. See
// chip.ServeUART for how it ends its goroutines.
func (c *Chip) Serve(ctx context.Context, rw io.ReadWriter) error {
	return chip.ServeUART(ctx, rw, "pms5003 chip", c.loop)
}

// loop is the chip's firmware: it obeys commands and sends frames.
func (c *Chip) loop(ctx context.Context, in <-chan []byte, out chan []byte, errc <-chan error) error {
	ticker := time.NewTicker(c.period)
	defer ticker.Stop()
	streaming := true
	retick := func() {
		st := c.State()
		now := st.Active && !st.Asleep
		if now == streaming {
			return
		}
		streaming = now
		if now {
			ticker.Reset(c.period)
		} else {
			ticker.Stop()
		}
	}
	retick()

	var p parser
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
			c.send(out, frame(c.src(c.now())), true)
		case b := <-in:
			for _, x := range b {
				cmd, ok, bad := p.feed(x)
				if bad {
					c.count(func(s *State) { s.BadCommands++ })
				}
				if ok {
					c.obey(out, cmd)
					retick()
				}
			}
		}
	}
}

// obey carries out one command with a good check.
func (c *Chip) obey(out chan []byte, cmd [cmdSize]byte) {
	code, data := cmd[2], binary.BigEndian.Uint16(cmd[3:])
	c.mu.Lock()
	c.state.Commands++
	st := &c.state
	var answer []byte
	switch {
	case code == cmdMode && data <= 1:
		st.Active = data == 1
		answer = reply(cmdMode, byte(data))
	case code == cmdRead && !st.Active && !st.Asleep:
		c.mu.Unlock()
		c.send(out, frame(c.src(c.now())), false)
		return
	case code == cmdSleep && data == 0:
		st.Asleep = true
		answer = reply(cmdSleep, 0)
	case code == cmdSleep && data == 1:
		st.Asleep = false
	}
	c.mu.Unlock()
	if answer != nil {
		c.send(out, answer, false)
	}
}

// send queues b for the line, or drops it when the line is backed up.
// It counts under the lock it sends under, so that whoever has read b
// from the line sees it counted.
func (c *Chip) send(out chan []byte, b []byte, periodic bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !chip.Queue(out, b, periodic):
		c.state.Dropped++
	case len(b) == frameSize:
		c.state.Frames++
	default:
		c.state.Replies++
	}
}

func (c *Chip) count(f func(*State)) {
	c.mu.Lock()
	f(&c.state)
	c.mu.Unlock()
}
