package collector

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/cloud/ingest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// mqttLink is the collector's broker connection: it feeds the up topics
// into ingest and publishes acks.
type mqttLink struct {
	client mqtt.Client
	log    *slog.Logger
}

type brokerOpts struct {
	URL, ClientID, Username, Password string
}

// dialBroker connects (retrying in the background until ctx ends) and
// subscribes to every device's up topic on each connect, handing messages
// to in.
func dialBroker(ctx context.Context, bo brokerOpts, in *ingest.Ingest, log *slog.Logger) *mqttLink {
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
	o.SetOnConnectHandler(func(c mqtt.Client) {
		for ctx.Err() == nil {
			tok := c.Subscribe(telemetry.UpFilter, 1, func(_ mqtt.Client, m mqtt.Message) {
				in.Handle(ctx, ingest.Message{Topic: m.Topic(), Payload: m.Payload()})
			})
			if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
				log.Info("collector: subscribed", "broker", bo.URL, "filter", telemetry.UpFilter)
				return
			}
			log.Warn("collector: subscribe failed; trying again", "err", tok.Error())
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
	l := &mqttLink{client: mqtt.NewClient(o), log: log}
	l.client.Connect()
	return l
}

// PublishAck implements ingest.Publisher.
func (l *mqttLink) PublishAck(ctx context.Context, a telemetry.Ack) error {
	p, err := telemetry.EncodeAck(a)
	if err != nil {
		return err
	}
	if !l.client.IsConnectionOpen() {
		return fmt.Errorf("not connected to the broker")
	}
	tok := l.client.Publish(telemetry.AckTopic(a.Device), 1, false, p)
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("no PUBACK for ack to %s within 10s", a.Device)
	}
}

func (l *mqttLink) connected() bool { return l.client.IsConnectionOpen() }

func (l *mqttLink) close() { l.client.Disconnect(250) }
