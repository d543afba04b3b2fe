// Package gcpolicy sets the Go garbage collector's policy for the
// collector's processes.
//
// The collector allocates for every message (the broker's packets,
// decoding, the store's pages) and keeps a large live heap (every
// device's state, the rules' states, the broker's sessions). Go's default
// GOGC of 100 collects often; a high GOGC collects rarely, but each
// collection then leaves a heap several times the live one to sweep and
// refill, and the store's compactions, and the commits that wait behind
// them, ran two to five times slower for half a second after each mark
// phase: that was the tail of the alert latency. At 100,000 readings/s on
// two cores, GOGC 400 gave an alert p99 of 90–250 ms (6 runs) and GOGC 150
// 50–95 ms (4 runs) for 5–10 % more CPU (docs/performance.md). So the
// server processes run with GOGC 150: the heap may grow to 2.5 times what
// is live before a collection. The operator decides otherwise with the
// environment: GOGC or GOMEMLIMIT, read by the Go runtime, always win.
package gcpolicy

import (
	"os"
	"runtime/debug"
)

// ServerPercent is the GOGC a collector process runs with unless its
// environment says otherwise.
const ServerPercent = 150

// Server applies the collector's policy and returns the GOGC in force and
// whether it came from the environment. It changes nothing when GOGC or
// GOMEMLIMIT is set: a memory limit with the default percent is a policy
// of its own.
func Server() (percent int, fromEnv bool) {
	return apply(os.Getenv)
}

func apply(getenv func(string) string) (int, bool) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		p := debug.SetGCPercent(-1) // read the runtime's value…
		debug.SetGCPercent(p)       // …and put it back
		return p, true
	}
	debug.SetGCPercent(ServerPercent)
	return ServerPercent, false
}

// Scoped applies the policy as Server does until restore is called, for a
// process that hosts a collector for a while beside other work (the load
// bench, whose other rows measure the agent's memory at its own policy).
func Scoped() (restore func()) {
	before := debug.SetGCPercent(-1)
	debug.SetGCPercent(before)
	apply(os.Getenv)
	return func() { debug.SetGCPercent(before) }
}
