package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/agent"
	"github.com/xiuhua/xiuhua/cloud/collector/collectortest"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/configs"
	_ "github.com/xiuhua/xiuhua/drivers/pms5003"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip"
	pmschip "github.com/xiuhua/xiuhua/simulator/chip/pms5003"
	"github.com/xiuhua/xiuhua/telemetry"
)

// runner starts parts in goroutines; each is stopped and joined at
// cleanup, the last started first.
type runner struct {
	t *testing.T
}

func (r *runner) start(name string, f func(context.Context) error) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := f(ctx); err != nil && ctx.Err() == nil {
			r.t.Errorf("%s: %v", name, err)
		}
	}()
	r.t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			r.t.Errorf("%s did not stop within 15 s", name)
		}
	})
	return cancel
}

func write(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startCollector starts the collector with the construction-dust plan,
// its files in dir beside the agents'.
func startCollector(t *testing.T, dir, brokerURL, clientID string) *collectortest.Collector {
	t.Helper()
	return collectortest.StartTest(t, dir, collectortest.Opts{Broker: brokerURL, ClientID: clientID,
		Plans:       []collectortest.Plan{{File: "plans/dust.yaml", Embedded: "construction-dust.yaml"}},
		ReadyWithin: 10 * time.Second, StopWithin: 15 * time.Second})
}

// startSite starts a PMS5003 emulator on a pty, returning its serial path
// and the function that unplugs it.
func startSite(t *testing.T, r *runner, pm25 float64) (string, context.CancelFunc) {
	t.Helper()
	pty, err := chip.OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pty.Close() })
	c := pmschip.New(func(time.Time) pmschip.Values { return pmschip.Values{PM1: pm25 / 2, PM2_5: pm25, PM10: pm25 * 2} }, nil)
	return pty.SlavePath, r.start("chip", func(ctx context.Context) error { return c.Serve(ctx, pty.Master) })
}

func startAgent(t *testing.T, r *runner, dir, id, port, brokerURL string) *agent.Agent {
	t.Helper()
	a, _ := startAgentStoppable(t, r, dir, id, port, brokerURL)
	return a
}

// startAgentStoppable is startAgent that also returns the function that
// stops the agent.
func startAgentStoppable(t *testing.T, r *runner, dir, id, port, brokerURL string) (*agent.Agent, context.CancelFunc) {
	t.Helper()
	cfgPath := write(t, filepath.Join(dir, id+".yaml"), fmt.Sprintf(`device: {id: %s}
sensors:
  - {name: dust, driver: pms5003, serial: {port: %q}, interval: 200ms, timeout: 200ms}
outbox: {path: %s.outbox.db}
uplink: {broker: %q, ack_timeout: 2s, batch_max: 50}
clock: {require_sync: false}
`, id, port, id, brokerURL))
	cfg, err := configs.LoadAgent(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	a, err := agent.New(cfg, board.New(), agent.Opts{})
	if err != nil {
		t.Fatal(err)
	}
	return a, r.start("agent "+id, a.Run)
}

func waitFor(t *testing.T, what string, limit time.Duration, ok func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		done, state := ok()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last state: %s", what, limit, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// drained waits until the agent's outbox is empty and the collector holds
// every sequence number the agent ever gave, once.
func drained(t *testing.T, a *agent.Agent, api, id string, limit time.Duration) store.Device {
	t.Helper()
	var dev store.Device
	waitFor(t, "outbox drained and acknowledged", limit, func() (bool, string) {
		st, err := a.Status()
		if err != nil {
			return false, err.Error()
		}
		return st.Outbox.Depth == 0 && st.Outbox.NextSeq > 1, fmt.Sprintf("%+v", st.Outbox)
	})
	st, _ := a.Status()
	committed := st.Outbox.NextSeq - 1
	waitFor(t, "collector has every committed reading", 5*time.Second, func() (bool, string) {
		dev, _ = apiDevice(t, api, id)
		return dev.SeqHigh == committed, fmt.Sprintf("%+v, committed %d", dev, committed)
	})
	if len(dev.Missing) != 0 || dev.Received != committed {
		t.Fatalf("collector device = %+v; want all %d readings, none missing", dev, committed)
	}
	return dev
}

func TestDustSiteThroughMosquitto(t *testing.T) {
	const mosquitto = "tcp://127.0.0.1:1883"
	if c, err := net.DialTimeout("tcp", "127.0.0.1:1883", time.Second); err != nil {
		t.Fatalf("Mosquitto is not listening on 127.0.0.1:1883 (.ci/run starts it): %v", err)
	} else {
		c.Close()
	}
	dir := t.TempDir()
	r := &runner{t: t}
	id := fmt.Sprintf("e2e-mosq-%d", time.Now().UnixNano())
	t.Cleanup(func() { clearRetained(t, mosquitto, telemetry.StatusTopic(id)) })
	col := startCollector(t, dir, mosquitto, id+"-collector")
	port, unplug := startSite(t, r, 42)
	a := startAgent(t, r, dir, id, port, mosquitto)

	api := "http://" + col.HTTPAddr()
	waitFor(t, "20 samples stored", 20*time.Second, func() (bool, string) {
		d, ok := apiDevice(t, api, id)
		return ok && d.SeqHigh >= 60, fmt.Sprintf("%+v", d) // 20 samples of 3 readings
	})
	st := apiDeviceState(t, api, id)
	if !st.Online || st.State != "online" || st.LastHeartbeat == nil || st.LastHeartbeat.Clock != "synced" ||
		st.LastHeartbeat.Outbox.BudgetBytes != 64<<20 || len(st.LastHeartbeat.ConfigHash) != 64 {
		t.Errorf("device state = %+v, want online with a heartbeat carrying the config hash, clock and budget", st)
	}
	unplug()
	dev := drained(t, a, api, id, 20*time.Second)
	recs := apiReadings(t, api, id)
	if uint64(len(recs)) != dev.Received {
		t.Fatalf("readings API returned %d records, device says %d", len(recs), dev.Received)
	}
	for _, rec := range recs {
		want := map[string]float64{"pm1": 21, "pm2_5": 42, "pm10": 84}[rec.Quantity]
		if rec.Value != want || rec.Quality != "good" || rec.Sensor != "dust" {
			t.Fatalf("record %+v: want %s = %v from sensor dust, good", rec, rec.Quantity, want)
		}
	}
	col.Stop()
}

// The agent keeps readings while the collector is down and while the
// broker restarts; in the end the collector holds each exactly once.
func TestNothingLostAcrossCollectorDownAndBrokerRestart(t *testing.T) {
	dir := t.TempDir()
	r := &runner{t: t}
	b := startBroker(t)
	port, unplug := startSite(t, r, 30)
	a := startAgent(t, r, dir, "site-restart", port, b.URL())

	// Collector down: readings pile up in the outbox.
	waitFor(t, "backlog in the outbox", 10*time.Second, func() (bool, string) {
		st, err := a.Status()
		return err == nil && st.Outbox.Depth >= 30, fmt.Sprintf("%+v", st.Outbox)
	})
	col := startCollector(t, dir, b.URL(), "collector-restart-test")
	api := "http://" + col.HTTPAddr()
	waitFor(t, "backlog delivered", 20*time.Second, func() (bool, string) {
		d, ok := apiDevice(t, api, "site-restart")
		return ok && d.SeqHigh >= 40, fmt.Sprintf("%+v", d)
	})

	// The broker loses power mid-stream and comes back on the same address.
	b.restart()
	time.Sleep(2 * time.Second)
	unplug()

	dev := drained(t, a, api, "site-restart", 45*time.Second)
	t.Logf("stored %d readings, %d duplicates dropped", dev.Received, dev.Duplicates)
	col.Stop()

	// The store file agrees after the collector has closed it.
	db, err := bolt.Open(filepath.Join(dir, "collector.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	devs, err := db.Devices(context.Background())
	if err != nil || len(devs) != 1 || devs[0].SeqHigh != dev.SeqHigh || len(devs[0].Missing) != 0 {
		t.Fatalf("store after stop: %+v, %v", devs, err)
	}
}

// clearRetained removes a retained message from a shared broker, so that
// test runs leave nothing behind on the machine's Mosquitto.
func clearRetained(t *testing.T, brokerURL, topic string) {
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID("e2e-cleaner"))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Errorf("clear retained %s: %v", topic, tok.Error())
		return
	}
	defer c.Disconnect(100)
	c.Publish(topic, 1, true, []byte{}).WaitTimeout(5 * time.Second)
}
