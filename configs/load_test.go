package configs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// write creates the files (name → content) in a new temporary directory and
// returns the directory.
func write(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// problems returns err's problems as strings, with file names relative to
// dir so that the expectations need not know the temporary directory.
func problems(t *testing.T, err error, dir string) []string {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	var out []string
	for _, p := range e.Problems {
		if rel, rerr := filepath.Rel(dir, p.File); rerr == nil {
			p.File = filepath.ToSlash(rel)
		}
		p.Msg = strings.ReplaceAll(p.Msg, dir+string(filepath.Separator), "")
		out = append(out, p.String())
	}
	return out
}

const goodAgent = `device:
  id: site-xh-001
  site: "Xuhui construction site 1"
  district: xuhui
outbox:
  path: /var/lib/xiuhua/outbox.db
uplink:
  broker: tcp://127.0.0.1:1883
sensors:
  - name: dust
    driver: pms5003
    serial: {port: /dev/ttyAMA0}
`

const goodPlan = `id: dust
title: Dust
rules:
  - id: pm25-15min-avg
    title: PM2.5 above the limit
    kind: window
    quantity: pm2_5
    window: 15m
    above: 75
    office: city-operations-centre
`

const goodCollector = `mqtt: {broker: tcp://127.0.0.1:1883}
store: {path: collector.db}
plans: [plans/dust.yaml]
offices:
  - {id: city-operations-centre, name: City operations centre}
`

// TestLoadProblems checks the exact problems reported for each kind of
// mistake, and that a file's problems all come back together.
func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name  string
		load  string // agent, plan or collector
		files map[string]string
		want  []string
	}{{
		name: "missing required key reported at its parent mapping",
		load: "agent",
		files: map[string]string{"a.yaml": strings.Replace(goodAgent,
			"serial: {port: /dev/ttyAMA0}", "serial: {baud: 9600}", 1)},
		want: []string{"a.yaml: sensors[0].serial.port (line 12): required"},
	}, {
		name:  "unknown key",
		load:  "agent",
		files: map[string]string{"a.yaml": goodAgent + "    colour: red\n"},
		want:  []string{"a.yaml: sensors[0].colour (line 13): unknown key; known keys here: name, driver, serial, i2c, pins, interval, timeout, params, calibration"},
	}, {
		name:  "unknown top-level key",
		load:  "agent",
		files: map[string]string{"a.yaml": "uplinks: {}\n" + goodAgent},
		want:  []string{"a.yaml: uplinks (line 1): unknown key; known keys here: device, sensors, outbox, uplink, clock, edge"},
	}, {
		name:  "wrong types",
		load:  "agent",
		files: map[string]string{"a.yaml": goodAgent + "    interval: fast\n    timeout: 5\n    params: [a]\n"},
		want: []string{
			`a.yaml: sensors[0].interval (line 13): want a duration such as 5s, 15m or 1h30m, got "fast"`,
			`a.yaml: sensors[0].timeout (line 14): want a duration such as 5s, 15m or 1h30m, got 5`,
			`a.yaml: sensors[0].params (line 15): want a mapping of keys to values, got a list`,
		},
	}, {
		name: "bad ranges",
		load: "agent",
		files: map[string]string{"a.yaml": goodAgent + `    interval: 50ms
  - name: level
    driver: ultrasonic
    interval: 1s
    timeout: 2s
    serial: {port: /dev/ttyUSB0, baud: 9601}
`},
		want: []string{
			"a.yaml: sensors[0].interval (line 13): 50ms is out of range; use 100ms to 24h",
			"a.yaml: sensors[1].timeout (line 17): 2s is longer than the interval (1s)",
			"a.yaml: sensors[1].serial.baud (line 18): 9601 is not a standard rate such as 9600 or 115200",
		},
	}, {
		name: "explicit zero is validated, not defaulted",
		load: "agent",
		files: map[string]string{"a.yaml": strings.Replace(goodAgent,
			"  broker: tcp://127.0.0.1:1883\n", "  broker: tcp://127.0.0.1:1883\n  batch_max: 0\n  max_in_flight: 65\n", 1)},
		want: []string{
			"a.yaml: uplink.batch_max (line 9): 0 is out of range; use 1 to 10000",
			"a.yaml: uplink.max_in_flight (line 10): 65 is out of range; use 1 to 64",
		},
	}, {
		name:  "duplicate sensor names",
		load:  "agent",
		files: map[string]string{"a.yaml": goodAgent + "  - {name: other, driver: custom-probe}\n  - {name: dust, driver: custom-probe}\n"},
		want:  []string{`a.yaml: sensors[2].name (line 14): "dust" is already the name of sensors[0]`},
	}, {
		name:  "bad device id",
		load:  "agent",
		files: map[string]string{"a.yaml": strings.Replace(goodAgent, "site-xh-001", "site/xh", 1)},
		want:  []string{`a.yaml: device.id (line 2): device id "site/xh" has '/' at 4; only letters, digits, '.', '_' and '-' are allowed`},
	}, {
		name:  "bad broker URL",
		load:  "agent",
		files: map[string]string{"a.yaml": strings.Replace(goodAgent, "tcp://127.0.0.1:1883", `"ftp://x"`, 1)},
		want:  []string{`a.yaml: uplink.broker (line 8): "ftp://x" is not a broker URL; use tcp://, ssl://, mqtt:// or mqtts://`},
	}, {
		name:  "broker without port",
		load:  "agent",
		files: map[string]string{"a.yaml": strings.Replace(goodAgent, "tcp://127.0.0.1:1883", "mqtt://broker.local", 1)},
		want:  []string{`a.yaml: uplink.broker (line 8): "mqtt://broker.local" has no port; write it as mqtt://broker.local:1883`},
	}, {
		name:  "no sensors, no outbox, no broker",
		load:  "agent",
		files: map[string]string{"a.yaml": "device: {id: d}\n"},
		want: []string{
			"a.yaml: sensors (line 1): at least one sensor is required",
			"a.yaml: outbox.path (line 1): required",
			"a.yaml: uplink.broker (line 1): required",
		},
	}, {
		name:  "syntax error",
		load:  "agent",
		files: map[string]string{"a.yaml": "device:\n  id: [site\n"},
		want:  []string{"a.yaml (line 2): syntax error: did not find expected ',' or ']'"},
	}, {
		name:  "syntax error on line 1",
		load:  "agent",
		files: map[string]string{"a.yaml": "device: id: x\n"},
		want:  []string{"a.yaml (line 1): syntax error: mapping values are not allowed in this context"},
	}, {
		// yaml gives the line of the construct it was reading: the plain
		// scalar "x", which a continuation line could have extended.
		name:  "syntax error from the scanner",
		load:  "agent",
		files: map[string]string{"a.yaml": "device:\n  id: x\n\tsite: y\n"},
		want:  []string{"a.yaml (line 2): syntax error: found a tab character that violates indentation"},
	}, {
		name:  "empty file",
		load:  "plan",
		files: map[string]string{"p.yaml": "# nothing here\n"},
		want:  []string{"p.yaml: file is empty"},
	}, {
		name:  "not a mapping",
		load:  "plan",
		files: map[string]string{"p.yaml": "- id: dust\n"},
		want:  []string{"p.yaml (line 1): want a mapping of keys to values, got a list"},
	}, {
		name:  "two documents",
		load:  "plan",
		files: map[string]string{"p.yaml": goodPlan + "---\nid: again\n"},
		want:  []string{"p.yaml (line 11): a second YAML document starts here; a config file holds one"},
	}, {
		name:  "key set twice",
		load:  "plan",
		files: map[string]string{"p.yaml": goodPlan + "title: again\n"},
		want:  []string{"p.yaml: title (line 11): key is set twice (first at line 2)"},
	}, {
		name: "plan rule mistakes",
		load: "plan",
		files: map[string]string{"p.yaml": goodPlan + `    clear: 80
  - {id: pm25-15min-avg, title: t, kind: window, quantity: pm25, window: 10s, aggregate: median, above: .nan, min_samples: 0, office: X, severity: high}
effective_from: 2020-01-01
effective_to: 2019-12-31
`},
		want: []string{
			"p.yaml: rules[0].clear (line 11): 80 is above the limit (above: 75); an alert clears at or below it",
			`p.yaml: rules[1].id (line 12): "pm25-15min-avg" is already the id of rules[0]`,
			`p.yaml: rules[1].quantity (line 12): "pm25" is not a known quantity; use one of ` + quantityList(),
			"p.yaml: rules[1].above (line 12): NaN is not a finite number",
			"p.yaml: rules[1].window (line 12): 10s is out of range; use 1m to 24h",
			`p.yaml: rules[1].aggregate (line 12): "median" is not an aggregate; use mean, max or min`,
			"p.yaml: rules[1].min_samples (line 12): 0 must be at least 1",
			`p.yaml: rules[1].office (line 12): "X" is not a valid id; use 1 to 64 lower-case letters, digits or '-'`,
			`p.yaml: rules[1].severity (line 12): "high" is not a severity; use info, warning or critical`,
			"p.yaml: effective_to (line 14): 2019-12-31 is not after effective_from (2020-01-01)",
		},
	}, {
		name:  "bad date",
		load:  "plan",
		files: map[string]string{"p.yaml": goodPlan + "effective_from: 2016-02-30\n"},
		want:  []string{`p.yaml: effective_from (line 11): want a date such as 2016-08-01, got "2016-02-30"`},
	}, {
		name: "plan rule naming an undeclared office",
		load: "collector",
		files: map[string]string{
			"c.yaml":          strings.Replace(goodCollector, "city-operations-centre", "river-chief-office", 1),
			"plans/dust.yaml": goodPlan,
		},
		want: []string{`plans/dust.yaml: rules[0].office (line 10): "city-operations-centre" is not an office declared in c.yaml`},
	}, {
		name: "plan rule for an office no channel carries",
		load: "collector",
		files: map[string]string{
			"c.yaml": goodCollector + `  - {id: river-chief-office, name: River chief office}
notify:
  channels:
    - {name: rivers, url: "http://127.0.0.1:9000/hook", offices: [river-chief-office]}
`,
			"plans/dust.yaml": goodPlan,
		},
		want: []string{`plans/dust.yaml: rules[0].office (line 10): no channel under notify.channels in c.yaml carries alerts for office "city-operations-centre"`},
	}, {
		name: "missing plan file",
		load: "collector",
		files: map[string]string{
			"c.yaml": strings.Replace(goodCollector, "plans/dust.yaml", "plans/nope.yaml", 1),
		},
		want: []string{"c.yaml: plans[0] (line 3): plan file plans/nope.yaml does not exist"},
	}, {
		name: "collector mistakes, with a plan's",
		load: "collector",
		files: map[string]string{
			"c.yaml": `mqtt: {broker: "tcp://u:secret@h:1883", password: p}
http: {listen: "8080"}
plans: [plans/dust.yaml, plans/dust.yaml]
offices: [{id: city-operations-centre}, {id: city-operations-centre}, {id: Roads}]
notify:
  channels:
    - {name: sink, url: "ftp://x", timeout: 1h, offices: [nope]}
    - {name: sink, url: "https://example.org/hook"}
`,
			"plans/dust.yaml": goodPlan + "    window: 1m\n",
		},
		want: []string{
			`c.yaml: mqtt.broker (line 1): "tcp://u:xxxxx@h:1883" carries credentials; set username and password instead`,
			"c.yaml: mqtt.username (line 1): required when a password is set",
			"c.yaml: store.path (line 1): required",
			`c.yaml: http.listen (line 2): "8080" is not host:port; write it as e.g. 127.0.0.1:8080 or :8080`,
			"c.yaml: plans[1] (line 3): plan file plans/dust.yaml is already listed as plans[0]",
			`c.yaml: offices[1].id (line 4): "city-operations-centre" is already the id of offices[0]`,
			`c.yaml: offices[2].id (line 4): "Roads" is not a valid id; use 1 to 64 lower-case letters, digits or '-'`,
			`c.yaml: notify.channels[0].url (line 7): "ftp://x" is not a web URL; use http:// or https://`,
			"c.yaml: notify.channels[0].timeout (line 7): 1h is out of range; use 100ms to 5m",
			`c.yaml: notify.channels[0].offices[0] (line 7): "nope" is not one of the offices declared under offices`,
			`c.yaml: notify.channels[1].name (line 8): "sink" is already the name of notify.channels[0]`,
			"plans/dust.yaml: rules[0].window (line 11): key is set twice (first at line 8)",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := write(t, tt.files)
			var err error
			switch tt.load {
			case "agent":
				_, err = LoadAgent(filepath.Join(dir, "a.yaml"))
			case "plan":
				_, err = LoadPlan(filepath.Join(dir, "p.yaml"))
			case "collector":
				_, err = LoadCollector(filepath.Join(dir, "c.yaml"))
			}
			if got := problems(t, err, dir); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestErrorLists checks that Error() puts one problem on each line, in the
// order of the file.
func TestErrorLists(t *testing.T) {
	dir := write(t, map[string]string{"a.yaml": "uplink: {broker: x}\ndevice: {id: .d}\n"})
	_, err := LoadAgent(filepath.Join(dir, "a.yaml"))
	lines := strings.Split(err.Error(), "\n")
	want := []string{"uplink.broker (line 1)", "device.id (line 2)", "sensors (line 1)", "outbox.path (line 1)"}
	if len(lines) != len(want) {
		t.Fatalf("Error() has %d lines, want %d:\n%v", len(lines), len(want), err)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, filepath.Join(dir, "a.yaml")+": ") {
			t.Errorf("line %q does not start with the file name", l)
		}
	}
	for i := 1; i < len(lines); i++ {
		if line(lines[i]) < line(lines[i-1]) {
			t.Errorf("problems out of line order:\n%v", err)
		}
	}
}

func line(s string) string {
	_, after, _ := strings.Cut(s, "(line ")
	n, _, _ := strings.Cut(after, ")")
	return n
}

func TestMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.yaml")
	loaders := map[string]func(string) error{
		"agent":     func(p string) error { _, err := LoadAgent(p); return err },
		"collector": func(p string) error { _, err := LoadCollector(p); return err },
		"plan":      func(p string) error { _, err := LoadPlan(p); return err },
	}
	for name, load := range loaders {
		err := load(p)
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), p) || !strings.HasPrefix(err.Error(), "configs: ") {
			t.Errorf("%s: error %v, want a configs: error naming %s and wrapping fs.ErrNotExist", name, err, p)
		}
		var e *Error
		if errors.As(err, &e) {
			t.Errorf("%s: a missing file is reported as problems in it: %v", name, err)
		}
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{"a.yaml", "x.y", 3, "bad"}, "a.yaml: x.y (line 3): bad"},
		{Problem{"a.yaml", "", 3, "bad"}, "a.yaml (line 3): bad"},
		{Problem{"a.yaml", "x", 0, "bad"}, "a.yaml: x: bad"},
		{Problem{"a.yaml", "", 0, "bad"}, "a.yaml: bad"},
		{Problem{"", "x[0]", 0, "bad"}, "x[0]: bad"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v: got %q, want %q", tt.p, got, tt.want)
		}
	}
}
