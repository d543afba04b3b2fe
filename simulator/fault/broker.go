package fault

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/xiuhua/xiuhua/simulator/broker"
)

// Broker is a broker that can be stopped and started again on the same
// address.
type Broker interface {
	// URL is the broker's address as a paho broker URL; it does not
	// change across restarts.
	URL() string
	// Stop stops the broker; clients lose their connections.
	Stop() error
	// Start starts it again on the same address.
	Start() error
}

var (
	_ Broker = (*Embedded)(nil)
	_ Broker = (*Mosquitto)(nil)
)

// Embedded is the embedded broker (simulator/broker) on a fixed address.
// Its sessions and retained messages live in memory, so a restart loses
// them, as a broker without persistence would.
type Embedded struct {
	addr string
	mu   sync.Mutex
	b    *broker.Broker // nil while stopped
}

// StartEmbedded starts the embedded broker on addr (127.0.0.1:0 picks a
// free port, which later starts reuse).
func StartEmbedded(addr string) (*Embedded, error) {
	b, err := broker.Start(addr, nil)
	if err != nil {
		return nil, fmt.Errorf("fault: %w", err)
	}
	return &Embedded{addr: b.Addr(), b: b}, nil
}

// URL implements Broker.
func (e *Embedded) URL() string { return "tcp://" + e.addr }

// Addr is the broker's host:port.
func (e *Embedded) Addr() string { return e.addr }

// Stop implements Broker. Stopping a stopped broker does nothing.
func (e *Embedded) Stop() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.b == nil {
		return nil
	}
	err := e.b.Close()
	e.b = nil
	if err != nil {
		return fmt.Errorf("fault: stop broker: %w", err)
	}
	return nil
}

// Start implements Broker. Starting a running broker does nothing.
func (e *Embedded) Start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.b != nil {
		return nil
	}
	b, err := broker.Start(e.addr, nil)
	if err != nil {
		return fmt.Errorf("fault: start broker: %w", err)
	}
	e.b = b
	return nil
}

// Mosquitto is a private Mosquitto process on a loopback port of its
// own: a real broker that tests can crash and restart, and that keeps
// the embedded broker's upstream data race out of race-detector runs.
type Mosquitto struct {
	bin, conf, addr string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	log  *tail
}

// StartMosquitto writes a configuration into dir (which must exist and
// outlive the broker) and starts mosquitto on a free loopback port, with
// anonymous access and no persistence. It fails when mosquitto is not
// installed.
func StartMosquitto(dir string) (*Mosquitto, error) {
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/mosquitto"); serr != nil {
			return nil, fmt.Errorf("fault: mosquitto is not installed: %w", err)
		}
		bin = "/usr/sbin/mosquitto"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fault: mosquitto: pick a port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	conf := filepath.Join(dir, "mosquitto.conf")
	// max_queued_messages 0 lifts the 1000-message cap per client: the
	// collector's session may fall behind a whole fleet's backlog.
	text := "listener " + port + " 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nlog_dest stderr\nlog_type error\nlog_type warning\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return nil, fmt.Errorf("fault: mosquitto: %w", err)
	}
	m := &Mosquitto{bin: bin, conf: conf, addr: addr}
	if err := m.Start(); err != nil {
		return nil, err
	}
	return m, nil
}

// URL implements Broker.
func (m *Mosquitto) URL() string { return "tcp://" + m.addr }

// Start implements Broker: it returns once the broker accepts
// connections. Starting a running broker does nothing.
func (m *Mosquitto) Start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		return nil
	}
	cmd := exec.Command(m.bin, "-c", m.conf)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return fmt.Errorf("fault: mosquitto: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("fault: start mosquitto: %w", err)
	}
	log, done := &tail{}, make(chan struct{})
	go func() {
		log.copy(stderr)
		cmd.Wait()
		close(done)
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", m.addr, 100*time.Millisecond); err == nil {
			c.Close()
			break
		}
		select {
		case <-done:
			return fmt.Errorf("fault: mosquitto exited at start: %s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			return fmt.Errorf("fault: mosquitto not listening on %s after 10 s: %s", m.addr, log.String())
		}
	}
	m.cmd, m.done, m.log = cmd, done, log
	return nil
}

// Stop implements Broker with SIGTERM: a clean shutdown.
func (m *Mosquitto) Stop() error { return m.signal(syscall.SIGTERM) }

// Kill stops the broker with SIGKILL: a crash.
func (m *Mosquitto) Kill() error { return m.signal(syscall.SIGKILL) }

func (m *Mosquitto) signal(sig syscall.Signal) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return nil
	}
	if err := m.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("fault: stop mosquitto: %w", err)
	}
	<-m.done
	m.cmd = nil
	return nil
}

// tail keeps the last few KiB a process wrote, for error messages.
type tail struct {
	mu sync.Mutex
	b  []byte
}

func (t *tail) copy(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		t.mu.Lock()
		t.b = append(t.b, sc.Bytes()...)
		t.b = append(t.b, '\n')
		if len(t.b) > 4096 {
			t.b = t.b[len(t.b)-4096:]
		}
		t.mu.Unlock()
	}
	io.Copy(io.Discard, r)
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
