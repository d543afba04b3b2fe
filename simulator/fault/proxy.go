package fault

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is what a proxy does with traffic.
type Mode int

const (
	// Pass forwards both ways, after the configured latency.
	Pass Mode = iota
	// Reset resets every connection and every new one on arrival, as a
	// firewall rule that rejects with a TCP reset: devices learn at once
	// that the broker is unreachable.
	Reset
	// Blackhole passes nothing either way and leaves connections open, as
	// a link that silently drops packets: devices learn only from their
	// keepalives and ack timeouts. New connections are accepted and held
	// without reaching the broker; Heal resets the ones still held (their
	// handshake never got through) and resumes the others, as TCP
	// retransmission would.
	Blackhole
)

func (m Mode) String() string {
	switch m {
	case Pass:
		return "pass"
	case Reset:
		return "reset"
	case Blackhole:
		return "blackhole"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// ProxyStats counts a proxy's work.
type ProxyStats struct {
	Accepted uint64 // connections accepted
	Reset    uint64 // connections reset by Reset, refused on arrival or dropped at Heal
	Active   int    // connections open now
	Up, Down uint64 // bytes forwarded to the broker and to the devices
}

// Proxy forwards TCP connections from its listener to an upstream
// address. Its methods are safe for concurrent use.
type Proxy struct {
	ln       net.Listener
	upstream string

	mu      sync.Mutex
	mode    Mode
	latency time.Duration
	gate    chan struct{} // closed while traffic may pass
	conns   map[*link]struct{}
	closed  bool

	accepted, reset, up, down atomic.Uint64

	wg   sync.WaitGroup
	once sync.Once
}

// NewProxy listens on listen (127.0.0.1:0 for a free port) and forwards
// each connection to upstream (host:port), passing traffic until told
// otherwise. Close stops it.
func NewProxy(listen, upstream string) (*Proxy, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("fault: proxy: %w", err)
	}
	p := &Proxy{ln: ln, upstream: upstream, gate: make(chan struct{}), conns: make(map[*link]struct{})}
	close(p.gate)
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr is the proxy's listening address.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL is the proxy's address as a paho broker URL.
func (p *Proxy) URL() string { return "tcp://" + p.Addr() }

// Partition starts a partition of the given mode (Reset or Blackhole);
// Pass is Heal.
func (p *Proxy) Partition(m Mode) {
	if m == Pass {
		p.Heal()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	prev := p.mode
	p.mode = m
	if prev == Pass {
		p.gate = make(chan struct{})
	}
	if m == Reset {
		for l := range p.conns {
			p.reset.Add(1)
			l.teardown(true)
		}
	}
}

// Heal ends a partition: traffic passes again. Connections accepted
// during a blackhole are reset, since their handshake never got through.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == Pass {
		return
	}
	p.mode = Pass
	for l := range p.conns {
		if l.held {
			p.reset.Add(1)
			l.teardown(true)
		}
	}
	close(p.gate)
}

// SetLatency delays every chunk of bytes by d in each direction, from
// when the proxy read it; order is kept.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// Mode is the proxy's current mode.
func (p *Proxy) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// Stats returns the proxy's counters.
func (p *Proxy) Stats() ProxyStats {
	p.mu.Lock()
	active := len(p.conns)
	p.mu.Unlock()
	return ProxyStats{Accepted: p.accepted.Load(), Reset: p.reset.Load(), Active: active, Up: p.up.Load(), Down: p.down.Load()}
}

// Close stops listening, closes every connection and waits for the
// proxy's goroutines. It is idempotent.
func (p *Proxy) Close() error {
	var err error
	p.once.Do(func() {
		err = p.ln.Close()
		p.mu.Lock()
		p.closed = true
		for l := range p.conns {
			l.teardown(false)
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return err
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // a transient accept error (EMFILE, aborted handshake)
		}
		p.accepted.Add(1)
		p.mu.Lock()
		switch {
		case p.closed:
			c.Close()
		case p.mode == Reset:
			p.reset.Add(1)
			resetClose(c)
		default:
			l := &link{p: p, down: c, held: p.mode == Blackhole, dead: make(chan struct{})}
			p.conns[l] = struct{}{}
			p.wg.Add(1)
			go l.run()
		}
		p.mu.Unlock()
	}
}

// state returns the gate and the latency.
func (p *Proxy) state() (<-chan struct{}, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gate, p.latency
}

// link is one proxied connection: down is the device's side, up the
// broker's.
type link struct {
	p    *Proxy
	down net.Conn
	held bool // accepted during a blackhole and not yet connected upstream; guarded by p.mu

	mu   sync.Mutex
	up   net.Conn
	dead chan struct{} // closed by teardown
	once sync.Once
}

// teardown closes both sides; with rst, as a reset rather than a close.
func (l *link) teardown(rst bool) {
	l.once.Do(func() {
		close(l.dead)
		l.mu.Lock()
		up := l.up
		l.mu.Unlock()
		for _, c := range []net.Conn{l.down, up} {
			if c == nil {
				continue
			}
			if rst {
				resetClose(c)
			} else {
				c.Close()
			}
		}
	})
}

func (l *link) run() {
	defer l.p.wg.Done()
	defer func() {
		l.teardown(false)
		l.p.mu.Lock()
		delete(l.p.conns, l)
		l.p.mu.Unlock()
	}()
	gate, _ := l.p.state()
	select {
	case <-gate:
	case <-l.dead:
		return
	}
	l.p.mu.Lock()
	l.held = false
	l.p.mu.Unlock()
	up, err := net.DialTimeout("tcp", l.p.upstream, 10*time.Second)
	if err != nil {
		resetClose(l.down) // the broker is down: the device sees a reset, as it would connecting directly
		return
	}
	l.mu.Lock()
	l.up = up
	l.mu.Unlock()
	select {
	case <-l.dead: // torn down while dialing
		up.Close()
		return
	default:
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); l.pump(l.down, up, &l.p.up) }()
	go func() { defer wg.Done(); l.pump(up, l.down, &l.p.down) }()
	wg.Wait()
}

// chunk is bytes read from one side, with when they were read.
type chunk struct {
	b  []byte
	at time.Time
}

// pump forwards src to dst through a queue, so that reading goes on
// while a chunk waits for its latency or for the gate. When src ends,
// what was queued is still delivered; then the link is torn down. pump
// returns once its reader has ended too: the range below only finishes
// when the reader closes q.
func (l *link) pump(src, dst net.Conn, count *atomic.Uint64) {
	q := make(chan chunk, 64)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				select {
				case q <- chunk{buf[:n], time.Now()}:
				case <-l.dead:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	defer l.teardown(false)
	for c := range q {
		if !l.due(c) {
			continue // torn down: drain q until the reader sees it
		}
		if _, err := dst.Write(c.b); err != nil {
			l.teardown(false) // closes src, which ends the reader
			continue
		}
		count.Add(uint64(len(c.b)))
	}
}

// due waits until c may be written: the gate is open and c's latency has
// passed. It reports false once the link is torn down.
func (l *link) due(c chunk) bool {
	for {
		gate, lat := l.p.state()
		select {
		case <-gate:
		case <-l.dead:
			return false
		}
		wait := time.Until(c.at.Add(lat))
		if wait <= 0 {
			return true
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
			// Look again: the gate may have closed, or the latency changed.
		case <-l.dead:
			t.Stop()
			return false
		}
	}
}

// resetClose closes c with a TCP reset rather than a FIN.
func resetClose(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
