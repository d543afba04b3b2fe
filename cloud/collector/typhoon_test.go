package collector_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/cloud/collector"
	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/simulator/broker"
	"github.com/xiuhua/xiuhua/telemetry"
)

const timelineFile = "testdata/typhoon.timeline"

// gauge is the device at river-gauge-1 that reports the trace.
const gauge = "gauge-typhoon"

// typhoonConfig is the collector config of the test: the real Huangpu
// flood plan, the gauge at its site, the river-chief office escalating to
// the district flood-control command after 30 minutes, and one webhook
// channel per office into the sink.
const typhoonConfig = `mqtt: {broker: %q, client_id: typhoon-collector}
store: {path: collector.db}
plans: [huangpu-flood.yaml]
sites:
  - {id: river-gauge-1, name: "Huangpu gauge 1", district: huangpu, devices: [%s]}
offices:
  - {id: river-chief-office, name: "District river-chief office", escalate_after: 30m, escalate_to: flood-command}
  - {id: flood-command, name: "District flood-control command"}
routes:
  - {category: water, office: river-chief-office}
notify:
  channels:
    - {name: river-chief, type: webhook, url: "%s/river-chief-office", offices: [river-chief-office], timeout: 1m}
    - {name: flood-command, type: webhook, url: "%s/flood-command", offices: [flood-command], timeout: 1m}
`

// acks are the offices' acknowledgements, through the HTTP API: the
// active alert of the rule is acknowledged at the time given.
var acks = []struct {
	at   time.Time
	rule string
	by   string
}{
	{time.Date(2026, 9, 15, 2, 45, 0, 0, cst), "river-gauge-1-warning", "river-chief duty officer"},
	{time.Date(2026, 9, 15, 4, 20, 0, 0, cst), "river-gauge-1-guaranteed", "flood-command commander"},
	{time.Date(2026, 9, 15, 15, 20, 0, 0, cst), "river-gauge-1-warning", "river-chief duty officer"},
}

// TestTyphoonTimeline drives the typhoon trace through the collector as
// it runs: each reading is published on the broker at its own time on the
// collector's pinned clock, the clock steps a minute at a time and the
// collector ticks at each step, and the offices' webhooks are an HTTP
// sink. The alerts' lifecycle, as the HTTP API lists it, and every
// webhook delivery must be exactly testdata/typhoon.timeline (-update
// rewrites it). Every step waits for what it started (the rules' verdict
// on a reading, the tick, the deliveries) before the clock moves on, so
// no time in it depends on the machine's speed.
//
// Why each line of the timeline is what it is (levels from
// testdata/typhoon.csv; the plan's numbers from huangpu-flood.yaml):
//
//   - 23:45 rapid-rise opens: the rate is judged over the readings of the
//     trailing 30 minutes, 23:20–23:45 (the 23:15 reading's minute has
//     left the window), at least 5 of them over at least 15 minutes:
//     (3.376 − 3.249) m / 25 min = 0.305 m/h > 0.30 (it shows as 0.3: the
//     alert keeps two decimals). At 23:40 it was (3.336 − 3.227) / 25 min
//     = 0.262 m/h. No for: it opens on the reading. Routed by its category
//     (water) to the river-chief office, raised at 23:45 on the
//     collector's clock.
//   - 00:15 escalated to flood-command: nobody acknowledged it within the
//     river-chief office's escalate_after, 30 minutes after it was raised;
//     the tick at 00:15 is the first with now − raised ≥ 30m.
//   - 02:35 warning opens: 02:30 is the first reading above 4.80 (4.829;
//     02:25 was 4.768), and 02:35 (4.891) is still above it with 5
//     minutes ≥ for: 2m since.
//   - 02:45 the river-chief office acknowledges the warning through the
//     API (acks above): it is never escalated, and only its own office
//     hears of it.
//   - 03:40 guaranteed opens: 03:35 is the first reading above 5.50
//     (5.503), 03:40 (5.554) is still above it, 5 minutes ≥ for: 1m.
//   - 04:10 it is escalated to flood-command, 30 minutes after 03:40.
//   - 04:20 flood-command acknowledges it: the acknowledgement goes to
//     every office that has heard of it, its own and flood-command.
//   - 04:45 rapid-rise resolves: (5.791 − 5.757) m / 25 min = 0.082 m/h ≤
//     0.10, the clear level (at 04:40: (5.789 − 5.736) / 25 min = 0.127).
//     No clear_for: it resolves on the reading. Escalated, unacknowledged,
//     it is told to both offices.
//   - 06:45 guaranteed resolves: 06:35 is the first reading at or below
//     5.40 (5.398), and 06:40 and 06:45 stay there: clear_for 10m.
//   - 08:30 warning resolves: 08:20 is the first reading at or below 4.70
//     (4.696; 08:05–08:15 were between 4.70 and 4.80, which clears
//     nothing), and it stays there to 08:30: clear_for 10m.
//   - 10:10 gauge-silent opens: the last reading before the power cut was
//     10:00, and the tick at 10:10 finds 10 minutes (after: 10m) without
//     one. Value 600 s.
//   - 10:30 gauge-silent resolves on the first reading after the power
//     cut; the silence lasted 1800 s (10:00 to 10:30). Open 20 minutes,
//     it was never escalated.
//   - 15:05 warning opens again, a new alert: 15:00 is the first reading
//     above 4.80 since (4.805), 15:05 (4.819) is still above it.
//   - 15:20 the river-chief office acknowledges it.
//   - 18:10 it resolves: 18:00 is the first reading at or below 4.70
//     (4.694), 18:05 and 18:10 stay there.
//
// No other rule opens: the afternoon's flood tide rises at most 0.23 m/h
// plus noise, the level never sticks within 1 mm for 6 hours and stays
// within -5..20 m, and the gauge sends no loop current.
func TestTyphoonTimeline(t *testing.T) {
	trace := readTrace(t)
	b, err := broker.Start("127.0.0.1:0", nil)
	must(t, err)
	t.Cleanup(func() { b.Close() })
	sink := newSink(t)

	dir := t.TempDir()
	plan, err := configs.Plans.ReadFile("plans/huangpu-flood.yaml")
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "huangpu-flood.yaml"), plan, 0o600))
	cfgPath := filepath.Join(dir, "collector.yaml")
	must(t, os.WriteFile(cfgPath, fmt.Appendf(nil, typhoonConfig, b.URL(), gauge, sink.URL, sink.URL), 0o600))
	cfg, err := configs.LoadCollector(cfgPath)
	must(t, err)

	clk := &clock{}
	clk.set(trace[0].t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	c, err := collector.New(cfg, collector.Opts{Listener: ln, Now: clk.Now})
	must(t, err)
	tick := collector.ManualTicks(c)
	judged := make(chan []telemetry.Record, 1)
	collector.OnObserved(c, func(device string, recs []telemetry.Record) {
		if device == gauge {
			judged <- recs
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	select {
	case <-c.Ready():
	case err := <-done:
		t.Fatalf("Run = %v before ready", err)
	case <-time.After(10 * time.Second):
		t.Fatal("collector not ready within 10s")
	}
	api := "http://" + c.HTTPAddr()

	dev := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(b.URL()).SetClientID(gauge).SetCleanSession(true))
	if tok := dev.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("gauge connect: %v", tok.Error())
	}
	t.Cleanup(func() { dev.Disconnect(100) })
	// The gauge's heartbeat, until the collector has heard one: its
	// subscriptions (one SUBSCRIBE for batches and heartbeats) are in
	// place once it has.
	hb := marshal(t, telemetry.Heartbeat{Time: traceStart, Interval: telemetry.Duration(5 * time.Minute), Clock: "synced"})
	for deadline := time.Now().Add(10 * time.Second); c.RegistryStats().Heartbeats == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the collector heard no heartbeat within 10s")
		}
		publish(t, dev, telemetry.HeartbeatTopic(gauge), false, hb)
		time.Sleep(50 * time.Millisecond)
	}

	var lines []string
	known := map[string]store.Alert{}
	// settle waits until every message queued so far has reached the
	// sink, then writes what changed since the last settle.
	settle := func() {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for c.NotifyStats().Pending > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: notifications still pending after 10s: %+v", clk.Now().In(cst).Format(time.RFC3339), c.NotifyStats())
			}
			time.Sleep(time.Millisecond)
		}
		stamp := clk.Now().In(cst).Format(time.RFC3339) + " "
		for _, l := range alertChanges(t, api, known) {
			lines = append(lines, stamp+l)
		}
		for _, l := range sink.take() {
			lines = append(lines, stamp+l)
		}
	}

	next := 0 // the next reading of the trace
	for now := traceStart; !now.After(traceEnd); now = now.Add(time.Minute) {
		clk.set(now)
		if next < len(trace) && trace[next].t.Equal(now) {
			p := trace[next]
			next++
			rec := telemetry.Record{Seq: uint64(next), Reading: telemetry.Reading{
				Sensor: "level", Quantity: telemetry.WaterLevel, Value: p.v, Time: p.t}}
			payload, err := telemetry.EncodeBatch(telemetry.Batch{Device: gauge, Records: []telemetry.Record{rec}})
			must(t, err)
			publish(t, dev, telemetry.UpTopic(gauge), false, payload)
			select {
			case recs := <-judged:
				if len(recs) != 1 || recs[0].Seq != rec.Seq {
					t.Fatalf("%s: judged %+v, want reading %d", now.Format(time.RFC3339), recs, rec.Seq)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: reading %d not judged within 10s", now.Format(time.RFC3339), rec.Seq)
			}
			settle()
		}
		tctx, stop := context.WithTimeout(ctx, 10*time.Second)
		if !tick(tctx) {
			t.Fatalf("%s: tick not done within 10s", now.Format(time.RFC3339))
		}
		stop()
		settle()
		for _, a := range acks {
			if a.at.Equal(now) {
				ack(t, api, known, a.rule, a.by)
				settle()
			}
		}
	}
	if next != len(trace) {
		t.Fatalf("published %d readings of %d", next, len(trace))
	}
	if s := c.IngestStats(); s.Records != uint64(len(trace)) || s.Rejected != 0 || s.Duplicates != 0 {
		t.Errorf("ingest stats %+v, want %d records stored", s, len(trace))
	}
	if s := c.NotifyStats(); s.Failed != 0 || s.Retried != 0 || s.Delivered != uint64(sink.count()) {
		t.Errorf("notify stats %+v, want every message delivered at the first attempt (%d)", s, sink.count())
	}

	got := strings.Join(lines, "\n") + "\n"
	if *update {
		must(t, os.WriteFile(timelineFile, []byte(got), 0o644))
	}
	want, err := os.ReadFile(timelineFile)
	must(t, err)
	if got != string(want) {
		t.Errorf("timeline differs from %s (-update rewrites it):\n%s", timelineFile, lineDiff(string(want), got))
	}
}

// alertChanges lists the gauge's alerts through the API and describes
// what changed since known, which it updates: one line per opening,
// escalation, acknowledgement and resolution, alerts in order of opening.
func alertChanges(t *testing.T, api string, known map[string]store.Alert) []string {
	t.Helper()
	code, body := get(t, api+"/api/v1/alerts?device="+gauge)
	if code != http.StatusOK {
		t.Fatalf("GET alerts: %d %s", code, body)
	}
	var list struct{ Alerts []store.Alert }
	must(t, json.Unmarshal([]byte(body), &list))
	slices.SortFunc(list.Alerts, func(a, b store.Alert) int {
		if c := a.Opened.Compare(b.Opened); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	var out []string
	for _, a := range list.Alerts {
		was, seen := known[a.ID]
		line := func(what, rest string) { out = append(out, fmt.Sprintf("%-12s %s %-24s %s", what, a.ID, a.Rule, rest)) }
		if !seen {
			line("opened", fmt.Sprintf("site=%s office=%s severity=%s value=%s at=%s",
				a.Site, a.Office, a.Severity, value(a), a.Opened.In(cst).Format("15:04")))
			was = store.Alert{State: store.Open}
		}
		for _, o := range a.Escalated[len(was.Escalated):] {
			line("escalated", "to="+o)
		}
		if a.State != was.State {
			switch a.State {
			case store.Acknowledged:
				line("acknowledged", "by="+a.AckedBy)
			case store.Resolved:
				line("resolved", fmt.Sprintf("by=%s value=%s at=%s", a.ResolvedBy, value(a), a.Resolved.In(cst).Format("15:04")))
			default:
				line(a.State, "")
			}
		}
		if a.Flaps != was.Flaps {
			line("flapping", fmt.Sprintf("flaps=%d", a.Flaps))
		}
		known[a.ID] = a
	}
	return out
}

func value(a store.Alert) string {
	return strings.TrimSuffix(fmt.Sprintf("%g %s", a.Value, a.Unit), " ")
}

// ack acknowledges the active alert of rule through the API.
func ack(t *testing.T, api string, known map[string]store.Alert, rule, by string) {
	t.Helper()
	var id string
	for _, a := range known {
		if a.Rule == rule && a.State != store.Resolved {
			id = a.ID
		}
	}
	if id == "" {
		t.Fatalf("no active alert of %s to acknowledge", rule)
	}
	body, err := json.Marshal(map[string]string{"by": by})
	must(t, err)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Post(api+"/api/v1/alerts/"+id+"/ack", "application/json", bytes.NewReader(body))
	must(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("ack %s: %d %s", id, resp.StatusCode, b)
	}
}

// sink is the offices' webhook endpoint: /<office> for each office.
type sink struct {
	*httptest.Server
	mu  sync.Mutex
	got []delivery // since the last take
	n   int
}

type delivery struct{ office, key string }

func newSink(t *testing.T) *sink {
	s := &sink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		office := strings.TrimPrefix(r.URL.Path, "/")
		var m notify.Message
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Errorf("sink: %s: %v", r.URL.Path, err)
		}
		key := r.Header.Get("Idempotency-Key")
		if m.Key != key || m.Office != office || !strings.HasPrefix(key, m.Alert.ID+":"+m.Event+":") || !strings.HasSuffix(key, ":"+office) {
			t.Errorf("sink: %s got key %q (header %q), event %s, office %s, alert %s", r.URL.Path, m.Key, key, m.Event, m.Office, m.Alert.ID)
		}
		s.mu.Lock()
		s.got = append(s.got, delivery{office, key})
		s.n++
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

// take returns the deliveries since the last take, grouped by office:
// each channel delivers in order, the two channels side by side.
func (s *sink) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	slices.SortStableFunc(s.got, func(a, b delivery) int { return strings.Compare(a.office, b.office) })
	var out []string
	for _, d := range s.got {
		out = append(out, fmt.Sprintf("%-12s %-18s %s", "webhook", d.office, d.key))
	}
	s.got = nil
	return out
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// lineDiff shows the first lines where want and got part.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant %s\ngot  %s", i+1, wl, gl)
		}
	}
	return "(same lines)"
}
