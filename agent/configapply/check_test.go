package configapply

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/simulator/board"
)

// Every check before a trial answers with a reason an engineer
// understands, and leaves the running config alone.
func TestChecksBeforeATrial(t *testing.T) {
	k, other := newKeys(t), newKeys(t)
	dir := t.TempDir()
	const broker = "tcp://127.0.0.1:1"
	running := levelConfig("gauge-1", broker, "1s", 0x48)
	path := writeConfig(t, dir, k.sign(t, running))
	m, err := New(Opts{Path: path, Trust: k.trust, Env: board.New()})
	if err != nil {
		t.Fatal(err)
	}
	next := levelConfig("gauge-1", broker, "2s", 0x48)
	signed := k.sign(t, next)
	tampered := bytes.Replace(signed, []byte("interval: 2s"), []byte("interval: 9s"), 1)
	invalid := strings.Replace(next, "interval: 2s", "interval: 2 seconds", 1)
	outbox := strings.Replace(next, "path: outbox.db", "path: /var/lib/xiuhua/other.db", 1)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"unsigned", []byte(next), `config is not signed (no "# xiuhua-signature: " line)`},
		{"tampered", tampered, "signature does not match the config: tampered or corrupted (key " + k.id + ")"},
		{"unknown key", other.sign(t, next), "config is signed by a key this device does not trust (key " + other.id + ")"},
		{"too big", append(signed, make([]byte, MaxConfigBytes)...), fmt.Sprintf("config is %d bytes; a device takes at most %d", len(signed)+MaxConfigBytes, MaxConfigBytes)},
		{"invalid", k.sign(t, invalid), "config is not valid:\n" +
			`sensors[0].interval (line 3): want a duration such as 5s, 15m or 1h30m, got "2 seconds"`},
		{"another device", k.sign(t, strings.Replace(next, "gauge-1", "gauge-2", 1)), `config is for device "gauge-2"; this device is "gauge-1"`},
		{"another outbox", k.sign(t, outbox), "outbox.path /var/lib/xiuhua/other.db is not the running " + filepath.Join(dir, "outbox.db") +
			": the readings waiting there would be orphaned"},
		{"unknown driver", k.sign(t, strings.Replace(next, "driver: ads1115level", "driver: ads1116level", 1)),
			`sensors[0] (level): sampler level: sensor: unknown driver "ads1116level" (known: [ads1115level ultrasonic])`},
	} {
		cfg, a, reason := m.check(tc.data, m.cfg)
		if reason != tc.want || cfg != nil || a != nil {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, reason, tc.want)
		}
	}
	cfg, a, reason := m.check(signed, m.cfg)
	if reason != "" || a == nil || cfg.Hash() != configs.Hash([]byte(next)) || cfg.Sensors[0].Interval.D().String() != "2s" {
		t.Fatalf("a good config: %q; want it ready to try", reason)
	}
}

// Problems beyond the first few are counted, not listed.
func TestProblemsListsTheFirstFew(t *testing.T) {
	body := "device: {id: gauge-1}\nsensors:\n"
	for i := range 7 {
		body += fmt.Sprintf("  - {name: s%d, driver: pms5003, serial: {port: /dev/ttyS%d, baud: 1234}}\n", i, i)
	}
	body += "outbox: {path: outbox.db}\nuplink: {broker: \"tcp://127.0.0.1:1\"}\n"
	_, err := configs.ParseAgent("/etc/xiuhua/agent.yaml.next", []byte(body))
	if err == nil {
		t.Fatal("parsed")
	}
	got := problems(err)
	lines := strings.Split(got, "\n")
	if len(lines) != 1+maxProblems+1 || lines[0] != "config is not valid:" || lines[len(lines)-1] != "(and 2 more)" ||
		strings.Contains(got, "agent.yaml") {
		t.Errorf("problems:\n%s", got)
	}
}
