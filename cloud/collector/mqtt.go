package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/telemetry"
)

// mqttLink is the collector's pair of broker connections: one feeds the
// up topics into ingest and the status and heartbeat topics into the
// registry; the other publishes acks and alert messages.
//
// Two, because one would deadlock under load. When ingest's queue is
// full, the receiving connection's handler blocks and stops reading its
// socket; the broker, unable to write to it, stops reading from it too
// (mochi-mqtt writes a PUBACK from the goroutine that reads), so acks
// published on that connection could not be written; the acks hold back
// the commits that would empty the queue. On a connection of their own,
// acks are read by the broker whatever the receiving side is doing.
type mqttLink struct {
	client mqtt.Client // subscribes
	pub    mqtt.Client // publishes
	log    *slog.Logger
}

type brokerOpts struct {
	URL, ClientID, Username, Password string
}

// route is a subscription and what handles its messages.
type route struct {
	filter string
	handle func(topic string, payload []byte)
}

// dialBroker connects (retrying in the background until ctx ends) and
// subscribes to every route's filter, all in one SUBSCRIBE, on each
// connect. The handlers run one message at a time, in order, on paho's
// goroutine; one that blocks holds back the broker.
func dialBroker(ctx context.Context, bo brokerOpts, routes []route, log *slog.Logger) *mqttLink {
	o := mqtt.NewClientOptions().
		AddBroker(bo.URL).
		SetClientID(bo.ClientID).
		SetUsername(bo.Username).
		SetPassword(bo.Password).
		// A persistent session lets the broker queue QoS 1 batches while
		// the collector restarts. Devices re-send anyway, so this only
		// saves work.
		SetCleanSession(false).
		// In order, one at a time: ingest.Handle blocks when its queue is
		// full, which holds back the broker instead of spawning a goroutine
		// per message.
		SetOrderMatters(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(15 * time.Second).
		SetKeepAlive(30 * time.Second)
	filters := make(map[string]byte, len(routes))
	names := make([]string, 0, len(routes))
	for _, r := range routes {
		filters[r.filter] = 1
		names = append(names, r.filter)
	}
	o.SetOnConnectHandler(func(c mqtt.Client) {
		for ctx.Err() == nil {
			tok := c.SubscribeMultiple(filters, nil) // the routes are added below, before any connect
			var err error
			switch {
			case !tok.WaitTimeout(10 * time.Second):
				err = errors.New("no SUBACK within 10s")
			case tok.Error() != nil:
				err = tok.Error()
			default:
				if st, ok := tok.(*mqtt.SubscribeToken); ok {
					err = refused(st.Result())
				}
			}
			if err == nil {
				log.Info("collector: subscribed", "broker", bo.URL, "filters", strings.Join(names, " "))
				return
			}
			log.Warn("collector: subscribe failed; trying again", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
			if !c.IsConnectionOpen() {
				return
			}
		}
	})
	o.SetConnectionLostHandler(func(_ mqtt.Client, err error) {
		log.Warn("collector: broker connection lost", "err", err)
	})
	// The publishing connection keeps no session: what it publishes
	// while disconnected fails at once (see PublishAck and Publish).
	po := mqtt.NewClientOptions().
		AddBroker(bo.URL).
		SetClientID(bo.ClientID + "-pub").
		SetUsername(bo.Username).
		SetPassword(bo.Password).
		SetCleanSession(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(15 * time.Second).
		SetKeepAlive(30 * time.Second)
	po.SetConnectionLostHandler(func(_ mqtt.Client, err error) {
		log.Warn("collector: broker connection for publishing lost", "err", err)
	})
	l := &mqttLink{client: mqtt.NewClient(o), pub: mqtt.NewClient(po), log: log}
	// Routes rather than per-subscription callbacks, so that messages a
	// persistent session delivers before the SUBSCRIBE (and retained
	// statuses) find their handler.
	for _, r := range routes {
		l.client.AddRoute(r.filter, func(_ mqtt.Client, m mqtt.Message) { r.handle(m.Topic(), m.Payload()) })
	}
	l.pub.Connect()
	l.client.Connect()
	return l
}

// refused reports the filters a SUBACK refused (return code 0x80).
func refused(granted map[string]byte) error {
	var bad []string
	for f, code := range granted {
		if code == 0x80 {
			bad = append(bad, f)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fmt.Errorf("broker refused %s", strings.Join(bad, " "))
}

// PublishAck implements ingest.Publisher.
func (l *mqttLink) PublishAck(ctx context.Context, a telemetry.Ack) error {
	p, err := telemetry.EncodeAck(a)
	if err != nil {
		return err
	}
	if !l.pub.IsConnectionOpen() {
		return fmt.Errorf("not connected to the broker")
	}
	// Do not wait for the broker's PUBACK: ingest publishes acks one after
	// another, and a round trip each would bound the ack rate. A lost ack
	// costs a re-send, which the store makes harmless.
	l.pub.Publish(telemetry.AckTopic(a.Device), 1, false, p)
	return nil
}

func (l *mqttLink) connected() bool { return l.client.IsConnectionOpen() && l.pub.IsConnectionOpen() }

func (l *mqttLink) close() {
	l.client.Disconnect(250)
	l.pub.Disconnect(250)
}

// Publish implements notify.Publisher: QoS 1, waiting for the broker's
// PUBACK (unlike acks, alert messages are few, and sent from the
// notifier's own goroutines).
func (l *mqttLink) Publish(ctx context.Context, topic string, payload []byte) error {
	if l.pub == nil || !l.pub.IsConnectionOpen() {
		return fmt.Errorf("not connected to the broker")
	}
	tok := l.pub.Publish(topic, 1, false, payload)
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}
