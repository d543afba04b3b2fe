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
	var samples []float64
	for end := time.Now().Add(measure); time.Now().Before(end); time.Sleep(time.Second) {
		kb, err := rssKB(cmd.Process.Pid)
		if err != nil {
			return Row{}, err
		}
		samples = append(samples, float64(kb)/1024)
	}
	d, ok := r.device("mem-1")
	if !ok || d.Received == 0 {
		return Row{}, fmt.Errorf("agent memory: the agent delivered nothing during the run")
	}
	mb := median(samples)
	return Row{Measure: fmt.Sprintf("agent resident memory, %d sensors at 1 Hz", sensors), Value: mb, Unit: "MiB",
		Peer: "limit 15 MB", Ratio: mb * 1024 * 1024 / 15e6, Goal: "≤ 1.00", OK: mb*1024*1024 <= 15e6}, nil
}

func rssKB(pid int) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}
