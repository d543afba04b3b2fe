package fault

import (
	"net"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// subscriber connects to url with paho's reconnect on and returns the
// messages it receives on topic.
func subscriber(t *testing.T, url, id, topic string) (mqtt.Client, <-chan string) {
	t.Helper()
	got := make(chan string, 16)
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(id).SetAutoReconnect(true).
		SetConnectRetry(true).SetConnectRetryInterval(50 * time.Millisecond).SetMaxReconnectInterval(100 * time.Millisecond).
		SetCleanSession(true).SetOnConnectHandler(func(c mqtt.Client) {
		c.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) { got <- string(m.Payload()) }).Wait()
	})
	c := mqtt.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", url, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c, got
}

// publishUntil publishes on topic until got delivers the payload: the
// subscription may not be back yet after a restart. Earlier payloads that
// arrive meanwhile are skipped.
func publishUntil(t *testing.T, c mqtt.Client, topic, payload string, got <-chan string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second) // a bound for a loaded machine, not a speed goal
	for {
		// QoS 0: a publish lost while the broker is down is simply sent
		// again by this loop. At QoS 1 paho keeps it and re-sends it when
		// it reconnects, and its resume marks the packet a duplicate while
		// its writer may be sending it: a data race inside paho 1.5.1
		// that -race reports.
		c.Publish(topic, 0, false, payload)
		select {
		case m := <-got:
			if m == payload {
				return
			}
			// An earlier payload again: copies published while the
			// subscription was coming back.
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q never came back", payload)
		}
	}
}

// restartKeepsAddress checks a Broker through a restart: down while
// stopped, on the same URL afterwards, and clients reconnect to it.
func restartKeepsAddress(t *testing.T, b Broker, stop func() error) {
	t.Helper()
	url := b.URL()
	c, got := subscriber(t, url, "restart-test", "t/restart")
	publishUntil(t, c, "t/restart", "before", got)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if conn, err := net.Dial("tcp", url[len("tcp://"):]); err == nil {
		conn.Close()
		t.Fatal("the broker still accepts connections after Stop")
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	if b.URL() != url {
		t.Errorf("URL %s after restart, want %s", b.URL(), url)
	}
	publishUntil(t, c, "t/restart", "after", got)
}

func TestEmbeddedRestart(t *testing.T) {
	b, err := StartEmbedded("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	restartKeepsAddress(t, b, b.Stop)
}

func TestMosquittoKillAndStart(t *testing.T) {
	m, err := StartMosquitto(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	restartKeepsAddress(t, m, m.Kill)
}
