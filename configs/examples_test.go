package configs

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSamples loads every sample file with the loader its place names (see
// the package doc): plans/*.yaml are plans, examples/collector*.yaml are
// collector configs and the other examples/*.yaml are agent configs.
func TestSamples(t *testing.T) {
	files := glob(t, "examples/*.yaml")
	plans := glob(t, "plans/*.yaml")
	if len(files) == 0 || len(plans) == 0 {
		t.Fatalf("no samples found: examples %v, plans %v", files, plans)
	}
	for _, f := range append(files, plans...) {
		t.Run(f, func(t *testing.T) {
			var err error
			switch {
			case strings.HasPrefix(f, "plans"+string(filepath.Separator)):
				_, err = LoadPlan(f)
			case strings.HasPrefix(filepath.Base(f), "collector"):
				_, err = LoadCollector(f)
			default:
				_, err = LoadAgent(f)
			}
			if err != nil {
				t.Errorf("%v", err)
			}
		})
	}
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
