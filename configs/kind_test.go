package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDetectKind(t *testing.T) {
	files := append(glob(t, "examples/*.yaml"), glob(t, "plans/*.yaml")...)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := FileAgent
		switch {
		case strings.HasPrefix(f, "plans"+string(filepath.Separator)):
			want = FilePlan
		case strings.HasPrefix(filepath.Base(f), "collector"):
			want = FileCollector
		}
		if got, err := DetectKind(data); got != want || err != nil {
			t.Errorf("%s: DetectKind = %q, %v; want %q", f, got, err, want)
		}
	}
	const cannot = "configs: cannot tell whether this is an agent config, a collector config or a plan from its top-level keys"
	for in, want := range map[string]string{
		"device: {id: a}\ncolour: red\n":    FileAgent,
		"mqtt: {}\nplans: []\ndevice: {}\n": FileCollector,
		"id: p\nrules: []\n":                FilePlan,
		"colour: red\n":                     "error: " + cannot,
		"scope: {}\nsites: []\n":            "error: " + cannot, // one key of a plan, one of a collector
		"- a\n- b\n":                        "error: configs: cannot tell the kind of config: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into map[string]yaml.Node",
	} {
		got, err := DetectKind([]byte(in))
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != want {
			t.Errorf("DetectKind(%q) = %s, want %s", in, got, want)
		}
	}
}
