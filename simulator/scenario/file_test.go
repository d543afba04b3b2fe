package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/simulator/board"
)

// TestBuiltins loads every shipped scenario, and pins down what the demo
// relies on.
func TestBuiltins(t *testing.T) {
	want := []string{"huangpu-faults", "huangpu-typhoon", "site-xh-001", "site-xh-002", "site-xh-003", "site-xh-004", "tianlin-lift"}
	if got := Builtins(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Builtins() = %v, want %v", got, want)
	}
	for _, name := range want {
		s, err := Builtin(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.ID == "" || s.Story == "" || len(s.Sensors) == 0 {
			t.Errorf("%s: id %q, story %q, %d sensors", name, s.ID, s.Story, len(s.Sensors))
		}
		r, err := Mount(s, board.New(), nil)
		if err != nil {
			t.Fatalf("%s: mount: %v", name, err)
		}
		for i, sp := range r.Specs() {
			if sp.Name != s.Sensors[i].Name || sp.Driver != s.Sensors[i].Driver() || sp.Interval == 0 {
				t.Errorf("%s: spec %+v for sensor %+v", name, sp, s.Sensors[i])
			}
		}
		if err := r.Close(); err != nil {
			t.Errorf("%s: close: %v", name, err)
		}
	}
	if _, err := Builtin("nowhere"); err == nil || !strings.Contains(err.Error(), "have huangpu-faults, huangpu-typhoon") {
		t.Errorf("Builtin(nowhere) = %v", err)
	}

	ty, _ := Builtin("huangpu-typhoon")
	if ty.Compression != 60 || ty.River.Period != DefaultTidePeriod || *ty.River.Surge != (Episode{At: -30 * time.Minute, Ramp: 3 * time.Hour, Hold: time.Hour, Decay: 2 * time.Hour, Peak: 1.6}) {
		t.Errorf("huangpu-typhoon: compression %v, river %+v, surge %+v", ty.Compression, ty.River, ty.River.Surge)
	}
	// The story's numbers: the warning level (4.80 m) is crossed 38.7
	// scenario minutes in, the guaranteed level (5.50 m) at 106.3.
	for _, c := range []struct {
		at    time.Duration
		above bool
		level float64
	}{{38*time.Minute + 36*time.Second, false, 4.8}, {38*time.Minute + 42*time.Second, true, 4.8},
		{106*time.Minute + 12*time.Second, false, 5.5}, {106*time.Minute + 24*time.Second, true, 5.5}} {
		if got := ty.River.Level(c.at); (got > c.level) != c.above {
			t.Errorf("huangpu-typhoon at %v: %.4f m, above %v: %v", c.at, got, c.level, got > c.level)
		}
	}
	if normal := (River{Mean: 3.1, Amplitude: 1.2}); normal.Level(0) >= 4.8 {
		t.Errorf("a normal high water of %.2f m would cross the warning level without the surge", normal.Level(0))
	}

	lift, _ := Builtin("tianlin-lift")
	if err := lift.Elevator.Check(); err != nil || !reflect.DeepEqual(lift.Elevator.Trips, (&Elevator{Trips: []Trip{
		{At: 2 * time.Second, To: 5, Passengers: 2},
		{At: 30 * time.Second, To: 8, Passengers: 1, Halt: halt(19.6), Rescue: 5 * time.Minute},
	}}).Trips) || lift.Elevator.AirKelvin != 295.15 {
		t.Errorf("tianlin-lift: %v, %+v", err, lift.Elevator)
	}
}

// TestDustPort checks that the YAML dust sites are the demo's former Go
// ones, value for value.
func TestDustPort(t *testing.T) {
	start := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	goSites := map[string]Dust{
		"site-xh-001": {Background: 30, DailySwing: 8},
		"site-xh-002": {Background: 48, DailySwing: 10},
		"site-xh-003": {Background: 40, DailySwing: 5, Episodes: []Episode{
			{At: 5 * time.Second, Ramp: 20 * time.Second, Hold: 4 * time.Minute, Decay: 2 * time.Minute, Peak: 160}}},
		"site-xh-004": {Background: 62, DailySwing: 4},
	}
	for id, want := range goSites {
		s, err := Builtin(id)
		if err != nil {
			t.Fatal(err)
		}
		got := *s.Dust
		got.Start, want.Start = start, start
		for _, at := range []time.Duration{0, 15 * time.Second, 30 * time.Second, 10 * time.Minute, 7 * time.Hour} {
			g1, g25, g10 := got.PM(start.Add(at))
			w1, w25, w10 := want.PM(start.Add(at))
			if g1 != w1 || g25 != w25 || g10 != w10 {
				t.Errorf("%s at +%v: %v %v %v, want %v %v %v", id, at, g1, g25, g10, w1, w25, w10)
			}
		}
		if s.ID != id || s.Kind != KindDust || s.Sensors[0].Chip != ChipPMS5003 {
			t.Errorf("%s: %+v", id, s)
		}
	}
}

func TestProblems(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"empty", "", []string{"f.yaml: file is empty"}},
		{"syntax", "kind: river\n  id: x\n", []string{"f.yaml (line 2): syntax error: mapping values are not allowed in this context"}},
		{"unknown keys and types", `kind: river
id: gauge-1
compression: fast
river:
  mean_m: 3
  tide: big
  surge: {start: 1h, rise: 5, peak_m: 1}
sensors:
  - {name: sonar, chip: ultrasonic, mounting_height_m: 6, colour: blue}
`, []string{
			"f.yaml: compression (line 3): want a number, got \"fast\"",
			"f.yaml: river.tide (line 6): unknown key; known keys here: mean_m, amplitude_m, period, high_water, surge, rain",
			"f.yaml: river.surge.rise (line 7): want a duration such as 90s, 15m or 1h30m, got \"5\"",
			"f.yaml: sensors[0].colour (line 9): unknown key; known keys here: name, chip, interval, address, pin, mounting_height_m, slave, channel, shunt_ohms, low_m, high_m, bucket_mm",
		}},
		{"twice", "kind: dust\nid: a\nid: b\n", []string{"f.yaml: id (line 3): key is set twice (first at line 2)"}},
		{"kinds and sections", `kind: river
id: Gauge_1
dust: {background: 10}
sensors:
  - {name: dust, chip: pms5003}
`, []string{
			"f.yaml: river: is required for kind river",
			`f.yaml: id (line 2): "Gauge_1": use 1 to 64 of a-z, 0-9 and -`,
			"f.yaml: dust (line 3): is for kind dust; this scenario's kind is river",
			"f.yaml: sensors[0].chip (line 5): pms5003 faces dust scenarios, not river (want one of ads1115, modbusradar, raingauge, ultrasonic)",
		}},
		{"sensors", `kind: river
id: g
river: {mean_m: 3, rain: [{at: 1h, mm_per_h: 5}, {at: 30m, mm_per_h: -1}]}
sensors:
  - {name: sonar, chip: ultrasonic}
  - {name: sonar, chip: ads1115, address: 0x50, high_m: 10, pin: GPIO4}
  - {name: rain, chip: raingauge, pin: GPIO99x, bucket_mm: 0}
  - {name: radar, chip: modbusradar, mounting_height_m: 7, slave: 300, interval: 10ms}
  - {name: well, chip: ads1115, channel: 4, low_m: 2, high_m: 2}
  - {name: x, chip: tea}
`, []string{
			"f.yaml: river.rain[1].at (line 3): 30m is not after the previous point's 1h",
			"f.yaml: river.rain[1].mm_per_h (line 3): -1: want a rate of 0 mm/h or more",
			"f.yaml: sensors[0] (line 5): the ultrasonic chip needs mounting_height_m",
			`f.yaml: sensors[1].name (line 6): "sonar" is also sensors[0]'s name`,
			"f.yaml: sensors[1].pin (line 6): the ads1115 chip takes no pin",
			"f.yaml: sensors[1].address (line 6): 0x50: the ads1115 chip answers at 0x48 or 0x49 or 0x4a or 0x4b",
			`f.yaml: sensors[2].pin (line 7): "GPIO99x": want a pin name such as GPIO17`,
			"f.yaml: sensors[2].bucket_mm (line 7): 0: want more than 0 and at most 10 mm",
			"f.yaml: sensors[3].interval (line 8): 10ms: the agent samples at most every 100ms",
			"f.yaml: sensors[3].slave (line 8): 300: want a Modbus address, 1 to 247",
			"f.yaml: sensors[4].address (line 9): 0x48 is also sensors[1]'s address on the bus",
			"f.yaml: sensors[4].high_m (line 9): 2: want a level in m other than low_m",
			"f.yaml: sensors[4].channel (line 9): 4: want 0 to 3 (AIN0–AIN3)",
			`f.yaml: sensors[5].chip (line 10): "tea": want one of ads1115, modbusradar, raingauge, ultrasonic`,
		}},
		{"faults", `kind: river
id: g
river: {mean_m: 3}
sensors:
  - {name: sonar, chip: ultrasonic, mounting_height_m: 6}
  - {name: rain, chip: raingauge, pin: GPIO17}
faults:
  - {sensor: sonar, kind: loop_current, milliamps: 3.5}
  - {sensor: rain, kind: garbage, bytes: "zz"}
  - {sensor: well, kind: unplugged, at: -1s, milliamps: 2}
  - {sensor: sonar, kind: melt}
  - {sensor: sonar, kind: garbage, bytes: "ff 00"}
`, []string{
			"f.yaml: faults[0].kind (line 8): loop_current is for a 4–20 mA loop (ads1115); ultrasonic is not one",
			"f.yaml: faults[1].kind (line 9): garbage is for UART chips; raingauge is not one",
			`f.yaml: faults[1].bytes (line 9): "zz": want bytes in hex, e.g. "ff 12 34 00"`,
			`f.yaml: faults[2].sensor (line 10): "well" is not one of the scenario's sensors`,
			"f.yaml: faults[2].at (line 10): -1s must not be negative",
			"f.yaml: faults[2].milliamps (line 10): only a loop_current fault sets a current",
			`f.yaml: faults[3].kind (line 11): "melt": want garbage, stuck, loop_current or unplugged`,
		}},
		{"elevator", `kind: elevator
id: lift-1
compression: 10
elevator:
  temperature_c: 99
  trips:
    - {at: 1s, to: 5, passengers: 1, halt_m: 30}
    - {at: 2s, passengers: -1, rescue: 1m}
sensors:
  - {name: accel, chip: adxl345, address: 0x1d}
  - {name: baro, chip: bmp280, address: 0x1d}
  - {name: door, chip: door, pin: GPIO22}
  - {name: pir, chip: pir, pin: GPIO22}
`, []string{
			"f.yaml: compression (line 3): 10: an elevator runs in real time (compressed k times, its accelerometer would feel k² the acceleration)",
			"f.yaml: elevator.temperature_c (line 5): 99 °C is not a shaft's air temperature (−60 to 85)",
			"f.yaml: elevator.trips[0] (line 7): trip 0 halts at 30 m, not on its way from 0 m to floor 5 (12 m)",
			"f.yaml: elevator.trips[1].passengers (line 8): -1 must not be negative",
			"f.yaml: elevator.trips[1].rescue (line 8): 1m: a rescue follows a halt (halt_m), after a positive time",
			"f.yaml: elevator.trips[1] (line 8): needs to: the destination floor",
			"f.yaml: sensors[1].address (line 11): 0x1d: the bmp280 chip answers at 0x76 or 0x77",
			"f.yaml: sensors[3].pin (line 13): GPIO22 is also sensors[2]'s pin",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.yaml))
			var ce *configs.Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse = %v, want a *configs.Error", err)
			}
			var got []string
			for _, p := range ce.Problems {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	data := "kind: dust\nid: s\ndust: {background: 20}\nsensors: [{name: d, chip: sds011}, {name: e, chip: sps30}]\n"
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.File != p || s.Name != "s" || s.Compression != 1 || s.Sensors[1].Address != 0x69 || s.Sensors[1].Driver() != "sps30" {
		t.Errorf("loaded %+v", s)
	}
	if _, err := Load(filepath.Join(dir, "none.yaml")); err == nil || !strings.HasPrefix(err.Error(), "scenario: open ") {
		t.Errorf("Load(missing) = %v", err)
	}
}
