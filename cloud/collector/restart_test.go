package collector_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/collector/collectortest"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/simulator/broker"
	"github.com/xiuhua/xiuhua/telemetry"
)

// alertsAfterStart starts a collector on dir (the dust plan, the store
// collector.db), waits until it is ready, lists its alerts and stops it.
func alertsAfterStart(t *testing.T, dir, brokerURL string) []struct{ ID, Device, State string } {
	t.Helper()
	c := collectortest.StartTest(t, dir, collectortest.Opts{Broker: brokerURL, ClientID: "restart-test"})
	defer func() {
		if err := c.Stop(); err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
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

	first := alertsAfterStart(t, dir, b.URL())
	if len(first) != 1 || first[0].Device != "site-1" || first[0].State != "open" {
		t.Fatalf("alerts after the first start = %+v, want one open alert for site-1", first)
	}
	second := alertsAfterStart(t, dir, b.URL())
	if len(second) != 1 || second[0].ID != first[0].ID {
		t.Fatalf("alerts after a second start = %+v, want the same single alert", second)
	}
}
