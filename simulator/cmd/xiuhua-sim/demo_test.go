package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemoAlertsWithinTwoMinutesAndStopsCleanly runs `xiuhua-sim demo`
// as a real process, as `make demo` does, and checks the promise of all
// three families: within 2 minutes of the start, a dust alert at the
// city-operations centre, a water-level alert (the typhoon surge over the
// flood plan's warning level) at the river-chief office and a
// trapped-passenger alert at the elevator safety office, each in the API,
// at the offices' sink and printed by the demo; every alert routed to its
// family's office; then a clean stop on Ctrl-C (SIGINT) that leaves no
// process and no data behind.
func TestDemoAlertsWithinTwoMinutesAndStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo for up to two minutes")
	}
	bin := filepath.Join(t.TempDir(), "xiuhua-sim")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "demo", "--http", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})

	var api, webhook, dataDir string
	var out []string
	deadline := time.After(60 * time.Second)
	for api == "" || webhook == "" || dataDir == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("demo ended early:\n%s\n%s", strings.Join(out, "\n"), stderr.String())
			}
			out = append(out, l)
			f := strings.Fields(l)
			switch {
			case strings.HasPrefix(l, "  alerts:"):
				api = f[1]
			case strings.HasPrefix(l, "  webhook:"):
				webhook = f[1]
			case strings.HasPrefix(l, "  data:"):
				dataDir = f[1]
			}
		case <-deadline:
			t.Fatalf("demo printed no addresses in 60 s:\n%s\n%s", strings.Join(out, "\n"), stderr.String())
		}
	}

	type alert struct {
		ID, Rule, Device, Quantity, State, Office, Severity string
	}
	var alerts struct{ Alerts []alert }
	var sunk []struct {
		IdempotencyKey string `json:"idempotency_key"`
	}
	// The alert each family must raise, and the office it must reach.
	want := []struct {
		family, device, rule, quantity, office, printed string
	}{
		{"dust", "site-xh-003", "pm25-15min-high", "pm2_5", "city-operations-centre", "→ city-operations-centre: PM2.5 15-minute average above the site limit: site-xh-003/dust"},
		{"water", "river-gauge-1", "river-gauge-1-warning", "water_level", "river-chief-office", "→ river-chief-office: Water level above the warning level (river gauge 1): river-gauge-1/"},
		{"elevator", "lift-xh-0412", "trapped", "event_trapped", "elevator-safety-office", "→ elevator-safety-office: Passenger trapped in the car: lift-xh-0412/edge reported event_trapped"},
	}
	found := make([]*alert, len(want))
	arrived := func() bool {
		keys := map[string]bool{}
		for _, s := range sunk {
			keys[s.IdempotencyKey] = true
		}
		printed := strings.Join(out, "\n")
		all := true
		for i, w := range want {
			found[i] = nil
			for j, a := range alerts.Alerts {
				if a.Device == w.device && a.Rule == w.rule {
					found[i] = &alerts.Alerts[j]
				}
			}
			if found[i] == nil || !keys[found[i].ID+":alert.opened:0:"+found[i].Office] || !strings.Contains(printed, w.printed) {
				all = false
			}
		}
		return all
	}
	for {
		getJSON(t, api, &alerts)
		getJSON(t, webhook, &sunk)
		for more := true; more; {
			select {
			case l := <-lines:
				out = append(out, l)
			default:
				more = false
			}
		}
		if arrived() {
			break
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("not every family's alert within 2 minutes: found %+v\napi %+v\nsink %+v\noutput:\n%s\nstderr:\n%s",
				found, alerts, sunk, strings.Join(out, "\n"), stderr.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("all three families' alerts after %v", time.Since(start).Round(time.Millisecond))
	for i, w := range want {
		if a := found[i]; a.Quantity != w.quantity || a.Office != w.office || a.State != "open" {
			t.Errorf("%s alert %+v, want an open %s alert routed to %s", w.family, *a, w.quantity, w.office)
		}
	}
	if found[2].Severity != "critical" {
		t.Errorf("trapped passenger: severity %s, want critical", found[2].Severity)
	}
	// Every alert so far went to its family's office, and the sites whose
	// story is "no alert" raised none.
	for _, a := range alerts.Alerts {
		office := map[string]string{"site-xh-003": "city-operations-centre", "river-gauge-1": "river-chief-office",
			"lift-xh-0412": "elevator-safety-office"}[a.Device]
		if a.Office != office {
			t.Errorf("alert %+v: want it at %q", a, office)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for range lines {
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("demo exited with %v after SIGINT\nstderr:\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("demo did not stop within 20 s of SIGINT")
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("demo left its data directory %s behind (stat: %v)", dataDir, err)
	}
	if strings.Contains(stderr.String(), "level=ERROR") {
		t.Errorf("demo logged errors:\n%s", stderr.String())
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, b)
	}
}
