package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/agent/configapply"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

// The agent runs as a real process with a trust file. At boot it refuses
// an unsigned and a tampered config. Killed while a flashed config is on
// trial (a power cut), it boots from the committed config, answers the
// trial "rolled_back" and does not try it again.
func TestDyingDuringATrialRollsBackAtBoot(t *testing.T) {
	dir := t.TempDir()
	r := &runner{t: t}
	b := startBroker(t)
	port, _ := startSite(t, r, 30)
	s := newSigner(t)
	trust := write(t, filepath.Join(dir, "trust.pem"), string(s.pem))
	cfgPath := filepath.Join(dir, "agent.yaml")
	const id = "flash-crash"
	body := fmt.Sprintf(`device: {id: %s}
sensors:
  - {name: dust, driver: pms5003, serial: {port: %q}, interval: 200ms, timeout: 200ms}
outbox: {path: outbox.db}
uplink: {broker: %q, ack_timeout: 2s, heartbeat: 1s}
clock: {require_sync: false}
`, id, port, b.URL())
	agent := func() *proc {
		return startProc(t, "agent", binary(t, "xiuhua-agent"), "--config", cfgPath, "--trust", trust, "--apply-deadline", "1m")
	}

	a := s.sign(t, body)
	for _, tc := range []struct {
		name, data, want string
	}{
		{"unsigned", body, `config is not signed (no "# xiuhua-signature: " line)`},
		{"tampered", strings.Replace(string(a), "200ms", "100ms", 1), "signature does not match the config: tampered or corrupted"},
	} {
		write(t, cfgPath, tc.data)
		p := agent()
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			t.Fatalf("%s: the agent did not exit within 15 s:\n%s", tc.name, p.output())
		}
		if code := p.cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(p.output(), "refusing "+cfgPath+": configs: "+tc.want) {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant exit 2 naming the file and %q", tc.name, code, p.output(), tc.want)
		}
	}

	write(t, cfgPath, string(a))
	eng := newEngineer(t, b.URL(), id)
	bad := s.sign(t, strings.Replace(body, "outbox:", fmt.Sprintf("  - {name: level, driver: ultrasonic, serial: {port: %s}}\noutbox:", filepath.Join(dir, "ttyNOPE")), 1))
	first := agent()
	since := time.Now()
	eng.flash(bad)
	eng.answer(since, telemetry.ConfigStatus{Hash: configs.Hash(bad), Result: telemetry.ConfigApplying, Running: configs.Hash(a)})
	first.kill() // within the minute the health check may take

	since = time.Now()
	second := agent()
	// Twice: the trial found on record at boot, then the retained config
	// the broker hands over again, answered without being tried.
	for range 2 {
		eng.answer(since, telemetry.ConfigStatus{Hash: configs.Hash(bad), Result: telemetry.ConfigRolledBack,
			Reason: configapply.ReasonRestarted, Running: configs.Hash(a)})
	}
	if got, _ := os.ReadFile(cfgPath); !bytes.Equal(got, a) {
		t.Errorf("slot A changed:\n%s", got)
	}
	if _, err := os.Stat(cfgPath + configapply.SuffixNext); !os.IsNotExist(err) {
		t.Errorf("slot B is left: %v", err)
	}
	second.stop(t)
	if log := second.output(); strings.Contains(log, "trying a config") || !strings.Contains(log, "the agent stopped during a trial; rolled back") {
		t.Errorf("after the restart the agent tried the config again, or did not say it rolled back:\n%s", log)
	}
}
