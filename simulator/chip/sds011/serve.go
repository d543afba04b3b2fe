package sds011

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
	return chip.ServeUART(ctx, rw, "sds011 chip", c.loop)
}

// interval is how often the chip sends frames on its own in state st, or
// 0 when it does not.
func (c *Chip) interval(st State) time.Duration {
	switch {
	case !st.Active || st.Asleep:
		return 0
	case st.Period == 0:
		return c.period
	}
	return time.Duration(st.Period) * c.minute
}

// loop is the chip's firmware: it obeys commands and sends frames.
func (c *Chip) loop(ctx context.Context, in <-chan []byte, out chan []byte, errc <-chan error) error {
	ticker := time.NewTicker(time.Hour)
	ticker.Stop()
	defer ticker.Stop()
	var every time.Duration
	retick := func() {
		now := c.interval(c.State())
		if now == every {
			return
		}
		every = now
		if now > 0 {
			ticker.Reset(now)
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
			c.send(out, frame(c.src(c.now()), c.State().ID), true)
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

// obey carries out one command with a good checksum.
func (c *Chip) obey(out chan []byte, cmd [cmdSize]byte) {
	code, op, v := cmd[2], cmd[3], cmd[4]
	to := uint16(cmd[15])<<8 | uint16(cmd[16])
	c.mu.Lock()
	st := &c.state
	if to != 0xffff && to != st.ID {
		c.mu.Unlock()
		return
	}
	st.Commands++
	var answer []byte
	switch {
	case st.Asleep && !(code == cmdSleep && op == 1):
		// Asleep, the chip hears only the work command (see the package
		// doc).
		st.Ignored++
	case code == cmdMode && op == 0:
		answer = reply(cmdMode, 0, modeByte(st.Active), 0, st.ID)
	case code == cmdMode && op == 1 && v <= 1:
		st.Active = v == 0
		answer = reply(cmdMode, 1, v, 0, st.ID)
	case code == cmdQuery:
		id := st.ID
		c.mu.Unlock()
		c.send(out, frame(c.src(c.now()), id), false)
		return
	case code == cmdSetID:
		st.ID = uint16(cmd[13])<<8 | uint16(cmd[14])
		answer = reply(cmdSetID, 0, 0, 0, st.ID)
	case code == cmdSleep && op == 0:
		answer = reply(cmdSleep, 0, workByte(st.Asleep), 0, st.ID)
	case code == cmdSleep && op == 1 && v <= 1:
		st.Asleep = v == 0
		answer = reply(cmdSleep, 1, v, 0, st.ID)
	case code == cmdFirmware:
		answer = reply(cmdFirmware, c.fw[0], c.fw[1], c.fw[2], st.ID)
	case code == cmdPeriod && op == 0:
		answer = reply(cmdPeriod, 0, byte(st.Period), 0, st.ID)
	case code == cmdPeriod && op == 1 && v <= maxPeriod:
		st.Period = int(v)
		answer = reply(cmdPeriod, 1, v, 0, st.ID)
	default:
		st.Ignored++
	}
	c.mu.Unlock()
	if answer != nil {
		c.send(out, answer, false)
	}
}

func modeByte(active bool) byte {
	if active {
		return 0
	}
	return 1
}

func workByte(asleep bool) byte {
	if asleep {
		return 0
	}
	return 1
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
	case b[1] == kindData:
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
