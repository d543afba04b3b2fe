package bench

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/gcpolicy"
	"github.com/xiuhua/xiuhua/simulator/fleet"
)

// FleetOpts sizes the "largest fleet held" run. Zero values mean the
// defaults, which keep the run under about seven minutes.
type FleetOpts struct {
	// Steps are the fleet sizes tried in turn, each adding devices to the
	// last; default 1000, 2000, 5000, 10000. The run stops at the first
	// step not held.
	Steps []int
	// Interval is every device's sampling interval; default 10 s.
	Interval time.Duration
	// Settle is the wait after a step's devices are all connected before
	// it is judged; default two intervals.
	Settle time.Duration
	// Hold is the window a step must hold for; default 1 min.
	Hold time.Duration
	// Ramp is how many devices each fleet process starts a second;
	// default 250.
	Ramp float64
	// Shard is the most devices one fleet process runs; default 5000
	// (two descriptors each under a 20,000 limit).
	Shard int
	// Sim is the xiuhua-sim binary the fleet processes run; "" means this
	// executable when it is xiuhua-sim, else one built from
	// ./simulator/cmd/xiuhua-sim (run from the repository root).
	Sim string
	// Profiles is where CPU profiles (and their pprof -top) go; "" means
	// the run's directory.
	Profiles string
	Log      io.Writer
}

// fleetOpts is the bench's run: XIUHUA_FLEET_STEPS (e.g.
// "1000,2000,5000,10000,15000"), XIUHUA_FLEET_HOLD (e.g. "3m") and
// XIUHUA_FLEET_PROFILES (a directory to keep the profiles in) allow a
// longer one.
func fleetOpts(o Opts) FleetOpts {
	f := FleetOpts{Log: o.Log, Profiles: os.Getenv("XIUHUA_FLEET_PROFILES")}
	if o.Quick {
		f.Steps, f.Interval, f.Settle, f.Hold = []int{100, 200}, 2*time.Second, 4*time.Second, 10*time.Second
	}
	if v := os.Getenv("XIUHUA_FLEET_STEPS"); v != "" {
		f.Steps = nil
		for _, s := range strings.Split(v, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
				f.Steps = append(f.Steps, n)
			}
		}
	}
	if d, err := time.ParseDuration(os.Getenv("XIUHUA_FLEET_HOLD")); err == nil && d > 0 {
		f.Hold = d
	}
	return f
}

// The goal: a city district's devices on one collector machine.
const fleetGoal = 10000

// heldShare is how much of what a step's devices take during the
// hold window must be acknowledged in it: the backlog (readings taken
// less acknowledged) may grow by no more than the other 5 %, which
// covers the readings in flight at the window's two edges.
const heldShare = 0.95

// fleetStep is what one step measured over its hold window.
type fleetStep struct {
	devices      int
	held         bool
	why          string
	minConnected int
	// Readings committed by the fleet and acknowledged, a second, over
	// the window: each process's counts over its own status lines' times
	// (on a busy machine a status line can be many seconds old).
	taken, acked float64
	cloudCPU     float64 // % of one core: this process (broker and collector)
	fleetCPU     float64 // % of one core: the fleet processes
	machineCPU   float64 // % of all cores, everything on the machine
	cloudRSS     int64
	fleetRSS     int64
	cloudFDs     int
	fleetFDs     int
	flushes      float64 // disk cache flushes a second, whole disk
	availMB      int64
}

// LargestFleet runs the embedded broker and the real collector in this
// process and the fleet in child `xiuhua-sim fleet` processes, growing
// the fleet step by step. A step is held when every device stays
// connected through the hold window and the collector acknowledges at
// least heldShare of the readings the fleet takes in it (so the backlog
// does not grow). It returns the largest step held against the goal of
// 10,000 devices, what bounds it, and a row per step with the
// acknowledged rate, CPU, memory, descriptors and disk flushes.
func LargestFleet(dir string, o FleetOpts) ([]Row, error) {
	if len(o.Steps) == 0 {
		o.Steps = []int{1000, 2000, 5000, fleetGoal}
	}
	if o.Interval <= 0 {
		o.Interval = 10 * time.Second
	}
	if o.Settle <= 0 {
		o.Settle = 2 * o.Interval
	}
	if o.Hold <= 0 {
		o.Hold = time.Minute
	}
	if o.Ramp <= 0 {
		o.Ramp = 250
	}
	if o.Shard <= 0 {
		o.Shard = 5000
	}
	say := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, "bench: fleet: "+format+"\n", args...)
		}
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	if o.Profiles == "" {
		o.Profiles = dir
	} else if err := os.MkdirAll(o.Profiles, 0o750); err != nil {
		return nil, err
	}
	sim, err := simBinary(dir, o.Sim)
	if err != nil {
		return nil, err
	}
	// This process is the collector's machine (the fleet runs in its
	// children): it has xiuhua-collector's GC policy while the run lasts.
	defer gcpolicy.Scoped()()
	r, err := newRig(dir)
	if err != nil {
		return nil, err
	}
	defer r.close()
	cloudProfile := filepath.Join(o.Profiles, "cloud.pprof")
	if pf, err := os.Create(cloudProfile); err == nil {
		if pprof.StartCPUProfile(pf) == nil {
			defer func() {
				pprof.StopCPUProfile()
				pf.Close()
			}()
		} else {
			pf.Close()
			cloudProfile = ""
		}
	}

	var shards []*shard
	defer func() {
		for _, s := range shards {
			go s.stop()
		}
		for _, s := range shards {
			<-s.done
		}
	}()
	disk := diskOf(dir)
	var steps []fleetStep
	for _, n := range o.Steps {
		have := 0
		for _, s := range shards {
			have += s.n
		}
		for have < n {
			k := min(o.Shard, n-have)
			prefix := fmt.Sprintf("s%d", len(shards)+1)
			s, err := startShard(sim, filepath.Join(dir, prefix), prefix, r.broker.URL(), k, o)
			if err != nil {
				return nil, err
			}
			shards = append(shards, s)
			have += k
		}
		say("%d devices: starting…", n)
		st := judgeStep(n, shards, o, disk, say)
		steps = append(steps, st)
		say("%d devices: %s", n, st.summary())
		if !st.held {
			break
		}
	}
	if cloudProfile != "" {
		pprof.StopCPUProfile()
	}
	for _, s := range shards {
		go s.stop()
	}
	for _, s := range shards {
		<-s.done
	}
	shards = nil
	// The heaviest fleet process is the first: it runs longest.
	for _, p := range []struct{ what, file string }{
		{"fleet process (devices)", filepath.Join(o.Profiles, "s1.pprof")},
		{"bench process (embedded broker and collector)", cloudProfile},
	} {
		if p.file == "" {
			continue
		}
		top := pprofTop(p.file, 30)
		os.WriteFile(strings.TrimSuffix(p.file, ".pprof")+".top.txt", []byte(top+"\n"), 0o640)
		say("CPU profile of the %s, %s:\n%s", p.what, p.file, top)
	}
	return fleetRows(steps, o), nil
}

// judgeStep waits for a step's devices to connect and settle, then
// watches the hold window.
func judgeStep(n int, shards []*shard, o FleetOpts, disk string, say func(string, ...any)) fleetStep {
	st := fleetStep{devices: n}
	connected := func() (c int) {
		for _, s := range shards {
			c += s.stats().Connected
		}
		return
	}
	connectWait := time.Duration(float64(n)/o.Ramp*float64(time.Second)) + 2*time.Minute
	connectBy := time.Now().Add(connectWait)
	for {
		for _, s := range shards {
			if gone, why := s.exited(); gone {
				st.why = "a fleet process exited: " + why
				return st
			}
		}
		c := connected()
		if c == n {
			break
		}
		if time.Now().After(connectBy) {
			st.minConnected = c
			st.why = fmt.Sprintf("only %d of %d devices connected within %v", c, n, connectWait.Round(time.Second))
			return st
		}
		time.Sleep(time.Second)
	}
	say("%d devices connected; settling for %v, then holding for %v", n, o.Settle, o.Hold)
	time.Sleep(o.Settle)

	self := os.Getpid()
	use := func() (cloud procUsage, fl procUsage) {
		cloud = usageOf(self)
		for _, s := range shards {
			u := usageOf(s.cmd.Process.Pid)
			fl.cpu, fl.rss, fl.fds = fl.cpu+u.cpu, fl.rss+u.rss, fl.fds+u.fds
		}
		return
	}
	c0, f0 := use()
	m0 := readMachine(disk)
	s0 := make([]fleet.Stats, len(shards))
	for i, s := range shards {
		s0[i] = s.stats()
	}
	start := time.Now()
	st.minConnected = n
	for time.Since(start) < o.Hold {
		time.Sleep(2 * time.Second)
		st.minConnected = min(st.minConnected, connected())
	}
	c1, f1 := use()
	m1 := readMachine(disk)
	for i, s := range shards {
		s1 := s.stats()
		if dt := s1.ElapsedS - s0[i].ElapsedS; dt > 0 {
			st.taken += float64(s1.Readings-s0[i].Readings) / dt
			st.acked += float64(s1.Acked-s0[i].Acked) / dt
		}
	}
	wall := time.Since(start).Seconds()
	st.cloudCPU, st.fleetCPU = 100*(c1.cpu-c0.cpu)/wall, 100*(f1.cpu-f0.cpu)/wall
	if dt := m1.total - m0.total; dt > 0 {
		st.machineCPU = 100 * (m1.busy - m0.busy) / dt
	}
	st.cloudRSS, st.fleetRSS, st.cloudFDs, st.fleetFDs = c1.rss, f1.rss, c1.fds, f1.fds
	st.flushes = float64(m1.flushes-m0.flushes) / wall
	st.availMB = m1.availKB >> 10
	switch {
	case st.minConnected < n:
		st.why = fmt.Sprintf("connections: only %d of %d stayed connected", st.minConnected, n)
	case st.taken == 0:
		st.why = "no readings taken in the window"
	case st.acked < heldShare*st.taken:
		st.why = fmt.Sprintf("backlog grew by %.0f readings a second: %.0f/s acknowledged of %.0f/s taken", st.taken-st.acked, st.acked, st.taken)
	default:
		st.held = true
	}
	return st
}

func (st fleetStep) summary() string {
	verdict := "held"
	if !st.held {
		verdict = "NOT held: " + st.why
	}
	return fmt.Sprintf("%s; %s", verdict, st.resources())
}

// resources is the step's CPU, memory, descriptors and disk, compactly.
func (st fleetStep) resources() string {
	per := float64(0)
	if st.devices > 0 {
		per = float64(st.fleetRSS) / float64(st.devices) / 1024
	}
	return fmt.Sprintf("cpu: machine %.0f%% of %d cores (this run %.0f%%), broker+collector %.0f%% of a core, fleet %.0f%%; rss: broker+collector %.0f MiB, fleet %.0f MiB (%.0f KiB/device); fds %d + %d; disk flushes %.0f/s; %d MiB available",
		st.machineCPU, runtime.NumCPU(), st.ours(), st.cloudCPU, st.fleetCPU, float64(st.cloudRSS)/(1<<20), float64(st.fleetRSS)/(1<<20), per,
		st.cloudFDs, st.fleetFDs, st.flushes, st.availMB)
}

// ours is this run's share of the machine's CPU, in % of all cores; the
// rest of machineCPU is other work on the (shared) machine.
func (st fleetStep) ours() float64 {
	return (st.cloudCPU + st.fleetCPU) / float64(runtime.NumCPU())
}

// bound says what limits the fleet, from the first step not held (or
// the last one, when all were).
func (st fleetStep) bound() string {
	if st.held {
		// Every step held: CPU is what grows with the fleet, so scale it.
		at := ""
		if ours := st.ours(); ours > 0 {
			at = fmt.Sprintf("; CPU would bound it near %d", int(float64(st.devices)*100/ours))
		}
		return fmt.Sprintf("held at %d with the machine's CPU %.0f%% busy, this run %.0f%%%s", st.devices, st.machineCPU, st.ours(), at)
	}
	switch {
	case strings.HasPrefix(st.why, "connections"), strings.HasPrefix(st.why, "only"):
		return fmt.Sprintf("bound at %d by connections: %s", st.devices, st.why)
	case st.machineCPU >= 90:
		return fmt.Sprintf("bound at %d by CPU: machine %.0f%% busy, this run %.0f%%", st.devices, st.machineCPU, st.ours())
	case st.availMB > 0 && st.availMB < 1024:
		return fmt.Sprintf("bound at %d by memory: %d MiB left", st.devices, st.availMB)
	}
	return fmt.Sprintf("not held at %d (%s) with CPU to spare: see disk flushes %.0f/s and the collector", st.devices, st.why, st.flushes)
}

func fleetRows(steps []fleetStep, o FleetOpts) []Row {
	largest := 0
	for _, st := range steps {
		if st.held {
			largest = st.devices
		}
	}
	last := steps[len(steps)-1]
	rows := []Row{{
		Measure: fmt.Sprintf("largest fleet held (pms5003 every %v; broker, collector and fleet on this machine)", o.Interval),
		Value:   float64(largest), Unit: "devices", Peer: fmt.Sprintf("goal %d", fleetGoal),
		Ratio: float64(largest) / fleetGoal, Goal: "≥ 1.00", OK: largest >= fleetGoal, Note: last.bound(),
	}}
	for _, st := range steps {
		row := Row{
			Measure: fmt.Sprintf("fleet of %d: readings acknowledged over %v", st.devices, o.Hold),
			Value:   st.acked, Unit: "readings/s", Peer: fmt.Sprintf("taken %.0f/s", st.taken),
			Goal: fmt.Sprintf("≥ %.2f", heldShare), OK: st.held, Note: st.resources(),
		}
		if st.taken > 0 {
			row.Ratio = st.acked / st.taken
		}
		if !st.held {
			row.Note = st.why + "; " + row.Note
		}
		rows = append(rows, row)
	}
	return rows
}

// simBinary is the xiuhua-sim to run fleets with.
func simBinary(dir, sim string) (string, error) {
	if sim != "" {
		return sim, nil
	}
	if exe, err := os.Executable(); err == nil && filepath.Base(exe) == "xiuhua-sim" {
		return exe, nil
	}
	bin := filepath.Join(dir, "xiuhua-sim")
	if out, err := exec.Command("go", "build", "-trimpath", "-o", bin, "./simulator/cmd/xiuhua-sim").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build xiuhua-sim: %v: %s", err, out)
	}
	return bin, nil
}
