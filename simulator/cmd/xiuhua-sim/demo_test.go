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

// TestDemoAlertsWithinAMinuteAndStopsCleanly runs `xiuhua-sim demo` as a
// real process, as `make demo` does, and checks the promise: a
// PM2.5 alert in the API and at the office sink within 60 s, and a clean
// stop on Ctrl-C (SIGINT) that leaves no process and no data behind.
func TestDemoAlertsWithinAMinuteAndStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo for up to a minute")
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

	var alerts struct {
		Alerts []struct {
			ID, Device, Quantity, State, Office string
		}
	}
	var sunk []struct {
		IdempotencyKey string `json:"idempotency_key"`
	}
	for {
		getJSON(t, api, &alerts)
		getJSON(t, webhook, &sunk)
		if len(alerts.Alerts) > 0 && len(sunk) > 0 {
			break
		}
		if time.Since(start) > 60*time.Second {
			t.Fatalf("no alert within 60 s: api %+v, sink %+v\nstderr:\n%s", alerts, sunk, stderr.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	a := alerts.Alerts[0]
	if a.Device != "site-xh-003" || a.Quantity != "pm2_5" || a.State != "open" || a.Office != "city-operations-centre" {
		t.Errorf("alert = %+v, want an open pm2_5 alert for site-xh-003 routed to city-operations-centre", a)
	}
	if want := a.ID + ":alert.opened:0:city-operations-centre"; sunk[0].IdempotencyKey != want {
		t.Errorf("sink got idempotency key %q, want %q", sunk[0].IdempotencyKey, want)
	}
	t.Logf("alert after %v", time.Since(start).Round(time.Millisecond))

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
