package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xiuhua/xiuhua/simulator/fleet"
)

// shard is one `xiuhua-sim fleet` process: part of the bench's fleet. A
// process holds at most about 9,900 devices under a 20,000-descriptor
// limit (a socket and an outbox file each), so the bench runs the fleet
// as several.
type shard struct {
	n    int
	cmd  *exec.Cmd
	mu   sync.Mutex
	last fleet.Stats
	tail strings.Builder
	done chan struct{}
	err  error
}

// startShard starts n devices named <prefix>-… against brokerURL, their
// files in dir, and reads their JSON status lines.
func startShard(sim, dir, prefix, brokerURL string, n int, o FleetOpts) (*shard, error) {
	args := []string{"fleet", "--devices", strconv.Itoa(n), "--broker", brokerURL, "--prefix", prefix,
		"--dir", dir, "--interval", o.Interval.String(), "--ramp", strconv.FormatFloat(o.Ramp, 'f', -1, 64),
		"--json", "--status-every", "5s", "--log-level", "error"}
	if o.Profiles != "" {
		args = append(args, "--cpuprofile", filepath.Join(o.Profiles, prefix+".pprof"))
	}
	s := &shard{n: n, cmd: exec.Command(sim, args...), done: make(chan struct{})}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	errOut, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start fleet shard: %w", err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var st fleet.Stats
			if json.Unmarshal(sc.Bytes(), &st) == nil {
				s.mu.Lock()
				s.last = st
				s.mu.Unlock()
			}
		}
		io.Copy(io.Discard, out)
	}()
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(errOut)
		for sc.Scan() {
			s.mu.Lock()
			if s.tail.Len() < 4096 {
				s.tail.WriteString(sc.Text() + "\n")
			}
			s.mu.Unlock()
		}
		io.Copy(io.Discard, errOut)
	}()
	go func() {
		wg.Wait()
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

// stats is the shard's latest status line.
func (s *shard) stats() fleet.Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// exited reports the shard's exit and its stderr when it has exited.
func (s *shard) exited() (bool, string) {
	select {
	case <-s.done:
		s.mu.Lock()
		defer s.mu.Unlock()
		return true, fmt.Sprintf("%v: %s", s.err, s.tail.String())
	default:
		return false, ""
	}
}

// stop asks the shard to stop (SIGTERM: its devices say goodbye) and
// kills it after a minute.
func (s *shard) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// procUsage is what the kernel says about a process.
type procUsage struct {
	cpu float64 // user and system CPU seconds
	rss int64   // resident bytes
	fds int
}

func usageOf(pid int) procUsage {
	var u procUsage
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// Fields after the command's closing parenthesis: utime and stime
		// are the 12th and 13th, in clock ticks.
		if i := strings.LastIndexByte(string(b), ')'); i > 0 {
			f := strings.Fields(string(b[i+1:]))
			if len(f) > 12 {
				ut, _ := strconv.ParseFloat(f[11], 64)
				st, _ := strconv.ParseFloat(f[12], 64)
				u.cpu = (ut + st) / clockTicks
			}
		}
	}
	if kb, err := rssKB(pid); err == nil {
		u.rss = int64(kb) << 10
	}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		u.fds = len(ents)
	}
	return u
}

// clockTicks is USER_HZ, which Linux fixes at 100 for /proc.
const clockTicks = 100

// machine is the whole machine's CPU and the disk under a directory.
type machine struct {
	busy, total float64 // CPU jiffies, all cores
	flushes     uint64  // cache flushes completed by the disk
	availKB     int64   // MemAvailable
}

func readMachine(disk string) machine {
	var m machine
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		for i, v := range f[1:] {
			x, _ := strconv.ParseFloat(v, 64)
			m.total += x
			if i != 3 && i != 4 { // idle, iowait
				m.busy += x
			}
		}
	}
	if b, err := os.ReadFile("/proc/diskstats"); err == nil && disk != "" {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			// major minor name, then 17 counters: the 16th counts flushes.
			if len(f) >= 19 && f[0]+":"+f[1] == disk {
				m.flushes, _ = strconv.ParseUint(f[18], 10, 64)
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
				m.availKB, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			}
		}
	}
	return m
}

// diskOf names the block device holding dir as "major:minor".
func diskOf(dir string) string {
	var st unix.Stat_t
	if unix.Stat(dir, &st) != nil {
		return ""
	}
	return fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev))
}

// pprofTop summarises a CPU profile with `go tool pprof -top`, keeping
// the first lines.
func pprofTop(profile string, lines int) string {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=40", profile).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("pprof %s: %v: %s", profile, err, out)
	}
	all := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.Join(all[:min(lines, len(all))], "\n")
}
