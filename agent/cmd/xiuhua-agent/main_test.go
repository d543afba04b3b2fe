package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func buildAgent(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "xiuhua-agent")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func TestBadConfigNamesFileKeyAndProblem(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "agent.yaml")
	os.WriteFile(cfg, []byte(`device: {id: site-1}
sensors:
  - name: dust
    driver: pms5003
    serial: {baud: 9600}
    intervall: 5s
outbox: {path: outbox.db}
uplink: {broker: "ftp://example"}
`), 0o600)
	var stderr strings.Builder
	code := dispatch([]string{"--config", cfg}, nil, io.Discard, &stderr)
	if code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
	for _, want := range []string{
		cfg + ": sensors[0].intervall (line 6)",
		cfg + ": sensors[0].serial.port (line 5): required",
		cfg + ": uplink.broker (line 8)",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}

	stderr.Reset()
	missing := filepath.Join(dir, "nope.yaml")
	if code := dispatch([]string{"--config", missing}, nil, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), missing) {
		t.Errorf("missing config: exit %d, stderr %q; want 2 naming %s", code, stderr.String(), missing)
	}
}

// An absent serial port is retried with backoff while the agent keeps
// running; SIGTERM still stops it cleanly.
func TestAbsentSerialPortIsRetriedWhileRunning(t *testing.T) {
	bin := buildAgent(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "agent.yaml")
	os.WriteFile(cfg, []byte(`device: {id: site-1}
sensors:
  - name: dust
    driver: pms5003
    serial: {port: `+filepath.Join(dir, "ttyNOPE")+`}
    interval: 1s
outbox: {path: outbox.db}
uplink: {broker: "tcp://127.0.0.1:1"}
`), 0o600)
	cmd := exec.Command(bin, "--config", cfg)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("agent exited (%v) instead of retrying:\n%s", err, stderr.String())
	case <-time.After(4 * time.Second):
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("agent exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("agent did not stop within 10 s of SIGTERM")
	}
	log := stderr.String()
	if n := strings.Count(log, "sensor not answering; retrying"); n < 2 {
		t.Errorf("saw %d open retries in 4 s, want ≥ 2:\n%s", n, log)
	}
	if !strings.Contains(log, "ttyNOPE") {
		t.Errorf("retry log does not name the port:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(dir, "outbox.db")); err != nil {
		t.Errorf("outbox not created next to the config: %v", err)
	}
}
