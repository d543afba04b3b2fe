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
  - {name: fast, driver: custom-probe, interval: 1s}
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
			{Name: "fast", Driver: "custom-probe", Interval: Duration(time.Second), Timeout: Duration(time.Second)},
			{Name: "given", Driver: "sds011", Serial: Serial{"/dev/ttyUSB0", 115200}, Interval: Duration(time.Minute), Timeout: Duration(10 * time.Second), Params: map[string]string{"mode": "active"}},
		},
		Outbox: Outbox{Path: filepath.Join(dir, "site", "data", "outbox.db"), BudgetMB: 64},
		Uplink: Uplink{Broker: "tcp://127.0.0.1:1883", ClientID: "xiuhua-agent-site-xh-001", BatchMax: 500, AckTimeout: Duration(15 * time.Second), MaxInFlight: 4, Heartbeat: Duration(time.Minute)},
		Clock:  Clock{SyncWait: Duration(10 * time.Minute)},
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
common: &slow {driver: custom-probe, interval: 1m, timeout: 30s}
sensors:
  - {<<: *slow, name: a}
outbox: {path: /o.db}
uplink: {broker: "tcp://h:1883"}
`})
	_, err := LoadAgent(filepath.Join(dir, "a.yaml"))
	// "common" is not a key of the schema; the merge itself must work.
	if got := problems(t, err, dir); !slices.Equal(got, []string{"a.yaml: common (line 2): unknown key; known keys here: device, sensors, outbox, uplink, clock, edge"}) {
		t.Fatalf("problems: %v", got)
	}

	dir = write(t, map[string]string{"a.yaml": `device: {id: d}
sensors:
  - &slow {name: a, driver: custom-probe, interval: 1m, timeout: 30s}
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
		Outbox:  Outbox{Path: "/o.db", BudgetMB: 1},
		Uplink:  Uplink{Broker: "ssl://broker:8883", BatchMax: 1, AckTimeout: Duration(time.Second), MaxInFlight: 1, Heartbeat: Duration(time.Second)},
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

func TestBusChecks(t *testing.T) {
	dir := write(t, map[string]string{"a.yaml": `device: {id: lift-1}
sensors:
  - {name: level, driver: ads1115level, i2c: {bus: "1", address: 0x99}}
  - {name: accel, driver: adxl345, i2c: {address: 0x53}}
  - {name: door, driver: door}
  - {name: bike, driver: ebike, pins: {input: GPIO17, horn: GPIO5}}
  - {name: baro, driver: bmp280, i2c: {bus: "1", address: 0x77}}
  - {name: odd, driver: custom-probe, i2c: {bus: "1", address: 0x78}}
outbox: {path: o.db}
uplink: {broker: "tcp://127.0.0.1:1883"}
`})
	_, err := LoadAgent(filepath.Join(dir, "a.yaml"))
	want := []string{
		`a.yaml: sensors[0].i2c.address (line 3): 0x99 is not an ADS1115 address (0x48–0x4b)`,
		`a.yaml: sensors[1].i2c.bus (line 4): required`,
		`a.yaml: sensors[2].pins.input (line 5): required: the GPIO the door input is wired to, e.g. GPIO17`,
		`a.yaml: sensors[3].pins.horn (line 6): ebike has no pin "horn" (it has input, relay)`,
		`a.yaml: sensors[5].i2c.address (line 8): 0x78 is outside the 7-bit address range 0x03–0x77`,
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *Error", err)
	}
	var got []string
	for _, p := range ce.Problems {
		got = append(got, strings.TrimPrefix(p.String(), filepath.Join(dir)+"/"))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
