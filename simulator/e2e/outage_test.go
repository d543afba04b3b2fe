package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/agent"
	"github.com/xiuhua/xiuhua/agent/outbox"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/telemetry"
)

// seenBatch is one batch as a sniffer on the broker saw it.
type seenBatch struct {
	at     time.Time
	replay bool
	seqs   telemetry.Ranges
	newest time.Time // newest raw reading's time
}

// sniff records every batch published on the device's up topic.
func sniff(t *testing.T, brokerURL, device string) func() []seenBatch {
	var mu sync.Mutex
	var got []seenBatch
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID("sniffer-" + device))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("sniffer connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	tok := c.Subscribe(telemetry.UpTopic(device), 1, func(_ mqtt.Client, m mqtt.Message) {
		b, err := telemetry.DecodeBatch(m.Payload())
		if err != nil {
			t.Errorf("sniffer: %v", err)
			return
		}
		s := seenBatch{at: time.Now(), replay: b.Replay, seqs: b.Seqs()}
		for _, r := range b.Records {
			if r.Time.After(s.newest) {
				s.newest = r.Time
			}
		}
		mu.Lock()
		got = append(got, s)
		mu.Unlock()
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("sniffer subscribe: %v", tok.Error())
	}
	return func() []seenBatch {
		mu.Lock()
		defer mu.Unlock()
		return append([]seenBatch(nil), got...)
	}
}

// TestOutageOf24Hours: a device offline for a day (its readings compressed
// into the outbox at one every 2 s per stream, under a 1 MiB budget) comes
// back. The backlog is delivered in full, live readings go ahead of it,
// the file never passes its budget, and raw plus condensed readings equal
// the readings taken.
func TestOutageOf24Hours(t *testing.T) {
	const budget = 1 << 20
	dir := t.TempDir()
	obPath := filepath.Join(dir, "site.outbox.db")

	// The outage: 24 h of device time, three streams every 2 s.
	ob, err := outbox.Open(obPath, &outbox.Opts{Budget: budget})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-24 * time.Hour)
	var taken uint64
	for at := start; at.Before(start.Add(24 * time.Hour)); {
		var rs []telemetry.Reading
		for i := 0; i < 600 && at.Before(start.Add(24*time.Hour)); i++ {
			for _, q := range []telemetry.Quantity{telemetry.PM1, telemetry.PM2_5, telemetry.PM10} {
				rs = append(rs, telemetry.Reading{Sensor: "dust", Quantity: q, Value: float64(taken%150) + 10, Time: at})
				taken++
			}
			at = at.Add(2 * time.Second)
		}
		if _, err := ob.Append(context.Background(), rs...); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(obPath); fi.Size() > budget {
			t.Fatalf("outbox file %d bytes during the outage, over its budget of %d", fi.Size(), budget)
		}
	}
	before, _ := ob.Stats()
	ob.Close()
	if before.Condensed == 0 {
		t.Fatalf("a day under a 1 MiB budget condensed nothing: %+v", before)
	}
	t.Logf("outage: %d readings taken, %d condensed, file %d of %d bytes", taken, before.Condensed, before.FileBytes, budget)

	// The link comes back.
	r := &runner{t: t}
	b := startBroker(t)
	col := startCollector(t, dir, b.URL(), "outage-collector")
	api := "http://" + col.HTTPAddr()
	batches := sniff(t, b.URL(), "site-outage")
	port, unplug := startSite(t, r, 25)
	cfgPath := write(t, filepath.Join(dir, "site.yaml"), fmt.Sprintf(`device: {id: site-outage}
sensors:
  - {name: dust, driver: pms5003, serial: {port: %q}, interval: 100ms, timeout: 100ms}
outbox: {path: site.outbox.db, budget_mb: 1}
uplink: {broker: %q, batch_max: 500, replay_rate: 20000, ack_timeout: 5s}
clock: {require_sync: false}
`, port, b.URL()))
	cfg, err := configs.LoadAgent(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	a, err := agent.New(cfg, board.New(), agent.Opts{})
	if err != nil {
		t.Fatal(err)
	}
	var maxFile atomic.Int64
	stopWatch := r.start("file watcher", func(ctx context.Context) error {
		for ctx.Err() == nil {
			if fi, err := os.Stat(obPath); err == nil && fi.Size() > maxFile.Load() {
				maxFile.Store(fi.Size())
			}
			time.Sleep(10 * time.Millisecond)
		}
		return nil
	})
	stopAgent := r.start("agent", a.Run)
	backlog := before.NextSeq - 1
	waitFor(t, "backlog delivered", 60*time.Second, func() (bool, string) {
		d, ok := apiDevice(t, api, "site-outage")
		return ok && d.SeqHigh > backlog+30 && len(d.Missing) == 0, fmt.Sprintf("%+v", d)
	})
	unplug()
	var committed uint64
	waitFor(t, "outbox drained", 30*time.Second, func() (bool, string) {
		st, err := a.Status()
		committed = st.Outbox.NextSeq - 1
		d, _ := apiDevice(t, api, "site-outage")
		return err == nil && st.Outbox.Depth == 0 && d.SeqHigh == committed, fmt.Sprintf("outbox %+v, collector %+v", st.Outbox, d)
	})
	stopAgent()
	stopWatch()

	if m := maxFile.Load(); m > budget {
		t.Errorf("outbox file reached %d bytes, over its budget of %d", m, budget)
	}
	d, _ := apiDevice(t, api, "site-outage")
	raw := uint64(len(readingsAll(t, api, "site-outage")))
	var aggCount uint64
	for _, g := range aggregatesAll(t, api, "site-outage") {
		aggCount += uint64(g.Count)
	}
	t.Logf("after: committed %d; collector received %d (raw %d + condensed %d, aggregates count %d), replayed %d, duplicates %d",
		committed, d.Received, raw, d.Condensed, aggCount, d.Replayed, d.Duplicates)
	if d.Received != committed || len(d.Missing) != 0 || raw+d.Condensed != committed || aggCount != d.Condensed {
		t.Fatalf("collector %+v with %d raw and aggregates counting %d; want raw + condensed = %d readings taken", d, raw, aggCount, committed)
	}
	if d.Condensed < before.Condensed {
		t.Errorf("collector counts %d condensed, the outbox had condensed %d", d.Condensed, before.Condensed)
	}
	if d.Replayed == 0 {
		t.Error("no reading was marked as replayed")
	}

	// Live first: live batches went out while the backlog was still
	// replaying, each within a second or two of its readings.
	seen := batches()
	var lastReplay time.Time
	for _, s := range seen {
		if s.replay && s.at.After(lastReplay) {
			lastReplay = s.at
		}
	}
	liveDuringReplay := 0
	var worst time.Duration
	for _, s := range seen {
		if s.replay || s.newest.IsZero() || !s.at.Before(lastReplay) {
			continue
		}
		liveDuringReplay++
		// A live batch waits at most for a slot in the in-flight window,
		// never for the backlog: seconds, against the replay's tens.
		lag := s.at.Sub(s.newest)
		worst = max(worst, lag)
		if lag > 5*time.Second {
			t.Errorf("live batch %v went out %v after its newest reading, behind the backlog", s.seqs, lag)
		}
		if s.seqs.Max() <= backlog {
			t.Errorf("batch %v of backlog readings was not marked replay", s.seqs)
		}
	}
	t.Logf("%d live batches went out during the replay, the slowest %v after its reading; replay ended %v after the first batch",
		liveDuringReplay, worst.Round(time.Millisecond), lastReplay.Sub(seen[0].at).Round(time.Millisecond))
	if liveDuringReplay == 0 {
		t.Errorf("no live batch went out while the backlog replayed (%d batches, last replay at %v)", len(seen), lastReplay)
	}
}

type apiAggregate struct {
	Count uint32 `json:"count"`
}

func readingsAll(t *testing.T, api, id string) []apiReading {
	var body struct{ Readings []apiReading }
	q := url.Values{"device": {id}, "from": {time.Now().Add(-48 * time.Hour).UTC().Format(time.RFC3339)},
		"to": {time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, "limit": {"100000"}}
	get(t, api+"/api/v1/readings?"+q.Encode(), &body)
	return body.Readings
}

func aggregatesAll(t *testing.T, api, id string) []apiAggregate {
	var body struct{ Aggregates []apiAggregate }
	q := url.Values{"device": {id}, "limit": {"100000"}}
	get(t, api+"/api/v1/aggregates?"+q.Encode(), &body)
	return body.Aggregates
}
