package bench

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// AgentMemory runs the agent binary (built into dir) with `sensors` PMS5003
// sensors sampled at 1 Hz against the embedded broker and the collector,
// and reports the median resident set size after a warm-up.
func AgentMemory(dir, agentBin string, sensors int, warmup, measure time.Duration) (Row, error) {
	r, err := newRig(dir)
	if err != nil {
		return Row{}, err
	}
	defer r.close()
	var ports []string
	for i := 0; i < sensors; i++ {
		p, err := r.dustSensor()
		if err != nil {
			return Row{}, err
		}
		ports = append(ports, p)
	}
	cfgPath := filepath.Join(dir, "mem-agent.yaml")
	os.WriteFile(cfgPath, []byte(agentYAML("mem-1", filepath.Join(dir, "mem-outbox.db"), r.broker.URL(), ports, "")), 0o640)
	cmd := exec.Command(agentBin, "--config", cfgPath, "--log-level", "error")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return Row{}, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	time.Sleep(warmup)
	var samples, anon, file []float64
	for end := time.Now().Add(measure); time.Now().Before(end); time.Sleep(time.Second) {
		st, err := procStatus(cmd.Process.Pid)
		if err != nil {
			return Row{}, err
		}
		samples = append(samples, float64(st["VmRSS"])/1024)
		anon, file = append(anon, float64(st["RssAnon"])/1024), append(file, float64(st["RssFile"])/1024)
	}
	d, ok := r.device("mem-1")
	if !ok || d.Received == 0 {
		return Row{}, fmt.Errorf("agent memory: the agent delivered nothing during the run")
	}
	mb := median(samples)
	return Row{Measure: fmt.Sprintf("agent resident memory, %d sensors at 1 Hz", sensors), Value: mb, Unit: "MiB",
		Peer: "limit 15 MB", Ratio: mb * 1024 * 1024 / 15e6, Goal: "≤ 1.00", OK: mb*1024*1024 <= 15e6,
		// What a board must find room for is the anonymous part; the
		// file-backed pages are the binary's and the outbox's mapped
		// file, page cache the kernel may take back.
		Note: fmt.Sprintf("anonymous %.2f MiB (heap, stacks), file-backed %.2f MiB (the binary's code and the outbox's mapped pages)",
			median(anon), median(file))}, nil
}

func rssKB(pid int) (int, error) {
	st, err := procStatus(pid)
	if err != nil {
		return 0, err
	}
	kb, ok := st["VmRSS"]
	if !ok {
		return 0, fmt.Errorf("no VmRSS for pid %d", pid)
	}
	return kb, nil
}

// procStatus returns the kB figures of /proc/pid/status (VmRSS, RssAnon,
// RssFile, ...) by name.
func procStatus(pid int) (map[string]int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), ":")
		v, kB := strings.CutSuffix(strings.TrimSpace(v), " kB")
		if !ok || !kB {
			continue
		}
		if n, err := strconv.Atoi(v); err == nil {
			out[name] = n
		}
	}
	return out, sc.Err()
}
