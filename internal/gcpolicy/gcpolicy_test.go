package gcpolicy

import (
	"runtime/debug"
	"testing"
)

func TestServerSetsItsPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	if p, env := apply(func(string) string { return "" }); p != ServerPercent || env {
		t.Fatalf("apply with no environment = %d, %v; want %d, false", p, env, ServerPercent)
	}
	if got := debug.SetGCPercent(100); got != ServerPercent {
		t.Fatalf("GOGC in force = %d, want %d", got, ServerPercent)
	}
}

func TestEnvironmentWins(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		env := func(k string) string {
			if k == name {
				return "set"
			}
			return ""
		}
		if p, fromEnv := apply(env); p != 150 || !fromEnv {
			t.Fatalf("apply with %s set = %d, %v; want the runtime's 150, true", name, p, fromEnv)
		}
		if got := debug.SetGCPercent(150); got != 150 {
			t.Fatalf("%s set: GOGC changed to %d", name, got)
		}
	}
}

func TestScopedRestores(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(120))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	restore := Scoped()
	if got := debug.SetGCPercent(-1); got != ServerPercent {
		t.Fatalf("GOGC within the scope = %d, want %d", got, ServerPercent)
	}
	debug.SetGCPercent(ServerPercent)
	restore()
	if got := debug.SetGCPercent(120); got != 120 {
		t.Fatalf("GOGC after restore = %d, want 120", got)
	}
}
