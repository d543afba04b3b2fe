package xiuhua_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/xiuhua/xiuhua"

type pkg struct {
	ImportPath string
	Imports    []string // non-test imports
	Deps       []string // transitive non-test imports
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", "./...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages; the check would prove nothing", len(pkgs))
	}
	return pkgs
}

func under(path, dir string) bool {
	p := mod + "/" + dir
	return path == p || strings.HasPrefix(path, p+"/")
}

func isCmd(path string) bool { return strings.Contains(path, "/cmd/") }

func isStd(path string) bool { return !strings.Contains(strings.SplitN(path, "/", 2)[0], ".") }

// TestDependencyDirection enforces the rules of DESIGN.md "Dependency
// direction". Test files are exempt, as the design allows.
func TestDependencyDirection(t *testing.T) {
	rules := []struct {
		name    string
		applies func(p string) bool
		// bad reports why importing imp (directly, or transitively when
		// transitive is set) breaks the rule, or "".
		bad        func(imp string) string
		transitive bool
	}{
		{"telemetry imports nothing of ours", func(p string) bool { return under(p, "telemetry") },
			func(imp string) string {
				if strings.HasPrefix(imp, mod) {
					return "telemetry must not import our packages"
				}
				return ""
			}, false},
		{"drivers import periph, telemetry and drivers only", func(p string) bool { return under(p, "drivers") && !under(p, "drivers/all") },
			func(imp string) string {
				switch {
				case isStd(imp), under(imp, "telemetry"), under(imp, "drivers"),
					strings.HasPrefix(imp, "periph.io/x/conn/"), strings.HasPrefix(imp, "periph.io/x/devices/"),
					strings.HasPrefix(imp, "go.bug.st/serial"), strings.HasPrefix(imp, "golang.org/x/sys/"):
					return ""
				}
				return "drivers may import only periph conn/devices, telemetry, drivers and the serial library"
			}, false},
		{"agent never reaches cloud or simulator", func(p string) bool { return under(p, "agent") },
			func(imp string) string {
				if under(imp, "cloud") || under(imp, "simulator") {
					return "agent must not depend on cloud or simulator"
				}
				return ""
			}, true},
		{"cloud never reaches agent, simulator or periph", func(p string) bool { return under(p, "cloud") },
			func(imp string) string {
				if under(imp, "agent") || under(imp, "simulator") || strings.HasPrefix(imp, "periph.io/") {
					return "cloud must not depend on agent, simulator or periph"
				}
				return ""
			}, true},
		{"agent never reaches configs/flash", func(p string) bool { return under(p, "agent") },
			func(imp string) string {
				if under(imp, "configs/flash") {
					return "the agent binary must not carry the engineer's flash and rollout code"
				}
				return ""
			}, true},
		{"only cmd packages import drivers/all and periph host", func(p string) bool { return !isCmd(p) },
			func(imp string) string {
				if under(imp, "drivers/all") || strings.HasPrefix(imp, "periph.io/x/host/") {
					return "only cmd/* packages may import drivers/all or periph.io/x/host"
				}
				return ""
			}, false},
	}
	for _, p := range listPackages(t) {
		for _, r := range rules {
			if !r.applies(p.ImportPath) {
				continue
			}
			imps := p.Imports
			if r.transitive {
				imps = p.Deps
			}
			for _, imp := range imps {
				if why := r.bad(imp); why != "" {
					t.Errorf("%s imports %s: %s (rule: %s)", p.ImportPath, imp, why, r.name)
				}
			}
		}
	}
}
