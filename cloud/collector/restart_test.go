package collector_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/collector"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/simulator/broker"
	"github.com/xiuhua/xiuhua/telemetry"
)

// alertsAfterStart starts a collector on dir's config, waits until it is ready,
// lists its alerts and stops it.
func alertsAfterStart(t *testing.T, dir string) []struct{ ID, Device, State string } {
	t.Helper()
	cfg, err := configs.LoadCollector(filepath.Join(dir, "collector.yaml"))
	must(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	c, err := collector.New(cfg, collector.Opts{Listener: ln})
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	select {
	case <-c.Ready():
	case err := <-done:
		t.Fatalf("Run = %v before ready", err)
	}
	_, body := get(t, "http://"+c.HTTPAddr()+"/api/v1/alerts")
	var out struct {
		Alerts []struct{ ID, Device, State string }
	}
	must(t, json.Unmarshal([]byte(body), &out))
	return out.Alerts
}

// Readings stored while no rule judged them (a plan added or lowered
// while the collector was down) raise their alert at start, once: a
// second restart finds it and raises nothing.
func TestRestartJudgesStoredReadingsOnce(t *testing.T) {
	b, err := broker.Start("127.0.0.1:0", nil)
	must(t, err)
	defer b.Close()
	dir := t.TempDir()
	st, err := bolt.Open(filepath.Join(dir, "collector.db"), nil)
	must(t, err)
	now := time.Now().UTC().Truncate(time.Second)
	var recs []telemetry.Record
	for i := 0; i < 5; i++ {
		recs = append(recs, telemetry.Record{Seq: uint64(i + 1), Reading: telemetry.Reading{
			Sensor: "dust", Quantity: telemetry.PM2_5, Value: 120, Time: now.Add(time.Duration(i-5) * time.Minute)}})
	}
	_, err = st.Append(context.Background(), now, telemetry.Batch{Device: "site-1", Records: recs})
	must(t, err)
	must(t, st.Close())

	plan, err := configs.Plans.ReadFile("plans/construction-dust.yaml")
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "dust.yaml"), plan, 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "collector.yaml"), fmt.Appendf(nil, `mqtt: {broker: %q, client_id: restart-test}
store: {path: collector.db}
plans: [dust.yaml]
offices: [{id: city-operations-centre, name: ops}]
routes: [{category: dust, office: city-operations-centre}]
`, b.URL()), 0o600))

	first := alertsAfterStart(t, dir)
	if len(first) != 1 || first[0].Device != "site-1" || first[0].State != "open" {
		t.Fatalf("alerts after the first start = %+v, want one open alert for site-1", first)
	}
	second := alertsAfterStart(t, dir)
	if len(second) != 1 || second[0].ID != first[0].ID {
		t.Fatalf("alerts after a second start = %+v, want the same single alert", second)
	}
}
