package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/agent/configapply"
	"github.com/xiuhua/xiuhua/configs"
	_ "github.com/xiuhua/xiuhua/drivers/ultrasonic"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/telemetry"
)

// A dust site is flashed twice while it runs: a config that passes
// (a faster interval) and one that names a sensor that does not answer,
// which is rolled back. The collector's device list shows each config
// the device runs, and in the end it holds every reading the device ever
// committed, exactly once.
func TestFlashesLoseNothing(t *testing.T) {
	dir := t.TempDir()
	r := &runner{t: t}
	b := startBroker(t)
	col := startCollector(t, dir, b.URL(), "flash-collector")
	api := "http://" + col.HTTPAddr()
	port, unplug := startSite(t, r, 25)
	const id = "flash-1"
	s := newSigner(t)
	eng := newEngineer(t, b.URL(), id)

	cfg := func(interval, extra string) []byte {
		return s.sign(t, fmt.Sprintf(`device: {id: %s}
sensors:
  - {name: dust, driver: pms5003, serial: {port: %q}, interval: %s, timeout: %s}
%soutbox: {path: outbox.db}
uplink: {broker: %q, ack_timeout: 2s, batch_max: 50, heartbeat: 1s}
clock: {require_sync: false}
`, id, port, interval, interval, extra, b.URL()))
	}
	a := cfg("200ms", "")
	m, err := configapply.New(configapply.Opts{Path: write(t, filepath.Join(dir, "agent.yaml"), string(a)), Trust: s.trust,
		Deadline: 3 * time.Second, Env: board.New()})
	if err != nil {
		t.Fatal(err)
	}
	r.start("agent", m.Run)
	shows := func(what string, hash string) {
		t.Helper()
		waitFor(t, "the device list shows "+what, 20*time.Second, func() (bool, string) {
			dh, hh := apiConfigHashes(t, api, id)
			return dh == hash && hh == hash, fmt.Sprintf("config_hash %q, heartbeat's %q; want %q", dh, hh, hash)
		})
	}
	shows("slot A", configs.Hash(a))

	// A faster interval: applied.
	b1 := cfg("100ms", "")
	since := time.Now()
	eng.flash(b1)
	eng.answer(since, telemetry.ConfigStatus{Hash: configs.Hash(b1), Result: telemetry.ConfigApplying, Running: configs.Hash(a)})
	eng.answer(since, telemetry.ConfigStatus{Hash: configs.Hash(b1), Result: telemetry.ConfigApplied, Running: configs.Hash(b1)})
	shows("the applied config", configs.Hash(b1))

	// A water-level sensor on a port that is not there: rolled back.
	nope := filepath.Join(dir, "ttyNOPE")
	b2 := cfg("100ms", fmt.Sprintf("  - {name: level, driver: ultrasonic, serial: {port: %s}, interval: 1s}\n", nope))
	since = time.Now()
	eng.flash(b2)
	eng.answer(since, telemetry.ConfigStatus{Hash: configs.Hash(b2), Result: telemetry.ConfigApplying, Running: configs.Hash(b1)})
	eng.answer(since, telemetry.ConfigStatus{Hash: configs.Hash(b2), Result: telemetry.ConfigRolledBack, Running: configs.Hash(b1),
		Reason: fmt.Sprintf(`sensor "level" (ultrasonic on %s) gave no reading within 3s: ultrasonic: open %s: tty: open %s: no such file or directory`, nope, nope, nope)})
	if m.Running() != configs.Hash(b1) {
		t.Errorf("running %s after the rollback, want %s", m.Running(), configs.Hash(b1))
	}
	shows("the config rolled back to", configs.Hash(b1))
	d, _ := apiDevice(t, api, id)
	waitFor(t, "readings keep arriving after the rollback", 20*time.Second, func() (bool, string) {
		now, _ := apiDevice(t, api, id)
		return now.SeqHigh >= d.SeqHigh+30, fmt.Sprintf("seq_high %d, was %d", now.SeqHigh, d.SeqHigh)
	})

	// The sensor is unplugged so that the record stops growing; then
	// everything committed must be at the collector, once.
	unplug()
	var committed uint64
	waitFor(t, "outbox drained", 30*time.Second, func() (bool, string) {
		st, err := m.Status()
		if err != nil {
			return false, err.Error()
		}
		committed = st.Outbox.NextSeq - 1
		return st.Outbox.Depth == 0 && committed > 0, fmt.Sprintf("%+v", st.Outbox)
	})
	var dev struct{ SeqHigh, Received uint64 }
	waitFor(t, "the collector holds every committed reading", 10*time.Second, func() (bool, string) {
		d, _ := apiDevice(t, api, id)
		dev.SeqHigh, dev.Received = d.SeqHigh, d.Received
		return d.SeqHigh == committed && d.Received == committed && len(d.Missing) == 0, fmt.Sprintf("%+v, committed %d", d, committed)
	})
	recs := readingsAll(t, api, id)
	seen := make(map[uint64]bool, len(recs))
	for _, rec := range recs {
		if seen[rec.Seq] || rec.Seq < 1 || rec.Seq > committed {
			t.Fatalf("seq %d listed twice or out of 1..%d", rec.Seq, committed)
		}
		seen[rec.Seq] = true
	}
	if uint64(len(seen)) != committed {
		t.Fatalf("the collector lists %d readings, want every one of the %d committed", len(seen), committed)
	}
	t.Logf("%d readings across an apply and a rollback, all stored once", committed)
}
