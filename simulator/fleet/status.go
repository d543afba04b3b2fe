package fleet

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Stats is the fleet at one moment, summed over its devices, and the
// process it runs in.
type Stats struct {
	Elapsed   time.Duration `json:"-"`
	ElapsedS  float64       `json:"elapsed_s"`
	Devices   int           `json:"devices"`   // configured
	Started   int           `json:"started"`   // started by the ramp
	Up        int           `json:"up"`        // powered and running
	Connected int           `json:"connected"` // up with the uplink connected
	// Readings counts the readings committed to the outboxes over every
	// boot (the sequence numbers given); Acked those the collector
	// acknowledged and the outboxes deleted; Backlog the rest, waiting in
	// the outboxes. A device that is down counts as it was last seen.
	Readings uint64 `json:"readings"`
	Acked    uint64 `json:"acked"`
	Backlog  uint64 `json:"backlog"`

	Goroutines int     `json:"goroutines"`
	RSSBytes   int64   `json:"rss_bytes"`
	FDs        int     `json:"fds"`
	CPUSeconds float64 `json:"cpu_s"` // user and system CPU time since Run started
	// CPUPercent is CPU time over wall time since the previous Stats
	// (100 is one core busy), or since Run started.
	CPUPercent float64 `json:"cpu_pct"`
}

// Stats reads every device's status (one outbox read transaction each)
// and the process's.
func (f *Fleet) Stats() Stats {
	s := Stats{Devices: len(f.devs), Started: int(f.started.Load())}
	select {
	case <-f.running: // Run has set begin
		s.Elapsed = time.Since(f.begin)
		s.ElapsedS = s.Elapsed.Round(time.Millisecond).Seconds()
	default:
	}
	for _, d := range f.devs {
		if d.boots.Load() == 0 {
			continue
		}
		sn := d.snap()
		if d.up.Load() {
			s.Up++
		}
		if sn.connected {
			s.Connected++
		}
		s.Readings += sn.committed
		s.Backlog += sn.backlog
	}
	s.Acked = s.Readings - min(s.Backlog, s.Readings)
	s.Goroutines = runtime.NumGoroutine()
	s.RSSBytes, s.FDs = rss(), fds()
	s.CPUSeconds, s.CPUPercent = f.proc.sample()
	return s
}

// String is the status line.
func (s Stats) String() string {
	return fmt.Sprintf("fleet %6.0fs  devices %d/%d up, %d connected  readings %d  acked %d  backlog %d  |  cpu %.0f%%  rss %.0f MiB  fds %d  goroutines %d",
		s.Elapsed.Seconds(), s.Up, s.Devices, s.Connected, s.Readings, s.Acked, s.Backlog,
		s.CPUPercent, float64(s.RSSBytes)/(1<<20), s.FDs, s.Goroutines)
}

func (f *Fleet) statusLoop(ctx context.Context) {
	t := time.NewTicker(f.o.StatusEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f.printStatus()
		}
	}
}

func (f *Fleet) printStatus() {
	s := f.Stats()
	if f.o.JSON {
		b, _ := json.Marshal(s)
		fmt.Fprintf(f.o.Status, "%s\n", b)
		return
	}
	fmt.Fprintln(f.o.Status, s)
}

// procSampler turns the process's CPU time into a percentage between
// samples.
type procSampler struct {
	mu       sync.Mutex
	cpu0     float64 // at start
	lastCPU  float64
	lastWall time.Time
}

func (p *procSampler) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cpu0 = cpuSeconds()
	p.lastCPU, p.lastWall = p.cpu0, time.Now()
}

// sample returns the CPU seconds since start and the percentage since the
// previous sample.
func (p *procSampler) sample() (total, pct float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now, cpu := time.Now(), cpuSeconds()
	if wall := now.Sub(p.lastWall).Seconds(); wall > 0 {
		pct = 100 * (cpu - p.lastCPU) / wall
	}
	p.lastCPU, p.lastWall = cpu, now
	return cpu - p.cpu0, pct
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// rss is the process's resident set in bytes (VmRSS), 0 if unknown.
func rss() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// fds counts the process's open file descriptors, 0 if unknown.
func fds() int {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return 0
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	return len(names) - 1 // less the directory's own
}

// Descriptors a device holds: its MQTT socket and its outbox file, and in
// PTY mode the pseudo-terminal's two ends; plus a margin for the process.
const (
	fdsPerDevice = 2
	fdsPerPTY    = 2
	fdsMargin    = 64
)

// FilesNeeded is how many file descriptors a fleet of n devices needs in
// its process.
func FilesNeeded(n int, pty bool) uint64 {
	per := fdsPerDevice
	if pty {
		per += fdsPerPTY
	}
	return uint64(n*per + fdsMargin)
}

// checkFiles raises the soft RLIMIT_NOFILE to the hard limit (Go does so
// at start already; this makes it explicit and checked) and fails when
// the fleet cannot fit under it: better now than ten thousand devices in.
func checkFiles(n int, pty bool) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("fleet: file limit: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("fleet: raise the file limit to %d: %w", lim.Max, err)
		}
	}
	if need := FilesNeeded(n, pty); need > lim.Cur {
		return fmt.Errorf("fleet: %d devices need about %d file descriptors (%d each and a margin), over this process's limit of %d: run fewer devices per process or raise the hard limit (ulimit -Hn)",
			n, need, need/uint64(n), lim.Cur)
	}
	return nil
}
