package configapply

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/telemetry"
)

// With a trust file, the agent does not boot from a config that is not
// signed by a trusted key: it says why.
func TestBootRefusesUnsignedOrTampered(t *testing.T) {
	k, other := newKeys(t), newKeys(t)
	body := levelConfig("gauge-1", "tcp://127.0.0.1:1", "1s", 0x48)
	signed := k.sign(t, body)
	for _, tc := range []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"unsigned", []byte(body), configs.ErrUnsigned, `config is not signed (no "# xiuhua-signature: " line)`},
		{"tampered", bytes.Replace(signed, []byte("0x48"), []byte("0x49"), 1), configs.ErrBadSignature,
			"signature does not match the config: tampered or corrupted (key " + k.id + ")"},
		{"unknown key", other.sign(t, body), configs.ErrUnknownKey, "config is signed by a key this device does not trust (key " + other.id + ")"},
	} {
		path := writeConfig(t, t.TempDir(), tc.data)
		_, err := New(Opts{Path: path, Trust: k.trust, Env: board.New()})
		if !errors.Is(err, tc.want) || err.Error() != "configapply: refusing "+path+": configs: "+tc.msg {
			t.Errorf("%s: New = %v; want %v", tc.name, err, tc.msg)
		}
	}
	if _, err := New(Opts{Path: writeConfig(t, t.TempDir(), signed), Trust: k.trust, Env: board.New()}); err != nil {
		t.Errorf("signed: %v", err)
	}
	if _, err := New(Opts{Path: writeConfig(t, t.TempDir(), []byte(body)), Env: board.New()}); err != nil {
		t.Errorf("unsigned without a trust file: %v", err)
	}
}

// The agent died while slot B was on trial: it boots from slot A, records
// the rollback and queues the answer for when its uplink connects.
func TestBootAfterDyingDuringATrial(t *testing.T) {
	k := newKeys(t)
	dir := t.TempDir()
	a := k.sign(t, levelConfig("gauge-1", "tcp://127.0.0.1:1", "1s", 0x48))
	b := k.sign(t, levelConfig("gauge-1", "tcp://127.0.0.1:1", "1s", 0x48, 0x49))
	path := writeConfig(t, dir, a)
	os.WriteFile(path+SuffixNext, b, 0o600)
	since := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	if err := writeState(path+SuffixState, state{Trying: &trial{Hash: configs.Hash(b), Since: since}}); err != nil {
		t.Fatal(err)
	}
	m, err := New(Opts{Path: path, Trust: k.trust, Env: board.New()})
	if err != nil {
		t.Fatal(err)
	}
	if m.Running() != configs.Hash(a) {
		t.Errorf("running %s, want slot A's %s", m.Running(), configs.Hash(a))
	}
	checkAnswers(t, m.answers, telemetry.ConfigStatus{Hash: configs.Hash(b), Result: telemetry.ConfigRolledBack,
		Reason: "agent restarted during the health check", Running: configs.Hash(a)})
	st, err := readState(path + SuffixState)
	if err != nil || st.Trying != nil || len(st.RolledBack) != 1 || st.RolledBack[0].Hash != configs.Hash(b) ||
		st.RolledBack[0].Reason != ReasonRestarted {
		t.Errorf("state after boot = %+v, %v; want the trial rolled back", st, err)
	}
	if _, err := os.Stat(path + SuffixNext); !os.IsNotExist(err) {
		t.Errorf("slot B still there: %v", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, a) {
		t.Error("slot A changed")
	}
}

// The agent died between the commit's rename and clearing the trial: slot
// A already holds the config on trial, which passed.
func TestBootAfterDyingDuringTheCommit(t *testing.T) {
	k := newKeys(t)
	dir := t.TempDir()
	b := k.sign(t, levelConfig("gauge-1", "tcp://127.0.0.1:1", "2s", 0x48))
	path := writeConfig(t, dir, b)
	writeState(path+SuffixState, state{Trying: &trial{Hash: configs.Hash(b), Since: time.Now()}})
	m, err := New(Opts{Path: path, Trust: k.trust, Env: board.New()})
	if err != nil {
		t.Fatal(err)
	}
	checkAnswers(t, m.answers, telemetry.ConfigStatus{Hash: configs.Hash(b), Result: telemetry.ConfigApplied, Running: configs.Hash(b)})
	if st, _ := readState(path + SuffixState); st.Trying != nil || len(st.RolledBack) != 0 {
		t.Errorf("state after boot = %+v; want it clear", st)
	}
}

// A slot B without a trial on record was being written when the agent
// stopped; it is removed, and nothing is answered.
func TestBootRemovesAStraySlotB(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, []byte(levelConfig("gauge-1", "tcp://127.0.0.1:1", "1s", 0x48)))
	os.WriteFile(path+SuffixNext, []byte("device: {id: gau"), 0o600)
	m, err := New(Opts{Path: path, Env: board.New()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + SuffixNext); !os.IsNotExist(err) || len(m.answers) != 0 {
		t.Errorf("slot B: %v, answers %+v; want it gone and nothing to answer", err, m.answers)
	}
}

// checkAnswers compares answers, times aside (they are the clock's).
func checkAnswers(t *testing.T, got []telemetry.ConfigStatus, want ...telemetry.ConfigStatus) {
	t.Helper()
	for i := range got {
		if got[i].Time.IsZero() {
			t.Errorf("answer %d has no time", i)
		}
		got[i].Time = time.Time{}
	}
	if len(got) != len(want) {
		t.Fatalf("answers %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("answer %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
