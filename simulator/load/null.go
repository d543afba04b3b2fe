package load

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/telemetry"
)

// NullSubscriber receives every batch on the up topics and counts it and
// its readings, reading no more of each payload than the header: the
// receive rate of a subscriber that does nothing, the collector's peer.
// It uses paho with the collector's settings (QoS 1, messages in order on
// one goroutine; a clean session rather than a persistent one, which
// changes nothing while connected and leaves no queue behind), so that
// the collector's rate beside it measures what ingest adds to receiving.
type NullSubscriber struct {
	client            mqtt.Client
	batches, readings atomic.Uint64
	malformed         atomic.Uint64
}

// DialNull connects to broker (a paho URL such as tcp://127.0.0.1:1883)
// and subscribes to every device's up topic.
func DialNull(ctx context.Context, broker, clientID string) (*NullSubscriber, error) {
	n := &NullSubscriber{}
	o := mqtt.NewClientOptions().AddBroker(broker).SetClientID(clientID).
		SetCleanSession(true).SetOrderMatters(true).SetAutoReconnect(false).SetKeepAlive(30 * time.Second)
	n.client = mqtt.NewClient(o)
	if err := wait(ctx, n.client.Connect()); err != nil {
		return nil, fmt.Errorf("load: null subscriber: connect: %w", err)
	}
	if err := wait(ctx, n.client.Subscribe(telemetry.UpFilter, 1, func(_ mqtt.Client, m mqtt.Message) {
		k, ok := batchReadings(m.Payload())
		if !ok {
			n.malformed.Add(1)
			return
		}
		n.batches.Add(1)
		n.readings.Add(uint64(k))
	})); err != nil {
		n.client.Disconnect(0)
		return nil, fmt.Errorf("load: null subscriber: subscribe: %w", err)
	}
	return n, nil
}

func wait(ctx context.Context, tok mqtt.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Batches, Readings and Malformed count what it received.
func (n *NullSubscriber) Batches() uint64   { return n.batches.Load() }
func (n *NullSubscriber) Readings() uint64  { return n.readings.Load() }
func (n *NullSubscriber) Malformed() uint64 { return n.malformed.Load() }

// Close disconnects.
func (n *NullSubscriber) Close() { n.client.Disconnect(250) }

var errHeader = errors.New("load: not a batch header")

// batchReadings returns the number of records a batch payload carries,
// from its header alone: the version and kind bytes, the CBOR array head,
// the device id (skipped), the replay flag and the records array's head.
func batchReadings(p []byte) (int, bool) {
	if len(p) < 3 || p[0] != telemetry.Version || p[1] != 'B' {
		return 0, false
	}
	b := p[2:]
	major, _, b, err := cborHead(b)
	if err != nil || major != 4 {
		return 0, false
	}
	major, n, b, err := cborHead(b) // device id
	if err != nil || major != 3 || uint64(len(b)) < n {
		return 0, false
	}
	b = b[n:]
	if len(b) == 0 || b[0] != 0xf4 && b[0] != 0xf5 { // replay: false or true
		return 0, false
	}
	major, n, _, err = cborHead(b[1:]) // records
	if err != nil || major != 4 {
		return 0, false
	}
	return int(n), true
}

// cborHead splits a CBOR data item's head (RFC 8949 section 3) from b:
// its major type and its argument.
func cborHead(b []byte) (major byte, arg uint64, rest []byte, err error) {
	if len(b) == 0 {
		return 0, 0, nil, errHeader
	}
	major, info := b[0]>>5, b[0]&0x1f
	b = b[1:]
	var size int
	switch {
	case info < 24:
		return major, uint64(info), b, nil
	case info == 24:
		size = 1
	case info == 25:
		size = 2
	case info == 26:
		size = 4
	case info == 27:
		size = 8
	default:
		return 0, 0, nil, errHeader
	}
	if len(b) < size {
		return 0, 0, nil, errHeader
	}
	for _, c := range b[:size] {
		arg = arg<<8 | uint64(c)
	}
	return major, arg, b[size:], nil
}
