package collector_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/cloud/collector/collectortest"
	"github.com/xiuhua/xiuhua/simulator/broker"
	"github.com/xiuhua/xiuhua/telemetry"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// clock is the collector's pinned clock.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time  { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time) { c.ns.Store(t.UnixNano()) }

func at(d time.Duration) time.Time { return t0.Add(d) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func startCollector(t *testing.T, brokerURL string, clk *clock) string {
	t.Helper()
	c := collectortest.StartTest(t, t.TempDir(), collectortest.Opts{Broker: brokerURL, ClientID: "collector-test",
		Now: clk.Now, ReadyWithin: 10 * time.Second, StopWithin: 15 * time.Second})
	t.Cleanup(func() {
		c.Stop() // StartTest's cleanup, after this one, reports Run's error
		if s := c.RegistryStats(); s.Malformed != 1 {
			t.Errorf("registry stats %+v, want the one malformed heartbeat", s)
		}
	})
	return "http://" + c.HTTPAddr()
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(u)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, strings.TrimSuffix(string(b), "\n")
}

// waitBody polls u until its body is want, and fails with the last body
// after 10 s.
func waitBody(t *testing.T, what, u, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := get(t, u)
		if code == http.StatusOK && body == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: GET %s: %d\n%s\nwant\n%s", what, u, code, body, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func publish(t *testing.T, c mqtt.Client, topic string, retained bool, payload []byte) {
	t.Helper()
	tok := c.Publish(topic, 1, retained, payload)
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish to %s: %v", topic, tok.Error())
	}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return b
}

// TestDeviceStateThroughTheBroker plays a device on the embedded broker:
// its retained birth (published before the collector starts), a
// heartbeat, a replayed batch with a condensed block and a reading from
// the future, then silence and its last will; the HTTP API's device object
// must follow exactly, and the device must get its ack.
func TestDeviceStateThroughTheBroker(t *testing.T) {
	b, err := broker.Start("127.0.0.1:0", nil)
	must(t, err)
	t.Cleanup(func() { b.Close() })
	const id = "site-9"

	dev := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(b.URL()).SetClientID(id).SetCleanSession(true))
	if tok := dev.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("device connect: %v", tok.Error())
	}
	t.Cleanup(func() { dev.Disconnect(100) })
	acks := make(chan telemetry.Ack, 4)
	tok := dev.Subscribe(telemetry.AckTopic(id), 1, func(_ mqtt.Client, m mqtt.Message) {
		if a, err := telemetry.DecodeAck(m.Payload()); err == nil {
			acks <- a
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe to acks: %v", tok.Error())
	}
	publish(t, dev, telemetry.StatusTopic(id), true, marshal(t, telemetry.Status{State: telemetry.Online, Time: at(-time.Minute)}))

	clk := &clock{}
	clk.set(t0)
	api := startCollector(t, b.URL(), clk)
	devURL := api + "/api/v1/devices/" + id

	// The retained birth alone: online, no batch yet.
	const noStore = `"last_seen":null,"seq_high":0,"missing":[],"received":0,"duplicates":0,"condensed":0,"replayed":0,"future_time":0,` +
		`"incarnation":"0","incarnations":0,"previous_received":0,"stale_incarnation":0`
	tail := `,"aggregates_url":"/api/v1/aggregates?device=site-9"}`
	waitBody(t, "retained birth", devURL, `{"id":"site-9",`+noStore+
		`,"online":true,"state":"online","state_since":"2026-03-01T08:00:00Z","state_reason":"","config_hash":"","last_heartbeat":null`+tail)

	hb := telemetry.Heartbeat{Time: at(time.Second), Interval: telemetry.Duration(30 * time.Second), ConfigHash: "c0ffee", Clock: "synced",
		Outbox:  telemetry.OutboxState{Depth: 4, OldestAgeS: 1800, NextSeq: 5, BudgetBytes: 1 << 20, UsedBytes: 1 << 19, Condensed: 2, AutonomyHours: 12.5, ReadingsPerMin: 2},
		Sensors: map[string]telemetry.SensorState{"dust": {Open: true, Samples: 4}}}
	const hbJSON = `{"time":"2026-03-01T08:00:01Z","interval":"30s","config_hash":"c0ffee","clock":"synced",` +
		`"outbox":{"depth":4,"oldest_age_s":1800,"next_seq":5,"budget_bytes":1048576,"used_bytes":524288,"condensed":2,"autonomy_hours":12.5,"readings_per_min":2},` +
		`"sensors":{"dust":{"open":true,"samples":4,"errors":0}}}`
	publish(t, dev, telemetry.HeartbeatTopic(id), false, marshal(t, hb))
	publish(t, dev, telemetry.HeartbeatTopic("site-10"), false, []byte(`{"interval":"soon"}`))

	batch := telemetry.Batch{Device: id, Replay: true,
		Records: []telemetry.Record{
			{Seq: 1, Reading: telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM2_5, Value: 12, Time: at(-30 * time.Minute), Flags: telemetry.ClockCorrected}},
			{Seq: 4, Reading: telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM2_5, Value: 13, Time: at(10 * time.Minute)}},
		},
		Condensed: []telemetry.Condensed{{Range: telemetry.Range{First: 2, Last: 3}, Aggregates: []telemetry.Aggregate{
			{Sensor: "dust", Quantity: telemetry.PM2_5, Minute: at(-20 * time.Minute), Count: 2, Min: 11, Max: 14, Mean: 12.5},
		}}},
	}
	p, err := telemetry.EncodeBatch(batch)
	must(t, err)
	publish(t, dev, telemetry.UpTopic(id), false, p)

	select {
	case a := <-acks:
		if a.Device != id || a.Ranges.String() != "[1-4]" {
			t.Errorf("ack = %+v, want %s [1-4]", a, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no ack within 10s")
	}
	const stored = `"last_seen":"2026-03-01T08:00:00Z","seq_high":4,"missing":[],"received":4,"duplicates":0,"condensed":2,"replayed":2,"future_time":1,` +
		`"incarnation":"0","incarnations":1,"previous_received":0,"stale_incarnation":0`
	waitBody(t, "after heartbeat and batch", devURL, `{"id":"site-9",`+stored+
		`,"online":true,"state":"online","state_since":"2026-03-01T08:00:00Z","state_reason":"","config_hash":"c0ffee","last_heartbeat":`+hbJSON+tail)

	// Silence for 2.5 intervals and a second: offline since the deadline.
	clk.set(at(76 * time.Second))
	waitBody(t, "heartbeat timeout", devURL, `{"id":"site-9",`+stored+
		`,"online":false,"state":"offline","state_since":"2026-03-01T08:01:15Z","state_reason":"heartbeat timeout","config_hash":"c0ffee","last_heartbeat":`+hbJSON+tail)

	// The broker's last will: the reason changes, the time it went does not.
	clk.set(at(2 * time.Minute))
	publish(t, dev, telemetry.StatusTopic(id), true, marshal(t, telemetry.Status{State: telemetry.Offline}))
	want := `{"id":"site-9",` + stored +
		`,"online":false,"state":"offline","state_since":"2026-03-01T08:01:15Z","state_reason":"last will","config_hash":"c0ffee","last_heartbeat":` + hbJSON
	waitBody(t, "last will", devURL, want+tail)
	waitBody(t, "device list", api+"/api/v1/devices", `[`+want+`}]`)

	waitBody(t, "readings", api+"/api/v1/readings?device=site-9&from=2026-03-01T07:00:00Z&to=2026-03-01T09:00:00Z",
		`{"device":"site-9","from":"2026-03-01T07:00:00Z","to":"2026-03-01T09:00:00Z","readings":[`+
			`{"seq":1,"sensor":"dust","quantity":"pm2_5","value":12,"unit":"ug/m3","time":"2026-03-01T07:30:00Z","quality":"good","flags":["clock_corrected"]},`+
			`{"seq":4,"sensor":"dust","quantity":"pm2_5","value":13,"unit":"ug/m3","time":"2026-03-01T08:10:00Z","quality":"good","flags":["future_time"]}]}`)
	waitBody(t, "aggregates", api+"/api/v1/aggregates?device=site-9",
		`{"device":"site-9","from":null,"to":null,"aggregates":[`+
			`{"sensor":"dust","quantity":"pm2_5","unit":"ug/m3","minute":"2026-03-01T07:40:00Z","count":2,"min":11,"max":14,"mean":12.5}]}`)
}
