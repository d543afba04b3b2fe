package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/simulator/chip"
	pmschip "github.com/xiuhua/xiuhua/simulator/chip/pms5003"
)

func TestProbeReadsEachSensorOnce(t *testing.T) {
	pty, err := chip.OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()
	c := pmschip.New(func(time.Time) pmschip.Values { return pmschip.Values{PM1: 12, PM2_5: 35, PM10: 61} }, nil)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); c.Serve(ctx, pty.Master) }()
	defer func() { cancel(); <-served }()

	dir := t.TempDir()
	cfg := filepath.Join(dir, "agent.yaml")
	os.WriteFile(cfg, []byte(`device: {id: site-1}
sensors:
  - {name: dust, driver: pms5003, serial: {port: `+pty.SlavePath+`}}
  - {name: gone, driver: pms5003, serial: {port: `+filepath.Join(dir, "ttyNOPE")+`}}
outbox: {path: outbox.db}
uplink: {broker: "tcp://127.0.0.1:1"}
`), 0o600)
	var stdout, stderr strings.Builder
	code := dispatch([]string{"probe", "--config", cfg}, nil, &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit code %d, want 1 (one sensor is absent)", code)
	}
	got := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var l probeLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if l.Sensor != "dust" || l.Unit != "ug/m3" || l.Quality.String() != "good" {
			t.Errorf("line %+v", l)
		}
		got[string(l.Quantity)] = l.Value
	}
	if got["pm1"] != 12 || got["pm2_5"] != 35 || got["pm10"] != 61 || len(got) != 3 {
		t.Errorf("probe read %v, want pm1 12, pm2_5 35, pm10 61", got)
	}
	if !strings.Contains(stderr.String(), "gone (pms5003):") || !strings.Contains(stderr.String(), "ttyNOPE") {
		t.Errorf("stderr does not name the absent sensor and its port:\n%s", stderr.String())
	}
}
