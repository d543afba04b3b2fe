package fault

import (
	"fmt"
	"sync"

	"github.com/xiuhua/xiuhua/internal/mosquitto"
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

// Mosquitto is a private Mosquitto process on a loopback port of its own
// (internal/mosquitto): a real broker that tests can stop (SIGTERM), crash
// (Kill, SIGKILL) and start again, and that keeps the embedded broker's
// upstream data race out of race-detector runs.
type Mosquitto = mosquitto.Broker

// StartMosquitto writes a configuration into dir (which must exist and
// outlive the broker) and starts mosquitto on a free loopback port, with
// anonymous access and no persistence, logging errors and warnings only.
// It fails when mosquitto is not installed.
func StartMosquitto(dir string) (*Mosquitto, error) {
	// max_queued_messages 0 lifts the 1000-message cap per client: the
	// collector's session may fall behind a whole fleet's backlog.
	m, err := mosquitto.Start(mosquitto.Opts{Dir: dir,
		Extra: []string{"max_queued_messages 0", "log_type error", "log_type warning"}})
	if err != nil {
		return nil, fmt.Errorf("fault: %w", err)
	}
	return m, nil
}
