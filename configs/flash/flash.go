package flash

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Errors of Flash and Rollout; each comes wrapped with the detail.
var (
	// ErrNoAnswer: the device gave no final answer before ctx ended.
	ErrNoAnswer = errors.New("flash: no answer from the device")
	// ErrStopped: a stage of a rollout had a device that failed; later
	// stages were not flashed.
	ErrStopped = errors.New("flash: rollout stopped")
)

// Final reports whether a result ends a flash: applied, rolled_back or
// rejected, as opposed to applying.
func Final(result string) bool {
	switch result {
	case telemetry.ConfigApplied, telemetry.ConfigRolledBack, telemetry.ConfigRejected:
		return true
	}
	return false
}

// publishWait bounds the wait for the broker to take a publish or a
// subscription: a broker that does not answer in this long is not going to.
const publishWait = 30 * time.Second

// Flash publishes data, a signed agent config, retained with QoS 1 on
// deviceID's config topic and waits for the device's final answer about it
// (see the package doc). It returns the answer, whatever its result; the
// error is for a failure to publish or subscribe, or ErrNoAnswer when ctx
// ends first. client must be connected.
func Flash(ctx context.Context, client mqtt.Client, deviceID string, data []byte) (telemetry.ConfigStatus, error) {
	if err := telemetry.ValidateDeviceID(deviceID); err != nil {
		return telemetry.ConfigStatus{}, fmt.Errorf("flash: %w", err)
	}
	if len(data) == 0 {
		// An empty retained message would clear the topic, not flash.
		return telemetry.ConfigStatus{}, errors.New("flash: empty config")
	}
	hash := configs.Hash(data)
	answers := make(chan telemetry.ConfigStatus, 16)
	done := make(chan struct{})
	defer close(done)
	statusTopic := telemetry.ConfigStatusTopic(deviceID)
	handler := func(_ mqtt.Client, m mqtt.Message) {
		var st telemetry.ConfigStatus
		if err := json.Unmarshal(m.Payload(), &st); err != nil || st.Hash != hash {
			return
		}
		select {
		case answers <- st:
		case <-done:
		}
	}
	// Subscribe first: an answer published before the subscription would
	// still be seen (it is retained), but only the last one of them.
	if err := wait(ctx, client.Subscribe(statusTopic, 1, handler)); err != nil {
		return telemetry.ConfigStatus{}, fmt.Errorf("flash: subscribe to %s: %w", statusTopic, err)
	}
	defer client.Unsubscribe(statusTopic)
	topic := telemetry.ConfigTopic(deviceID)
	if err := wait(ctx, client.Publish(topic, 1, true, data)); err != nil {
		return telemetry.ConfigStatus{}, fmt.Errorf("flash: publish to %s: %w", topic, err)
	}
	var last telemetry.ConfigStatus
	for {
		select {
		case st := <-answers:
			if Final(st.Result) {
				return st, nil
			}
			last = st
		case <-ctx.Done():
			if last.Result != "" {
				return last, fmt.Errorf("%w: %s said %s for config %s, then nothing: %w", ErrNoAnswer, deviceID, last.Result, short(hash), context.Cause(ctx))
			}
			return last, fmt.Errorf("%w: %s did not answer for config %s: %w", ErrNoAnswer, deviceID, short(hash), context.Cause(ctx))
		}
	}
}

// wait waits for a paho token, at most publishWait or until ctx ends.
func wait(ctx context.Context, tok mqtt.Token) error {
	t := time.NewTimer(publishWait)
	defer t.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return fmt.Errorf("the broker did not answer in %v", publishWait)
	}
}

// short is a hash as the tool prints it beside other text.
func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

// DialOpts says how to reach the broker.
type DialOpts struct {
	Broker   string // required: tcp://, ssl://, mqtt:// or mqtts:// host:port
	ClientID string // "" means "xiuhuactl-<pid>"-like unique id chosen by Dial
	Username string
	Password string
	TLS      *tls.Config // for ssl:// and mqtts://; nil means the system's roots
	// ConnectTimeout bounds the connection. 0 means 10 s.
	ConnectTimeout time.Duration
}

// Dial connects to the broker with a clean session, or fails.
func Dial(ctx context.Context, o DialOpts) (mqtt.Client, error) {
	if o.ClientID == "" {
		o.ClientID = fmt.Sprintf("xiuhuactl-%d", time.Now().UnixNano())
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	mo := mqtt.NewClientOptions().AddBroker(o.Broker).SetClientID(o.ClientID).
		SetUsername(o.Username).SetPassword(o.Password).SetCleanSession(true).
		SetAutoReconnect(true).SetConnectTimeout(o.ConnectTimeout).SetOrderMatters(false)
	if o.TLS != nil {
		mo.SetTLSConfig(o.TLS)
	}
	c := mqtt.NewClient(mo)
	if err := wait(ctx, c.Connect()); err != nil {
		return nil, fmt.Errorf("flash: connect to %s: %w", o.Broker, err)
	}
	return c, nil
}
