package configs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadAgentDefaults(t *testing.T) {
	dir := write(t, map[string]string{"site/a.yaml": `device: {id: site-xh-001}
sensors:
  - {name: dust, driver: pms5003, serial: {port: /dev/ttyAMA0}}
  - {name: fast, driver: bmp280, interval: 1s}
  - {name: given, driver: sds011, serial: {port: /dev/ttyUSB0, baud: 115200}, interval: 1m, timeout: 10s, params: {mode: active}}
outbox: {path: data/outbox.db}
uplink: {broker: "tcp://127.0.0.1:1883", client_id: ""}
`})
	path := filepath.Join(dir, "site", "a.yaml")
	a, err := LoadAgent(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &Agent{
		Device: Device{ID: "site-xh-001"},
		Sensors: []Sensor{
			{Name: "dust", Driver: "pms5003", Serial: Serial{"/dev/ttyAMA0", 9600}, Interval: Duration(5 * time.Second), Timeout: Duration(3 * time.Second)},
			{Name: "fast", Driver: "bmp280", Interval: Duration(time.Second), Timeout: Duration(time.Second)},
			{Name: "given", Driver: "sds011", Serial: Serial{"/dev/ttyUSB0", 115200}, Interval: Duration(time.Minute), Timeout: Duration(10 * time.Second), Params: map[string]string{"mode": "active"}},
		},
		Outbox: Outbox{Path: filepath.Join(dir, "site", "data", "outbox.db")},
		Uplink: Uplink{Broker: "tcp://127.0.0.1:1883", ClientID: "xiuhua-agent-site-xh-001", BatchMax: 500, AckTimeout: Duration(15 * time.Second), MaxInFlight: 4},
	}
	data, _ := os.ReadFile(path)
	sum := sha256.Sum256(data)
	want.hash = hex.EncodeToString(sum[:])
	if !reflect.DeepEqual(a, want) {
		t.Errorf("got  %+v\nwant %+v", a, want)
	}
	if a.Hash() != want.hash {
		t.Errorf("Hash() = %s, want %s", a.Hash(), want.hash)
	}
}

// TestMergeKeysCountAsGiven checks that a value brought in by a YAML merge
// key is not overwritten by the default.
func TestMergeKeysCountAsGiven(t *testing.T) {
	dir := write(t, map[string]string{"a.yaml": `device: {id: d}
common: &slow {driver: bmp280, interval: 1m, timeout: 30s}
sensors:
  - {<<: *slow, name: a}
outbox: {path: /o.db}
uplink: {broker: "tcp://h:1883"}
`})
	_, err := LoadAgent(filepath.Join(dir, "a.yaml"))
	// "common" is not a key of the schema; the merge itself must work.
	if got := problems(t, err, dir); !slices.Equal(got, []string{"a.yaml: common (line 2): unknown key; known keys here: device, sensors, outbox, uplink"}) {
		t.Fatalf("problems: %v", got)
	}

	dir = write(t, map[string]string{"a.yaml": `device: {id: d}
sensors:
  - &slow {name: a, driver: bmp280, interval: 1m, timeout: 30s}
  - {<<: *slow, name: b}
outbox: {path: /o.db}
uplink: {broker: "tcp://h:1883"}
`})
	a, err := LoadAgent(filepath.Join(dir, "a.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if s := a.Sensors[1]; s.Interval != Duration(time.Minute) || s.Timeout != Duration(30*time.Second) {
		t.Errorf("merged sensor got interval %v timeout %v, want 1m and 30s", s.Interval, s.Timeout)
	}
}

// TestDroppedListItem checks that a list item the decoder had to drop does
// not shift the checks of the items after it onto the wrong index.
func TestDroppedListItem(t *testing.T) {
	dir := write(t, map[string]string{"a.yaml": `device: {id: d}
sensors:
  - just-a-name
  - {name: b, driver: ""}
outbox: {path: /o.db}
uplink: {broker: "tcp://h:1883"}
`})
	_, err := LoadAgent(filepath.Join(dir, "a.yaml"))
	want := []string{`a.yaml: sensors[0] (line 3): want a mapping of keys to values, got "just-a-name"`}
	if got := problems(t, err, dir); !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAgentValidate(t *testing.T) {
	a := &Agent{
		Device:  Device{ID: "d"},
		Sensors: []Sensor{{Name: "dust", Driver: "pms5003", Interval: Duration(time.Second), Timeout: Duration(time.Second)}},
		Outbox:  Outbox{Path: "/o.db"},
		Uplink:  Uplink{Broker: "ssl://broker:8883", BatchMax: 1, AckTimeout: Duration(time.Second), MaxInFlight: 1},
	}
	err := a.Validate()
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) != 1 || e.Problems[0].String() != "sensors[0].serial.port: required" {
		t.Fatalf("Validate() = %v, want only sensors[0].serial.port: required", err)
	}
	a.Sensors[0].Serial = Serial{Port: "/dev/ttyS0", Baud: 9600}
	if err := a.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
	if a.Hash() != "" {
		t.Errorf("Hash() of an agent built in code = %q, want empty", a.Hash())
	}
}
