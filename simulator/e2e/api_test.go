package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
)

func get(t *testing.T, u string, v any) bool {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		t.Logf("GET %s: %v", u, err)
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", u, resp.Status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return true
}

func apiDevice(t *testing.T, api, id string) (store.Device, bool) {
	var devs []store.Device
	if !get(t, api+"/api/v1/devices", &devs) {
		return store.Device{}, false
	}
	for _, d := range devs {
		if d.ID == id {
			return d, true
		}
	}
	return store.Device{}, false
}

type apiReading struct {
	Seq      uint64  `json:"seq"`
	Sensor   string  `json:"sensor"`
	Quantity string  `json:"quantity"`
	Value    float64 `json:"value"`
	Quality  string  `json:"quality"`
}

func apiReadings(t *testing.T, api, id string) []apiReading {
	var body struct{ Readings []apiReading }
	q := url.Values{"device": {id}, "from": {time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)},
		"to": {time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}}
	get(t, api+"/api/v1/readings?"+q.Encode(), &body)
	return body.Readings
}

// apiState is the registry's part of a device object.
type apiState struct {
	ID               string `json:"id"`
	Online           bool   `json:"online"`
	State            string `json:"state"`
	StateReason      string `json:"state_reason"`
	Incarnations     int    `json:"incarnations"`
	PreviousReceived uint64 `json:"previous_received"`
	LastHeartbeat    *struct {
		ConfigHash string `json:"config_hash"`
		Clock      string `json:"clock"`
		Outbox     struct {
			NextSeq     uint64 `json:"next_seq"`
			BudgetBytes int64  `json:"budget_bytes"`
		} `json:"outbox"`
	} `json:"last_heartbeat"`
}

func apiDeviceState(t *testing.T, api, id string) apiState {
	var s apiState
	get(t, api+"/api/v1/devices/"+id, &s)
	return s
}
