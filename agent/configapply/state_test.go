package configapply

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "agent.yaml")
	for _, body := range []string{"first\n", "second, longer\n", ""} {
		if err := writeFile(p, []byte(body)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != body {
			t.Fatalf("file holds %q, %v; want %q", got, err, body)
		}
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600 (a config may hold broker credentials)", fi.Mode(), err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only agent.yaml: the temporary files must go", len(ents))
	}
	if err := writeFile(filepath.Join(dir, "no", "such", "dir"), []byte("x")); err == nil ||
		!strings.HasPrefix(err.Error(), "configapply: write ") {
		t.Errorf("write into a missing directory: %v", err)
	}
}

func TestStateRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "agent.yaml.state")
	s, err := readState(p)
	if err != nil || s.Trying != nil || len(s.RolledBack) != 0 {
		t.Fatalf("missing state file = %+v, %v; want the empty state", s, err)
	}
	since := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	s.Trying = &trial{Hash: "b", Since: since}
	s.addRolledBack(outcome{Hash: "a", Reason: "sensor x", Time: since})
	if err := writeState(p, s); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(p)
	const want = `{
  "trying": {
    "hash": "b",
    "since": "2026-03-01T08:00:00Z"
  },
  "rolled_back": [
    {
      "hash": "a",
      "reason": "sensor x",
      "time": "2026-03-01T08:00:00Z"
    }
  ]
}
`
	if string(raw) != want {
		t.Errorf("state file:\n%s\nwant:\n%s", raw, want)
	}
	got, err := readState(p)
	if err != nil || !reflect.DeepEqual(got, s) {
		t.Errorf("read back %+v, %v; want %+v", got, err, s)
	}
	os.WriteFile(p, []byte("{"), 0o600)
	if _, err := readState(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("a broken state file: %v; want an error naming it", err)
	}
}

func TestRolledBackIsBounded(t *testing.T) {
	var s state
	for i := range maxRolledBack + 3 {
		s.addRolledBack(outcome{Hash: string(rune('a' + i)), Reason: "r"})
	}
	s.addRolledBack(outcome{Hash: "s", Reason: "again"}) // "s" is already there
	if len(s.RolledBack) != maxRolledBack || s.RolledBack[0].Hash != "d" || s.RolledBack[maxRolledBack-1].Hash != "s" {
		t.Fatalf("rolled back %d, first %q, last %q; want the newest %d, d to s", len(s.RolledBack),
			s.RolledBack[0].Hash, s.RolledBack[len(s.RolledBack)-1].Hash, maxRolledBack)
	}
	if o, ok := s.rolledBack("s"); !ok || o.Reason != "r" {
		t.Errorf("rolledBack(s) = %+v, %v; want the first outcome kept", o, ok)
	}
	if _, ok := s.rolledBack("a"); ok {
		t.Error("the oldest outcome is still there")
	}
}

// Answers waiting for a connection are bounded; the newest are kept.
func TestAnswersAreBounded(t *testing.T) {
	var m Manager
	for i := range maxAnswers + 4 {
		m.queue("rejected", string(rune('a'+i)), "r", "x")
	}
	if len(m.answers) != maxAnswers || m.answers[0].Hash != "e" || m.answers[maxAnswers-1].Hash != "t" {
		t.Errorf("%d answers, %q to %q; want the newest %d, e to t", len(m.answers), m.answers[0].Hash, m.answers[len(m.answers)-1].Hash, maxAnswers)
	}
}
