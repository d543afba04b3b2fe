package uplink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/telemetry"
)

// This file is the uplink's part in flashing configs (agent/configapply):
// it receives the device's retained config topic and publishes the
// answers. The apply itself is configapply's.

// ErrNotConnected is PublishConfigStatus's error while the uplink has no
// connection to its broker.
var ErrNotConnected = errors.New("uplink: not connected")

// configLink holds the running client, so that answers can be published
// from outside Run's goroutine (paho's client is safe for that).
type configLink struct {
	mu     sync.Mutex
	client mqtt.Client // nil outside Run
}

func (l *configLink) setClient(c mqtt.Client) {
	l.mu.Lock()
	l.client = c
	l.mu.Unlock()
}

// subscribeConfig subscribes to the device's config topic when the agent
// takes configs (Opts.OnConfig). The broker then hands over the retained
// config, so a device that was offline gets the latest one on every
// connection: the subscription is made again after each reconnect, because
// the session is clean. It reports false when the connection went away
// while it tried.
func (u *Uplink) subscribeConfig(ctx context.Context, c mqtt.Client) bool {
	if u.o.OnConfig == nil {
		return true
	}
	for {
		tok := c.Subscribe(telemetry.ConfigTopic(u.device), 1, u.onConfig)
		if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
			return true
		}
		u.log.Warn("uplink: subscribe to configs failed; trying again", "err", tok.Error())
		select {
		case <-ctx.Done():
			return false
		case <-time.After(5 * time.Second):
		}
		if !c.IsConnectionOpen() {
			return false // the reconnect will subscribe again
		}
	}
}

// onConfig hands a config payload to the agent. An empty payload is a
// cleared retained config: there is nothing to apply.
func (u *Uplink) onConfig(_ mqtt.Client, m mqtt.Message) {
	if len(m.Payload()) == 0 {
		u.log.Debug("uplink: config topic is empty; nothing to apply")
		return
	}
	u.o.OnConfig(append([]byte(nil), m.Payload()...))
}

// PublishConfigStatus publishes st, retained, on the device's config
// status topic and waits for the broker's PUBACK, at most until ctx ends.
// It returns ErrNotConnected while the uplink is not connected: the caller
// keeps the answer and tries again.
func (u *Uplink) PublishConfigStatus(ctx context.Context, st telemetry.ConfigStatus) error {
	u.cfg.mu.Lock()
	c := u.cfg.client
	u.cfg.mu.Unlock()
	if c == nil || !u.connected.Load() || !c.IsConnectionOpen() {
		return ErrNotConnected
	}
	p, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("uplink: config status: %w", err)
	}
	tok := c.Publish(telemetry.ConfigStatusTopic(u.device), 1, true, p)
	select {
	case <-tok.Done():
	case <-ctx.Done():
		return fmt.Errorf("uplink: config status: %w", ctx.Err())
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("uplink: config status: %w", err)
	}
	return nil
}
