package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/telemetry"
)

// publishReading sends device's reading seq of pm10 to brokerURL.
func publishReading(t *testing.T, brokerURL, device string, seq uint64, pm10 float64) {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID(device))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(0)
	p, err := telemetry.EncodeBatch(telemetry.Batch{Device: device, Records: []telemetry.Record{{Seq: seq,
		Reading: telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM10, Value: pm10, Time: time.Now()}}}})
	if err != nil {
		t.Fatal(err)
	}
	if tok := c.Publish(telemetry.UpTopic(device), 1, false, p); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
}

// waitUntil polls cond until it holds, for up to 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
	}
}

func mustExist(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
}

// The rig's collector stores what the broker carries, serves it on the
// rig's API, and keeps its files in the rig's directory.
func TestRig(t *testing.T) {
	dir := t.TempDir()
	r, err := newRig(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	// Ready comes before the collector subscribes: send until stored.
	waitUntil(t, "rig-1 stored", func() bool {
		publishReading(t, r.broker.URL(), "rig-1", 1, 30)
		d, ok := r.device("rig-1")
		return ok && d.Received == 1
	})
	mustExist(t, filepath.Join(dir, "collector.yaml"), filepath.Join(dir, "plans", "dust.yaml"), filepath.Join(dir, "collector.db"))
}

// The load rig's collector judges by the load plan, tells its office
// sink, runs under the pprof label part=collector, and stops without
// error.
func TestLoadRig(t *testing.T) {
	dir := t.TempDir()
	r, err := startLoadRig(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	var prof bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&prof, 1); err != nil {
		t.Fatal(err)
	}
	// A goroutine group of the profile: its labels, then its stack.
	if !regexp.MustCompile(`# labels: \{"part":"collector"\}\n(#.*\n)*?#.*cloud/collector\.\(\*Collector\)\.Run`).Match(prof.Bytes()) {
		t.Errorf("no goroutine of the collector's Run carries part=collector:\n%s", prof.Bytes())
	}
	publishReading(t, r.broker.URL(), "hot-1", 1, hotValue)
	waitUntil(t, "hot-1's alert at the sink", func() bool { _, ok := opened(r.sink)["hot-1"]; return ok })
	if err := r.close(); err != nil {
		t.Errorf("close = %v", err)
	}
	mustExist(t, filepath.Join(dir, "load-collector.yaml"), filepath.Join(dir, "load-plan.yaml"), filepath.Join(dir, "load-collector.db"))
}
