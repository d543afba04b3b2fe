package bench

import (
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"time"
)

// Opts sizes a bench run.
type Opts struct {
	Dir   string // scratch directory
	Quick bool   // smaller sizes, for a smoke run
	Log   io.Writer
	// Only, when set, runs one group of rows: "load" (see Load), or
	// "sustained" (Load's sustained rows alone).
	Only string
	Long bool // the load rows' sustained run lasts 5 minutes instead of 60 s
	// CPUProfile, when set, receives a CPU profile of the sustained load.
	CPUProfile string
}

// Run measures everything and returns the rows in a stable order. A
// measure that fails becomes a row saying so; the others still run.
func Run(o Opts) []Row {
	say := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	obTotal, drainN, warm, meas := 200000, 1000000, 30*time.Second, 10*time.Second
	if o.Quick {
		obTotal, drainN, warm, meas = 20000, 50000, 5*time.Second, 3*time.Second
	}
	var rows []Row
	if o.Only == "load" || o.Only == "sustained" {
		return Load(o.Dir, LoadOpts{Long: o.Long, Quick: o.Quick, CPUProfile: o.CPUProfile, SustainedOnly: o.Only == "sustained"}, say)
	}
	add := func(name string, r []Row, err error) {
		if err != nil {
			say("bench: %s: %v", name, err)
			rows = append(rows, Row{Measure: name, Note: err.Error()})
			return
		}
		rows = append(rows, r...)
	}
	say("bench: outbox commit rate vs raw bbolt…")
	r, err := OutboxVsBolt(o.Dir, obTotal, 100, 5)
	add("outbox commit rate", []Row{r}, err)
	say("bench: backlog drain…")
	r, err = BacklogDrain(filepath.Join(o.Dir), drainN, 30*time.Second)
	add("backlog drain", []Row{r}, err)
	say("bench: agent memory…")
	bin := filepath.Join(o.Dir, "xiuhua-agent")
	if out, err := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./agent/cmd/xiuhua-agent").CombinedOutput(); err != nil {
		add("agent memory", nil, fmt.Errorf("build: %v: %s", err, out))
	} else {
		r, err = AgentMemory(o.Dir, bin, 10, warm, meas)
		add("agent memory", []Row{r}, err)
	}
	say("bench: agent binary sizes…")
	rs, err := AgentBinarySizes(o.Dir)
	add("agent binary size", rs, err)
	say("bench: rule evaluation…")
	ruleRounds := 30
	if o.Quick {
		ruleRounds = 5
	}
	ruleRows, err := RuleEvaluation(10_000, ruleRounds, 5)
	add("rule evaluation", ruleRows, err)
	say("bench: largest fleet held…")
	rs, err = LargestFleet(filepath.Join(o.Dir, "fleet"), fleetOpts(o))
	add("largest fleet held", rs, err)
	return append(rows, Load(o.Dir, LoadOpts{Long: o.Long, Quick: o.Quick, CPUProfile: o.CPUProfile}, say)...)
}
