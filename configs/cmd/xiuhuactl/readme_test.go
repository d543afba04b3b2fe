package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/mosquitto"
	"github.com/xiuhua/xiuhua/telemetry"
)

const readmeSection = "## For engineers: write, validate, sign, flash, roll out"

// TestReadmeCommands runs the shell blocks of the README's section for
// engineers as printed, in a directory that looks like a fresh clone after
// make build (configs/ and bin/xiuhuactl). The second block talks to
// devices: it runs against a private Mosquitto, its broker address the
// only change, with test devices answering for the example configs' ids.
func TestReadmeCommands(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := shellBlocks(t, string(readme))
	if len(blocks) != 2 || !strings.HasPrefix(blocks[0], "make build\n") {
		t.Fatalf("the section has %d sh blocks, want 2, the first starting with make build:\n%q", len(blocks), blocks)
	}

	// A fresh clone after make build, as far as these commands go.
	work := t.TempDir()
	root, _ := filepath.Abs("../../..")
	if err := os.Symlink(filepath.Join(root, "configs"), filepath.Join(work, "configs")); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(work, "bin", "xiuhuactl"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	addr := mosquitto.StartTest(t, mosquitto.Opts{}).Addr()
	for _, id := range []string{"site-xh-001", "river-hp-017", "pump-xh-003", "lift-xh-0412"} {
		answerFor(t, "tcp://"+addr, id, telemetry.ConfigApplying, telemetry.ConfigApplied)
	}
	script := strings.TrimPrefix(blocks[0], "make build\n") + strings.ReplaceAll(blocks[1], "tcp://127.0.0.1:1883", "tcp://"+addr)
	cmd := exec.Command(bash, "-euo", "pipefail", "-c", script)
	cmd.Dir = work
	// mktemp makes $K under the test's own directory, removed with it.
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("the README's commands failed: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	if errb.Len() > 0 {
		t.Errorf("stderr:\n%s", errb.String())
	}
	got := out.String()
	examples, _ := filepath.Glob(filepath.Join(root, "configs", "examples", "*.yaml"))
	want := []string{"sensors[0].interval: 5s → 10s\n1 change\n", "all 4 devices applied their configs\n"}
	for _, f := range examples {
		want = append(want, "ok configs/examples/"+filepath.Base(f)+" "+hashOf(t, f)+"\n")
	}
	dust := hashOf(t, filepath.Join(root, "configs", "examples", "dust-site.yaml"))
	want = append(want, "site-xh-001 applied "+dust+"\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
	for _, re := range []string{
		`(?m)^wrote /\S+/eng\.key: the private key`,
		`(?m)^signed /\S+/dust-site\.yaml ` + dust + ` key [0-9a-f]{16}$`,
		`(?m)^ok /\S+/dust-site\.yaml ` + dust + ` key [0-9a-f]{16}$`,
		`(?m)^wrote /\S+/sdcard/dust-site\.yaml ` + dust + ` for device site-xh-001$`,
		`(?m)^3      100%   site-xh-001  +applied `,
	} {
		if !regexp.MustCompile(re).MatchString(got) {
			t.Errorf("output does not match %s:\n%s", re, got)
		}
	}
}

// shellBlocks returns the ```sh blocks of the README's section for
// engineers.
func shellBlocks(t *testing.T, readme string) []string {
	t.Helper()
	i := strings.Index(readme, "\n"+readmeSection+"\n")
	if i < 0 {
		t.Fatalf("README has no section %q", readmeSection)
	}
	sec := readme[i+1:]
	if j := strings.Index(sec[len(readmeSection):], "\n## "); j >= 0 {
		sec = sec[:len(readmeSection)+j]
	}
	var blocks []string
	for {
		start := strings.Index(sec, "```sh\n")
		if start < 0 {
			return blocks
		}
		sec = sec[start+len("```sh\n"):]
		end := strings.Index(sec, "```\n")
		if end < 0 {
			t.Fatal("unterminated code block")
		}
		blocks = append(blocks, sec[:end])
		sec = sec[end:]
	}
}
