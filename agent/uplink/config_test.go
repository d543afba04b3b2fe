package uplink

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/internal/mosquitto"
	"github.com/xiuhua/xiuhua/telemetry"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// The uplink says why it cannot connect, receives the retained config
// when it does (empty ones aside), subscribes again after the broker comes
// back, and publishes retained answers only while connected.
func TestConfigTopic(t *testing.T) {
	addr := freeAddr(t)
	configs := make(chan string, 10)
	u, err := New(dev, openOutbox(t, 0), Opts{Broker: "tcp://" + addr, ConnectRetry: time.Second,
		OnConfig: func(p []byte) { configs <- string(p) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	st := telemetry.ConfigStatus{Hash: "c0ffee", Result: telemetry.ConfigApplied, Running: "c0ffee", Time: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}

	waitFor(t, "a connection error", func() bool { return strings.HasSuffix(u.Stats().ConnectErr, "connect: connection refused") })
	if got := u.Stats().ConnectErr; got != "uplink: connect to tcp://"+addr+": dial tcp "+addr+": connect: connection refused" {
		t.Errorf("ConnectErr = %q", got)
	}
	if err := u.PublishConfigStatus(ctx, st); !errors.Is(err, ErrNotConnected) {
		t.Errorf("PublishConfigStatus before connecting: %v, want ErrNotConnected", err)
	}

	// A broker of the test's own, so that the test can cut its power.
	broker := mosquitto.StartTest(t, mosquitto.Opts{Addr: addr})
	engineer := mqtt.NewClient(mqtt.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("engineer").
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(100 * time.Millisecond))
	if tok := engineer.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer engineer.Disconnect(100)
	flash := func(p string) {
		t.Helper()
		if tok := engineer.Publish(telemetry.ConfigTopic(dev), 1, true, p); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("flash: %v", tok.Error())
		}
	}
	got := func() string {
		t.Helper()
		select {
		case p := <-configs:
			return p
		case <-time.After(10 * time.Second):
			t.Fatal("no config within 10 s")
			return ""
		}
	}
	flash("config one")
	waitFor(t, "connected", func() bool { return u.Stats().Connected })
	if p := got(); p != "config one" {
		t.Errorf("config %q, want the retained one", p)
	}
	if e := u.Stats().ConnectErr; e != "" {
		t.Errorf("ConnectErr once connected = %q", e)
	}
	flash("") // cleared: nothing to apply
	flash("config two")
	if p := got(); p != "config two" {
		t.Errorf("config %q after an empty one, want %q", p, "config two")
	}

	if err := u.PublishConfigStatus(ctx, st); err != nil {
		t.Fatal(err)
	}
	retained := make(chan []byte, 1)
	engineer.Subscribe(telemetry.ConfigStatusTopic(dev), 1, func(_ mqtt.Client, m mqtt.Message) { retained <- m.Payload() })
	want, _ := json.Marshal(st)
	select {
	case p := <-retained:
		if string(p) != string(want) {
			t.Errorf("retained answer %s, want %s", p, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no retained answer")
	}

	// The broker loses power and comes back empty: the uplink's config
	// subscription must be made again.
	if err := broker.Kill(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "disconnected", func() bool { return !u.Stats().Connected })
	if err := u.PublishConfigStatus(ctx, st); !errors.Is(err, ErrNotConnected) {
		t.Errorf("PublishConfigStatus while the broker is down: %v, want ErrNotConnected", err)
	}
	if err := broker.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "connected again", func() bool { return u.Stats().Connected && engineer.IsConnectionOpen() })
	flash("config three")
	if p := got(); p != "config three" {
		t.Errorf("config %q after the broker came back, want %q", p, "config three")
	}
}
