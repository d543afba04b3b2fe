package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/xiuhua/xiuhua/agent"
	"github.com/xiuhua/xiuhua/agent/clock"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip"
)

// device is one virtual board running the real agent. Its run goroutine
// owns the board's parts; other goroutines reach it through cmds.
type device struct {
	f      *Fleet
	i      int
	id     string
	broker string
	cmds   chan command

	// Set by the first boot and kept for the fleet's life: the serial
	// port the config names, and in PTY mode the pseudo-terminal.
	port string
	pty  *chip.PTY

	mu       sync.Mutex
	agent    *agent.Agent       // while up
	stopChip context.CancelFunc // while the chip is powered
	errBase  uint64             // sampler failures when the sensors were stopped

	up    atomic.Bool
	boots atomic.Uint64
	last  atomic.Pointer[snapshot] // the latest status read while up
}

// command asks run to power the device on or off; done is closed once
// it is.
type command struct {
	on   bool
	done chan struct{}
}

// snapshot is a device's status at one moment.
type snapshot struct {
	connected   bool
	committed   uint64 // sequence numbers given: readings committed over every boot
	backlog     uint64 // of which still in the outbox
	samplerErrs uint64 // failed samples and opens since this boot
}

// run boots the device and keeps it running until ctx ends, powering it
// off and on as commands say. It returns an error only when the device
// cannot be set up or its agent fails (a broken outbox).
func (d *device) run(ctx context.Context) error {
	var started chan struct{}
	for {
		cut, err := d.boot(ctx, started)
		if err != nil || !cut {
			return err
		}
		started = nil
		for started == nil {
			select {
			case <-ctx.Done():
				return nil
			case c := <-d.cmds:
				if c.on {
					started = c.done
				} else {
					close(c.done)
				}
			}
		}
	}
}

// boot powers the board on, runs its agent until ctx ends (cut false) or
// a power cut (cut true), and returns once every part has stopped.
// started, if not nil, is closed once the agent runs.
func (d *device) boot(ctx context.Context, started chan struct{}) (cut bool, err error) {
	o := &d.f.o
	if d.port == "" {
		if err := d.setUp(); err != nil {
			return false, err
		}
	}
	cfg, err := configs.LoadAgent(filepath.Join(d.f.dir, configFile(d.id)))
	if err != nil {
		return false, fmt.Errorf("fleet: %s: %w", d.id, err)
	}
	b := board.New()
	var line io.ReadWriter
	if d.pty != nil {
		line = d.pty.Master
	} else {
		u := board.NewUART(d.port, nil)
		b.AddUART(u)
		line = u.Chip()
	}
	// The chip is joined after the agent's context ends (defers run last
	// first).
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !d.f.sensorsOff.Load() {
		d.powerChip(ctx, line, &wg)
	}

	net := &netLink{dialer: &d.f.dialer, conns: make(map[*trackedConn]struct{})}
	var clk clock.Clock
	if o.Clock != nil {
		clk = o.Clock(d.i)
	}
	a, err := agent.New(cfg, b, agent.Opts{Clock: clk, Dial: net.dial, Logger: o.Logger})
	if err != nil {
		return false, fmt.Errorf("fleet: %s: %w", d.id, err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	d.mu.Lock()
	d.agent = a
	d.mu.Unlock()
	d.up.Store(true)
	d.boots.Add(1)
	if started != nil {
		close(started)
	}
	defer func() {
		d.mu.Lock()
		d.agent, d.stopChip = nil, nil
		d.mu.Unlock()
	}()

	var cutDone chan struct{}
	for cutDone == nil {
		select {
		case <-ctx.Done():
			d.snap() // best effort: the agent is stopping, its outbox still open
			err = <-done
			d.up.Store(false)
			return false, agentErr(d.id, err)
		case err = <-done:
			d.up.Store(false)
			if err == nil {
				err = errors.New("agent stopped by itself")
			}
			return false, agentErr(d.id, err)
		case c := <-d.cmds:
			if c.on {
				close(c.done) // already on
				continue
			}
			cutDone = c.done
		}
	}
	// A power cut: the network goes first, so that no goodbye leaves the
	// board and the broker sees the connection die (and publishes the
	// will), then the agent and the chip stop mid-stride. What the agent
	// committed is on disk (every commit is fsynced); what it had not
	// committed is lost, as on a board.
	d.snap() // the last status before the cut, for the status line
	net.sever()
	cancel()
	<-done
	wg.Wait()
	d.up.Store(false)
	close(cutDone)
	return true, nil
}

func agentErr(id string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return nil
	}
	return fmt.Errorf("fleet: %s: %w", id, err)
}

// setUp gives the device its serial port and writes its config.
func (d *device) setUp() error {
	port := "/dev/ttyAMA0"
	if d.f.o.PTY {
		p, err := chip.OpenPTY()
		if err != nil {
			return fmt.Errorf("fleet: %s: %w", d.id, err)
		}
		d.pty, port = p, p.SlavePath
	}
	text := agentYAML(&d.f.o, d.f.kind, d.id, port, d.broker)
	if err := os.WriteFile(filepath.Join(d.f.dir, configFile(d.id)), []byte(text), 0o640); err != nil {
		if d.pty != nil {
			d.pty.Close()
			d.pty = nil
		}
		return fmt.Errorf("fleet: %s: %w", d.id, err)
	}
	d.port = port
	return nil
}

// powerChip starts the chip emulator on line under wg.
func (d *device) powerChip(ctx context.Context, line io.ReadWriter, wg *sync.WaitGroup) {
	ctx, cancel := context.WithCancel(ctx)
	serve := d.f.kind.chip(d.i)
	d.mu.Lock()
	d.stopChip = cancel
	d.mu.Unlock()
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer cancel()
		// The line only fails when the fleet closes a pseudo-terminal at
		// its end; the chip's own stop returns nil.
		serve(ctx, line)
	}()
}

// sensorsOff cuts the chip's power, keeping the board up, and notes how
// many samples had failed, so that Drain can tell when the sampler has
// seen the sensor gone.
func (d *device) sensorsOff() {
	d.mu.Lock()
	stop := d.stopChip
	d.stopChip = nil
	d.mu.Unlock()
	if stop != nil {
		stop()
	}
	s := d.snap()
	d.mu.Lock()
	d.errBase = s.samplerErrs
	d.mu.Unlock()
}

// snap reads the agent's status when the device is up, and otherwise
// returns the last one read.
func (d *device) snap() snapshot {
	d.mu.Lock()
	a := d.agent
	d.mu.Unlock()
	if a != nil {
		if st, err := a.Status(); err == nil {
			s := snapshot{connected: st.Uplink.Connected, backlog: st.Outbox.Depth}
			if st.Outbox.NextSeq > 0 {
				s.committed = st.Outbox.NextSeq - 1
			}
			for _, sm := range st.Samplers {
				s.samplerErrs += sm.Errors + sm.OpenErrs
			}
			d.last.Store(&s)
			return s
		}
	}
	if p := d.last.Load(); p != nil {
		s := *p
		s.connected = false
		return s
	}
	return snapshot{}
}

// errPowerOff is what a board's network says while its power is cut.
var errPowerOff = errors.New("fleet: board powered off")

// netLink is one boot's network: the agent dials through it, and a power
// cut resets every connection it made and refuses new ones.
type netLink struct {
	dialer *net.Dialer

	mu      sync.Mutex
	conns   map[*trackedConn]struct{}
	severed bool
}

func (l *netLink) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	l.mu.Lock()
	severed := l.severed
	l.mu.Unlock()
	if severed {
		return nil, errPowerOff
	}
	c, err := l.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.severed {
		resetClose(c)
		return nil, errPowerOff
	}
	l.conns[tc] = struct{}{}
	return tc, nil
}

// sever resets every connection and refuses new ones.
func (l *netLink) sever() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.severed = true
	for c := range l.conns {
		resetClose(c.Conn)
	}
	clear(l.conns)
}

// trackedConn leaves its link's set when closed.
type trackedConn struct {
	net.Conn
	l *netLink
}

func (c *trackedConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// resetClose closes c with a TCP reset. A board that loses power sends
// nothing at all and leaves the broker to its keepalive (45 s for the
// agent's 30 s); the reset gets the same outcome, a lost connection and
// its will, without the wait.
func resetClose(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
