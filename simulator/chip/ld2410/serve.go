package ld2410

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
	return chip.ServeUART(ctx, rw, "ld2410 chip", c.loop)
}

// loop is the radar's firmware: it obeys commands and sends reports.
func (c *Chip) loop(ctx context.Context, in <-chan []byte, out chan []byte, errc <-chan error) error {
	ticker := time.NewTicker(c.period)
	defer ticker.Stop()
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
			if !c.State().Config {
				c.send(out, report(c.src(c.now())), true)
			}
		case b := <-in:
			for _, x := range b {
				payload, ok, bad := p.feed(x)
				if bad {
					c.count(func(s *State) { s.BadCommands++ })
				}
				if ok {
					c.obey(out, payload)
				}
			}
		}
	}
}

// obey carries out one well-formed command.
func (c *Chip) obey(out chan []byte, payload []byte) {
	word := binary.LittleEndian.Uint16(payload)
	c.mu.Lock()
	st := &c.state
	st.Commands++
	var answer []byte
	switch {
	case word == cmdEnableConfig:
		st.Config = true
		answer = ack(word, 0, 0x01, 0x00, 0x40, 0x00) // protocol 1, buffer 64
	case !st.Config:
		st.Ignored++
	case word == cmdEndConfig:
		st.Config = false
		answer = ack(word, 0)
	case word == cmdFirmware:
		v := binary.LittleEndian.AppendUint16(nil, c.fw.Type)
		v = append(v, c.fw.Minor, c.fw.Major)
		v = binary.LittleEndian.AppendUint32(v, c.fw.Build)
		answer = ack(word, 0, v...)
	default:
		answer = ack(word, 1) // not emulated: refused
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
	case b[0] == reportHeader[0]:
		c.state.Reports++
	default:
		c.state.Acks++
	}
}

func (c *Chip) count(f func(*State)) {
	c.mu.Lock()
	f(&c.state)
	c.mu.Unlock()
}
