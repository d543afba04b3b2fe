package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/configs"
)

// run runs a command line in-process.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = dispatch(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// expect runs a command line and checks its exit status and output.
func expect(t *testing.T, wantCode int, wantOut, wantErr string, args ...string) {
	t.Helper()
	code, out, errs := run(t, args...)
	if code != wantCode || out != wantOut || errs != wantErr {
		t.Errorf("xiuhuactl %s\nexit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s",
			strings.Join(args, " "), code, wantCode, out, wantOut, errs, wantErr)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func hashOf(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return configs.Hash(data)
}

const gauge = `device: {id: gauge-1}
sensors:
  - name: sonar
    driver: ultrasonic
    serial: {port: /dev/ttyS0}
    params: {mounting_height_m: "8.5"}
outbox: {path: outbox.db}
uplink: {broker: "tcp://127.0.0.1:1883", password: s3cret, username: gauge-1}
`

func TestUsage(t *testing.T) {
	expect(t, exitUsage, usage, "")
	expect(t, exitOK, usage, "", "help")
	expect(t, exitOK, usage, "", "config", "help")
	expect(t, exitUsage, "", "xiuhuactl: unknown command \"frobnicate\"\n"+usage, "frobnicate")
	expect(t, exitUsage, "", "xiuhuactl: unknown command \"config burn\"\n"+usage, "config", "burn")
	expect(t, exitUsage, "", "xiuhuactl: config validate: name at least one file\nusage: xiuhuactl config validate [--kind agent|collector|plan] [--skip-files] FILE...\n"+
		"  -kind string\n    \tthe kind of every FILE: agent, collector or plan (default: told by its top-level keys)\n"+
		"  -skip-files\n    \tdo not check that the files an agent config names (uplink.tls) exist: they are on the device\n",
		"config", "validate")
}

func TestValidate(t *testing.T) {
	examples, _ := filepath.Glob("../../examples/*.yaml")
	if len(examples) != 5 {
		t.Fatalf("examples: %v", examples)
	}
	var want strings.Builder
	for _, f := range examples {
		want.WriteString("ok " + f + " " + hashOf(t, f) + "\n")
	}
	expect(t, exitOK, want.String(), "", append([]string{"config", "validate"}, examples...)...)

	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", `device: {id: lift-1}
sensors:
  - {name: level, driver: ads1115level, i2c: {bus: "1", address: 0x99}}
  - {name: level, driver: pms5003, serial: {port: /dev/ttyS0}, interval: 5}
outbox: {path: o.db}
uplink: {broker: "tcp://127.0.0.1:1883", tls: {ca_file: ca.pem}}
`)
	good := writeFile(t, dir, "gauge.yaml", gauge)
	expect(t, exitProblem, "ok "+good+" "+hashOf(t, good)+"\n",
		bad+": sensors[0].i2c.address (line 3): 0x99 is not an ADS1115 address (0x48–0x4b)\n"+
			bad+": sensors[1].interval (line 4): want a duration such as 5s, 15m or 1h30m, got 5\n"+
			bad+`: sensors[1].name (line 4): "level" is already the name of sensors[0]`+"\n"+
			bad+`: uplink.tls (line 6): the broker "tcp://127.0.0.1:1883" does not use TLS; write it as ssl://host:8883 or mqtts://host:8883`+"\n",
		"config", "validate", bad, good)

	tls := writeFile(t, dir, "tls.yaml", strings.Replace(gauge, `broker: "tcp://127.0.0.1:1883"`, `broker: "ssl://h:8883", tls: {ca_file: /etc/xiuhua/ca.pem}`, 1))
	expect(t, exitProblem, "", tls+": uplink.tls.ca_file (line 8): file /etc/xiuhua/ca.pem does not exist\n", "config", "validate", tls)
	expect(t, exitOK, "ok "+tls+" "+hashOf(t, tls)+"\n", "", "config", "validate", "--skip-files", tls)

	odd := writeFile(t, dir, "odd.yaml", "colour: red\n")
	expect(t, exitProblem, "", odd+": cannot tell whether this is an agent config, a collector config or a plan from its top-level keys; say which with --kind\n",
		"config", "validate", odd)
	expect(t, exitProblem, "", good+": device (line 1): unknown key; known keys here: id, title, source, kind, effective_from, effective_to, scope, rules, targets, aqi\n"+
		good+": id (line 1): required\n"+good+": title (line 1): required\n"+
		good+": rules (line 1): a plan needs rules, targets or an aqi table\n"+
		good+": sensors (line 2): unknown key; known keys here: id, title, source, kind, effective_from, effective_to, scope, rules, targets, aqi\n"+
		good+": outbox (line 7): unknown key; known keys here: id, title, source, kind, effective_from, effective_to, scope, rules, targets, aqi\n"+
		good+": uplink (line 8): unknown key; known keys here: id, title, source, kind, effective_from, effective_to, scope, rules, targets, aqi\n",
		"config", "validate", "--kind", "plan", good)
	expect(t, exitProblem, "", "xiuhuactl: open "+filepath.Join(dir, "none.yaml")+": no such file or directory\n", "config", "validate", filepath.Join(dir, "none.yaml"))
}
