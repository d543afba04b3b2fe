package fault

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// echo is an upstream that echoes every byte and counts what it got.
type echo struct {
	ln       net.Listener
	mu       sync.Mutex
	accepted int
	got      bytes.Buffer
	wg       sync.WaitGroup
}

func startEcho(t *testing.T) *echo {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &echo{ln: ln}
	var conns []net.Conn
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.mu.Lock()
			e.accepted++
			conns = append(conns, c)
			e.mu.Unlock()
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				buf := make([]byte, 1024)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						e.mu.Lock()
						e.got.Write(buf[:n])
						e.mu.Unlock()
						c.Write(buf[:n])
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		e.mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		e.mu.Unlock()
		e.wg.Wait()
	})
	return e
}

func (e *echo) received() (int, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.accepted, e.got.String()
}

func newProxy(t *testing.T, upstream string) *Proxy {
	t.Helper()
	p, err := NewProxy("127.0.0.1:0", upstream)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes s and reads its echo.
func roundTrip(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := c.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, len(s))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != s {
		t.Fatalf("echo %q, %v; want %q", buf, err, s)
	}
}

// isReset reports whether reading c fails because the proxy reset it.
func isReset(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := c.Read(make([]byte, 1))
	return errors.Is(err, syscall.ECONNRESET)
}

// refused reports whether a new connection to p is reset, while
// connecting or at its first read.
func refused(t *testing.T, p *Proxy) bool {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		return errors.Is(err, syscall.ECONNRESET)
	}
	defer c.Close()
	return isReset(c)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestProxyPasses(t *testing.T) {
	e := startEcho(t)
	p := newProxy(t, e.ln.Addr().String())
	c := dial(t, p)
	roundTrip(t, c, "hello")
	roundTrip(t, c, ", world")
	if n, got := e.received(); n != 1 || got != "hello, world" {
		t.Errorf("upstream: %d connections, %q; want 1, %q", n, got, "hello, world")
	}
	// The proxy counts a chunk after writing it, so the echo may beat
	// the count.
	waitFor(t, "12 bytes counted each way", func() bool { st := p.Stats(); return st.Up == 12 && st.Down == 12 })
	if st := p.Stats(); st.Accepted != 1 || st.Active != 1 || st.Up != 12 || st.Down != 12 || st.Reset != 0 {
		t.Errorf("stats %+v, want 1 accepted, 1 active, 12 bytes each way", st)
	}
	c.Close()
	waitFor(t, "the link to close", func() bool { return p.Stats().Active == 0 })
}

// Reset resets the open connection and every new one; after Heal new
// connections pass again.
func TestProxyResetPartition(t *testing.T) {
	e := startEcho(t)
	p := newProxy(t, e.ln.Addr().String())
	old := dial(t, p)
	roundTrip(t, old, "a")
	p.Partition(Reset)
	if !isReset(old) {
		t.Error("the open connection was not reset")
	}
	if !refused(t, p) {
		t.Error("a new connection was not reset")
	}
	if st := p.Stats(); st.Reset != 2 || st.Accepted != 2 {
		t.Errorf("stats %+v, want 2 accepted, 2 reset", st)
	}
	p.Heal()
	roundTrip(t, dial(t, p), "b")
	if n, got := e.received(); n != 2 || got != "ab" {
		t.Errorf("upstream: %d connections, %q; want 2, %q", n, got, "ab")
	}
}

// Blackhole passes nothing, holds new connections without reaching the
// broker, and on Heal delivers what waited and resets what was held.
func TestProxyBlackhole(t *testing.T) {
	e := startEcho(t)
	p := newProxy(t, e.ln.Addr().String())
	old := dial(t, p)
	roundTrip(t, old, "a")
	p.Partition(Blackhole)
	if _, err := old.Write([]byte("bc")); err != nil {
		t.Fatal(err)
	}
	held := dial(t, p)
	waitFor(t, "the held connection", func() bool { return p.Stats().Accepted == 2 })
	// Nothing may pass; a slow proxy could only make this pass wrongly,
	// never fail wrongly.
	time.Sleep(50 * time.Millisecond)
	if n, got := e.received(); n != 1 || got != "a" {
		t.Fatalf("during the blackhole upstream had %d connections, %q; want 1, %q", n, got, "a")
	}
	p.Heal()
	old.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 2)
	if _, err := io.ReadFull(old, buf); err != nil || string(buf) != "bc" {
		t.Errorf("after heal the old connection echoed %q, %v; want %q", buf, err, "bc")
	}
	if !isReset(held) {
		t.Error("the connection held during the blackhole was not reset at heal")
	}
	if n, _ := e.received(); n != 1 {
		t.Errorf("upstream saw %d connections, want 1: the held one must never reach it", n)
	}
	if st := p.Stats(); st.Reset != 1 {
		t.Errorf("stats %+v, want 1 reset", st)
	}
}

// Latency delays each direction: a round trip takes at least twice it.
func TestProxyLatency(t *testing.T) {
	e := startEcho(t)
	p := newProxy(t, e.ln.Addr().String())
	c := dial(t, p)
	roundTrip(t, c, "warm")
	const lat = 40 * time.Millisecond
	p.SetLatency(lat)
	start := time.Now()
	roundTrip(t, c, "x")
	if took := time.Since(start); took < 2*lat {
		t.Errorf("round trip took %v, want at least %v", took, 2*lat)
	}
	p.SetLatency(0)
	roundTrip(t, c, "y")
}

// A broker that is down is a reset for the device.
func TestProxyUpstreamDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := newProxy(t, addr)
	if !refused(t, p) {
		t.Error("a connection to a proxy whose upstream is down was not reset")
	}
}

// Close ends every link and the accept loop, and is idempotent.
func TestProxyClose(t *testing.T) {
	e := startEcho(t)
	p := newProxy(t, e.ln.Addr().String())
	c := dial(t, p)
	roundTrip(t, c, "a")
	p.Partition(Blackhole)
	dial(t, p)
	waitFor(t, "two links", func() bool { return p.Stats().Active == 2 })
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if st := p.Stats(); st.Active != 0 {
		t.Errorf("%d links after Close", st.Active)
	}
	if _, err := net.Dial("tcp", p.Addr()); err == nil {
		t.Error("the proxy still accepts after Close")
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
