package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/simulator/fleet"
	"github.com/xiuhua/xiuhua/simulator/fleet/fleettest"
)

// `xiuhua-sim fleet --for 2s --drain` runs four devices against Mosquitto
// and the real collector, prints JSON status lines, drains, and says how
// many readings were committed and acknowledged: as many as the
// collector stored.
func TestFleetCommandDrains(t *testing.T) {
	r := fleettest.NewRig(t)
	var stdout, stderr strings.Builder
	args := []string{"fleet", "--devices", "4", "--broker", r.Broker.URL(), "--interval", "200ms", "--for", "2s", "--drain",
		"--status-every", "500ms", "--json", "--prefix", "cli", "--dir", filepath.Join(r.Dir, "fleet")}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	var drained, acked, backlog uint64
	var statuses []fleet.Stats
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if rest, ok := strings.CutPrefix(line, "drained: "); ok {
			if _, err := fmt.Sscanf(rest, "%d readings committed, %d acknowledged, backlog %d", &drained, &acked, &backlog); err != nil {
				t.Fatalf("drained line %q: %v", line, err)
			}
			continue
		}
		var s fleet.Stats
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("status line %q: %v", line, err)
		}
		statuses = append(statuses, s)
	}
	if drained == 0 || acked != drained || backlog != 0 {
		t.Errorf("drained %d, acknowledged %d, backlog %d: want all acknowledged", drained, acked, backlog)
	}
	if len(statuses) < 3 {
		t.Fatalf("%d status lines, want a few and a last one", len(statuses))
	}
	if last := statuses[len(statuses)-1]; last.Devices != 4 || last.Up != 0 || last.Readings != drained || last.Backlog != 0 {
		t.Errorf("last status %+v: want 4 devices, none up, %d readings, no backlog", last, drained)
	}

	// The same devices, named by the same prefix and directory, as the
	// collector stored them.
	r.Collector.Stop()
	f, err := fleet.New(fleet.Opts{Devices: 4, Broker: r.Broker.URL(), Prefix: "cli", Dir: filepath.Join(r.Dir, "fleet")})
	if err != nil {
		t.Fatal(err)
	}
	var stored uint64
	for _, d := range fleettest.Verify(t, r.Collector.Store, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), f) {
		stored += d.Committed
	}
	if stored != drained {
		t.Errorf("the collector stored %d readings, the command said %d", stored, drained)
	}
}

func TestFleetCommandFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"fleet", "--broker", "tcp://127.0.0.1:1"}, "--devices and --broker are required"},
		{[]string{"fleet", "--devices", "3"}, "--devices and --broker are required"},
		{[]string{"fleet", "--devices", "3", "--broker", "tcp://127.0.0.1:1", "--drain"}, "--drain needs --for"},
		{[]string{"fleet", "--devices", "3", "--broker", "tcp://127.0.0.1:1", "--log-level", "loud"}, "--log-level"},
	} {
		var stdout, stderr strings.Builder
		if code := run(tc.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
	var stdout, stderr strings.Builder
	args := []string{"fleet", "--devices", "3", "--broker", "tcp://127.0.0.1:1", "--sensor", "nope"}
	if code := run(args, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), `unknown sensor "nope"`) {
		t.Errorf("unknown sensor: exit %d, stderr %q", code, stderr.String())
	}
}
