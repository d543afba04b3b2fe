package notify_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/simulator/broker"
)

// pahoPublisher is the Publisher a collector's MQTT link provides: QoS 1,
// not retained, done at the broker's PUBACK.
type pahoPublisher struct{ c mqtt.Client }

func (p pahoPublisher) Publish(ctx context.Context, topic string, payload []byte) error {
	tok := p.c.Publish(topic, 1, false, payload)
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func connect(t *testing.T, b *broker.Broker, id string) mqtt.Client {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(b.URL()).SetClientID(id).SetCleanSession(true))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("%s: connect: %v", id, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

type published struct {
	topic    string
	payload  []byte
	qos      byte
	retained bool
}

func TestMQTTTopic(t *testing.T) {
	b, err := broker.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	sub := connect(t, b, "office-screen")
	got := make(chan published, 10)
	tok := sub.Subscribe("#", 1, func(_ mqtt.Client, m mqtt.Message) {
		got <- published{m.Topic(), m.Payload(), m.Qos(), m.Retained()}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}

	q := newStore(t)
	n := newNotifier(t, q, notify.Opts{
		Channels: []notify.Channel{
			{Name: "screens", Type: notify.MQTT},
			{Name: "river", Type: notify.MQTT, Topic: "shanghai/putuo/alerts", Offices: []string{"river-chief"}},
		},
		Publisher: pahoPublisher{connect(t, b, "collector")},
		Backoff:   fast, Now: newClock(t0).Now,
	})
	running(t, n)
	opened := formatCases()[0].m
	river := message("77b0e1:opened", "river-chief")
	send(t, n, opened, river)
	settled(t, n, 3)

	want, err := os.ReadFile(filepath.Join("testdata", "opened.webhook.golden"))
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]published)
	for range 3 {
		select {
		case p := <-got:
			seen[p.topic] = p
		case <-time.After(5 * time.Second):
			t.Fatalf("subscriber got %d messages within 5s, want 3", len(seen))
		}
	}
	p, ok := seen["xiuhua/v1/alerts/city-operations"]
	if !ok || string(p.payload) != string(want) || p.qos != 1 || p.retained {
		t.Errorf("on xiuhua/v1/alerts/city-operations: %q (QoS %d, retained %v), want\n%s\nat QoS 1, not retained", p.payload, p.qos, p.retained, want)
	}
	for _, topic := range []string{"xiuhua/v1/alerts/river-chief", "shanghai/putuo/alerts/river-chief"} {
		if _, ok := seen[topic]; !ok {
			t.Errorf("nothing on %s; got %v", topic, seen)
		}
	}
	if ns := outbox(t, q, ""); len(ns) != 3 || ns[0].State != store.Delivered || ns[1].State != store.Delivered || ns[2].State != store.Delivered {
		t.Errorf("outbox holds %s, want 3 delivered", describe(ns))
	}
}

// TestMQTTPublishErrorRetried: the link may be down; the message waits.
func TestMQTTPublishErrorRetried(t *testing.T) {
	var mu sync.Mutex
	var topics []string
	pub := publisherFunc(func(_ context.Context, topic string, _ []byte) error {
		mu.Lock()
		defer mu.Unlock()
		topics = append(topics, topic)
		if len(topics) <= 2 {
			return errors.New("not connected")
		}
		return nil
	})
	q := newStore(t)
	n := newNotifier(t, q, notify.Opts{Channels: []notify.Channel{{Name: "screens", Type: notify.MQTT}}, Publisher: pub,
		Backoff: fast, Now: newClock(t0).Now})
	running(t, n)
	send(t, n, message("k", "city-operations"))
	settled(t, n, 1)
	mu.Lock()
	defer mu.Unlock()
	if len(topics) != 3 || topics[2] != "xiuhua/v1/alerts/city-operations" {
		t.Errorf("published to %q, want xiuhua/v1/alerts/city-operations 3 times", topics)
	}
	if s := n.Stats(); s != (notify.Stats{Delivered: 1, Retried: 2}) {
		t.Errorf("stats = %+v, want 1 delivered after 2 retries", s)
	}
}
