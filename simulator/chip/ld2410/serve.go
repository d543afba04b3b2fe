package ld2410

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"time"
)

// Queue sizes of the line to the host: periodic frames are dropped once
// periodicRoom items wait, so that answers to commands still fit.
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
			errc <- fmt.Errorf("ld2410 chip: read: %w", err)
			return
		}
	}
}

func writeLoop(ctx context.Context, w io.Writer, out <-chan []byte, errc chan<- error) {
	for {
		select {
		case b := <-out:
			if _, err := w.Write(b); err != nil {
				errc <- fmt.Errorf("ld2410 chip: write: %w", err)
				return
			}
		case <-ctx.Done():
			return
		}
	}
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
	if !periodic || len(out) < periodicRoom {
		select {
		case out <- b:
			if b[0] == reportHeader[0] {
				c.state.Reports++
			} else {
				c.state.Acks++
			}
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
