package e2e

import (
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

// signer signs configs as an engineer's tool would; trust is the
// device's trust list, pem the same as a trust file.
type signer struct {
	priv  ed25519.PrivateKey
	trust []ed25519.PublicKey
	pem   []byte
}

func newSigner(t *testing.T) signer {
	t.Helper()
	pub, priv, err := configs.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return signer{priv: priv, trust: []ed25519.PublicKey{pub}, pem: configs.MarshalPublicKey(pub)}
}

func (s signer) sign(t *testing.T, body string) []byte {
	t.Helper()
	b, err := configs.Sign([]byte(body), s.priv)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// engineer is an MQTT client that flashes configs to one device and
// reads its answers.
type engineer struct {
	t       *testing.T
	id      string
	c       mqtt.Client
	answers chan telemetry.ConfigStatus
}

func newEngineer(t *testing.T, brokerURL, id string) *engineer {
	t.Helper()
	e := &engineer{t: t, id: id, answers: make(chan telemetry.ConfigStatus, 100)}
	e.c = mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID(id + "-engineer").
		SetAutoReconnect(true).SetConnectRetry(true))
	if tok := e.c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("engineer connect: %v", tok.Error())
	}
	t.Cleanup(func() { e.c.Disconnect(100) })
	tok := e.c.Subscribe(telemetry.ConfigStatusTopic(id), 1, func(_ mqtt.Client, m mqtt.Message) {
		var st telemetry.ConfigStatus
		if len(m.Payload()) > 0 && json.Unmarshal(m.Payload(), &st) == nil {
			e.answers <- st
		}
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe to answers: %v", tok.Error())
	}
	return e
}

func (e *engineer) flash(data []byte) {
	e.t.Helper()
	if tok := e.c.Publish(telemetry.ConfigTopic(e.id), 1, true, data); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		e.t.Fatalf("flash: %v", tok.Error())
	}
}

// answer waits for the first answer about want.Hash given at or after
// since, and checks it, its time aside. A device answers a config again
// each time the broker hands it over (every connection), so answers about
// other configs are skipped, and earlier ones about this one must be want
// too.
func (e *engineer) answer(since time.Time, want telemetry.ConfigStatus) {
	e.t.Helper()
	for {
		select {
		case got := <-e.answers:
			at := got.Time
			got.Time = time.Time{}
			if got.Hash != want.Hash {
				continue
			}
			if got != want {
				e.t.Fatalf("%s answered:\n got %+v\nwant %+v", e.id, got, want)
			}
			if !at.Before(since) {
				return
			}
		case <-time.After(30 * time.Second):
			e.t.Fatalf("%s gave no answer within 30 s; want %+v", e.id, want)
		}
	}
}

// apiConfigHashes returns the config hash the collector's device list
// shows for id, and that of its last heartbeat.
func apiConfigHashes(t *testing.T, api, id string) (device, heartbeat string) {
	var devs []struct {
		ID            string `json:"id"`
		ConfigHash    string `json:"config_hash"`
		LastHeartbeat *struct {
			ConfigHash string `json:"config_hash"`
		} `json:"last_heartbeat"`
	}
	if !get(t, api+"/api/v1/devices", &devs) {
		return "", ""
	}
	for _, d := range devs {
		if d.ID == id {
			if d.LastHeartbeat != nil {
				heartbeat = d.LastHeartbeat.ConfigHash
			}
			return d.ConfigHash, heartbeat
		}
	}
	return "", ""
}
