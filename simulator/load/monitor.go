package load

import (
	"context"
	"strconv"
	"strings"
	"sync"
)

// Monitor follows a broker's $SYS counters (mochi-mqtt publishes them
// every second; Mosquitto's names differ and are kept as they come).
type Monitor struct {
	c  *conn
	mu sync.Mutex
	v  map[string]int64
}

// Broker counters a Monitor reads, under $SYS/broker/.
const (
	SysInflight = "messages/inflight" // QoS 1 messages awaiting a PUBACK, in and out
	SysDropped  = "messages/dropped"  // messages dropped because a client's queue was full
	SysReceived = "messages/received"
	SysSent     = "messages/sent"
)

// DialMonitor subscribes to the broker's $SYS/broker/ counters.
func DialMonitor(ctx context.Context, addr, clientID string) (*Monitor, error) {
	m := &Monitor{v: map[string]int64{}}
	c, err := dial(ctx, connOpts{Addr: addr, ClientID: clientID, OnPublish: m.on})
	if err != nil {
		return nil, err
	}
	if err := c.subscribe(ctx, "$SYS/broker/#"); err != nil {
		c.close()
		return nil, err
	}
	m.c = c
	return m, nil
}

func (m *Monitor) on(topic string, payload []byte) {
	name, ok := strings.CutPrefix(topic, "$SYS/broker/")
	if !ok {
		return
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(payload)), 10, 64)
	if err != nil {
		return
	}
	m.mu.Lock()
	m.v[name] = v
	m.mu.Unlock()
}

// Get returns the latest value of counter name (such as SysInflight) and
// whether the broker has published it.
func (m *Monitor) Get(name string) (int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.v[name]
	return v, ok
}

// Close disconnects.
func (m *Monitor) Close() { m.c.close() }
