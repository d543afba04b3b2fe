// Package broker runs the embedded MQTT broker (mochi-mqtt) that `make
// demo` and the tests use, so that nothing needs installing. It listens on
// a loopback address chosen by the caller, 127.0.0.1:0 for a free port:
// 1883 may belong to a system Mosquitto.
//
// The embedded broker allows every client and keeps sessions in memory;
// a deployment that needs authentication and ACLs uses Mosquitto or the
// NATS MQTT listener.
package broker

import (
	"fmt"
	"log/slog"
	"net"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Broker is a running embedded broker.
type Broker struct {
	srv  *mqtt.Server
	addr string
	once sync.Once
	err  error
}

// Start listens on addr (host:port; port 0 picks a free one) and serves
// MQTT 3.1.1 and 5 until Close. log nil means discard.
func Start(addr string, log *slog.Logger) (*Broker, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("broker: listen %s: %w", addr, err)
	}
	srv := mqtt.New(&mqtt.Options{InlineClient: false, Logger: log})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		ln.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := srv.AddListener(listeners.NewNet("tcp", ln)); err != nil {
		ln.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("broker: serve: %w", err)
	}
	return &Broker{srv: srv, addr: ln.Addr().String()}, nil
}

// Addr is the host:port the broker listens on.
func (b *Broker) Addr() string { return b.addr }

// URL is the broker's address as a paho broker URL.
func (b *Broker) URL() string { return "tcp://" + b.addr }

// Close disconnects every client and stops listening. It is idempotent.
func (b *Broker) Close() error {
	b.once.Do(func() { b.err = b.srv.Close() })
	return b.err
}
