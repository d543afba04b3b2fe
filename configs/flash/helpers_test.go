package flash

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

// The machine's Mosquitto. Each test uses device ids of its own and clears
// the retained messages it leaves.
const broker = "tcp://127.0.0.1:1883"

// behaviour is how a test device answers a config.
type behaviour int

const (
	apply    behaviour = iota // applying, then applied
	rollBack                  // applying, then rolled_back
	reject                    // rejected at once
	silent                    // never answers
)

// device follows the agent's side of the protocol for one device id.
type device struct {
	id string
	b  behaviour

	mu  sync.Mutex
	got [][]byte // configs received, in order
}

func (d *device) set(b behaviour) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.b = b
}

func (d *device) received() [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([][]byte(nil), d.got...)
}

// answerTime is the time every test device stamps its answers with, so
// that answers compare exactly.
var answerTime = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

const runningBefore = "0000000000000000000000000000000000000000000000000000000000000000"

// status is the answer a device following the protocol gives.
func status(hash, result string) telemetry.ConfigStatus {
	st := telemetry.ConfigStatus{Hash: hash, Result: result, Running: runningBefore, Time: answerTime}
	switch result {
	case telemetry.ConfigApplied, telemetry.ConfigApplying:
		st.Running = hash
		if result == telemetry.ConfigApplying {
			st.Running = runningBefore
		}
	case telemetry.ConfigRolledBack:
		st.Reason = "health check: sensor dust never answered"
	case telemetry.ConfigRejected:
		st.Reason = "signature: config is signed by a key this device does not trust"
	}
	return st
}

// startDevices connects one MQTT client per device, as real devices do,
// answering on their status topics. It clears every device's retained
// config and status when the test ends.
func startDevices(t *testing.T, ids []string, bs map[string]behaviour) map[string]*device {
	t.Helper()
	devs := map[string]*device{}
	for _, id := range ids {
		d := &device{id: id, b: bs[id]}
		devs[id] = d
		c := dial(t, "dev-"+id)
		on := func(cl mqtt.Client, m mqtt.Message) {
			if len(m.Payload()) == 0 {
				return // the topic was cleared
			}
			d.mu.Lock()
			d.got = append(d.got, append([]byte(nil), m.Payload()...))
			b := d.b
			d.mu.Unlock()
			h := configs.Hash(m.Payload())
			var answers []string
			switch b {
			case apply:
				answers = []string{telemetry.ConfigApplying, telemetry.ConfigApplied}
			case rollBack:
				answers = []string{telemetry.ConfigApplying, telemetry.ConfigRolledBack}
			case reject:
				answers = []string{telemetry.ConfigRejected}
			}
			for _, r := range answers {
				p, _ := json.Marshal(status(h, r))
				cl.Publish(telemetry.ConfigStatusTopic(d.id), 1, true, p).Wait()
			}
		}
		if tok := c.Subscribe(telemetry.ConfigTopic(id), 1, on); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("device %s subscribe: %v", id, tok.Error())
		}
	}
	t.Cleanup(func() { clearRetained(t, ids) })
	return devs
}

// clearRetained empties the devices' retained config and status topics.
func clearRetained(t *testing.T, ids []string) {
	c := dial(t, "cleanup")
	for _, id := range ids {
		for _, topic := range []string{telemetry.ConfigTopic(id), telemetry.ConfigStatusTopic(id)} {
			if tok := c.Publish(topic, 1, true, []byte{}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				t.Errorf("clear %s: %v", topic, tok.Error())
			}
		}
	}
}

// dial connects a client for the test and disconnects it when the test
// ends.
func dial(t *testing.T, name string) mqtt.Client {
	t.Helper()
	c, err := Dial(context.Background(), DialOpts{Broker: broker, ClientID: fmt.Sprintf("flash-test-%s-%s", name, randHex(4))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

// retained returns the retained message of each topic ("" when there is
// none), read by a fresh client. Mosquitto sends the retained messages of
// a subscription's filters in order, so once the marker topic's arrives
// every one before it has arrived too.
func retained(t *testing.T, topics []string) map[string]string {
	t.Helper()
	marker := "xiuhua/test/flash-marker/" + randHex(6)
	set := dial(t, "marker")
	if tok := set.Publish(marker, 1, true, "end"); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer func() { set.Publish(marker, 1, true, []byte{}).Wait() }()

	opts := mqtt.NewClientOptions().AddBroker(broker).SetClientID("flash-test-reader-" + randHex(4)).SetOrderMatters(true)
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer c.Disconnect(100)
	got := map[string]string{}
	for _, tp := range topics {
		got[tp] = ""
	}
	end := make(chan struct{})
	var mu sync.Mutex
	// One SUBSCRIBE per topic, the marker's last, on an ordered client.
	for _, tp := range topics {
		tok := c.Subscribe(tp, 1, func(_ mqtt.Client, m mqtt.Message) {
			mu.Lock()
			got[m.Topic()] = string(m.Payload())
			mu.Unlock()
		})
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	tok := c.Subscribe(marker, 1, func(mqtt.Client, mqtt.Message) { close(end) })
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	select {
	case <-end:
	case <-time.After(10 * time.Second):
		t.Fatal("the marker's retained message never came")
	}
	mu.Lock()
	defer mu.Unlock()
	return got
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// deviceIDs returns n device ids unique to this run, in sorted order.
func deviceIDs(n int) []string {
	run := "ft" + randHex(4)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-dev-%02d", run, i)
	}
	return ids
}

// signedConfig is a valid agent config for id, signed with priv.
func signedConfig(t *testing.T, id string, priv ed25519.PrivateKey) []byte {
	t.Helper()
	data := fmt.Sprintf(`device: {id: %s}
sensors:
  - {name: dust, driver: pms5003, serial: {port: /dev/ttyAMA0}, interval: 10s}
outbox: {path: /var/lib/xiuhua/outbox.db}
uplink: {broker: "tcp://127.0.0.1:1883"}
`, id)
	signed, err := configs.Sign([]byte(data), priv)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}
