package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the binaries the process tests run, built once per test
// binary.
var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds (once) and returns the path of one of our commands.
func binary(t *testing.T, name string) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "xiuhua-e2e-bin-")
		if binErr != nil {
			return
		}
		for pkg, out := range map[string]string{
			"../../agent/cmd/xiuhua-agent":     "xiuhua-agent",
			"../../cloud/cmd/xiuhua-collector": "xiuhua-collector",
			"../../simulator/cmd/xiuhua-sim":   "xiuhua-sim",
		} {
			if b, err := exec.Command("go", "build", "-o", filepath.Join(binDir, out), pkg).CombinedOutput(); err != nil {
				binErr = fmt.Errorf("build %s: %v\n%s", pkg, err, b)
				return
			}
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return filepath.Join(binDir, name)
}

// proc is a child process whose stderr is kept for the failure report.
type proc struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  strings.Builder
	done chan struct{}
	err  error
}

func startProc(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
		io.Copy(io.Discard, stderr)
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// kill sends SIGKILL, as a power cut would, and waits for the exit.
func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and waits up to 15 s for a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			t.Fatalf("%s exited with %v after SIGTERM:\n%s", p.name, p.err, p.output())
		}
	case <-time.After(15 * time.Second):
		p.kill()
		t.Fatalf("%s did not stop within 15 s of SIGTERM:\n%s", p.name, p.output())
	}
}

var httpAddrRE = regexp.MustCompile(`collector: started"? http=(\S+)`)

// httpAddr waits for the collector's start line and returns its API address.
func (p *proc) httpAddr(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if m := httpAddrRE.FindStringSubmatch(p.output()); m != nil {
			return m[1]
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited: %v\n%s", p.name, p.err, p.output())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("%s printed no start line in 15 s:\n%s", p.name, p.output())
	return ""
}

// brokerProc is the embedded broker run as its own process. The end-to-end
// tests run it out of process: mochi v2.7.9 reads a retained topic's path
// without its lock while another client retains (TopicsIndex.scanMessages
// against RetainMessage), which the race detector rightly reports in any
// test binary that embeds it; out of process, it is the real broker a
// deployment would run, and our code is what -race watches.
type brokerProc struct {
	t    *testing.T
	addr string
	p    *proc
}

// startBroker starts a broker on a free loopback port.
func startBroker(t *testing.T) *brokerProc {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	b := &brokerProc{t: t, addr: addr}
	b.start()
	return b
}

func (b *brokerProc) start() {
	b.t.Helper()
	b.p = startProc(b.t, "broker", binary(b.t, "xiuhua-sim"), "broker", "--listen", b.addr)
	waitFor(b.t, "broker listening on "+b.addr, 10*time.Second, func() (bool, string) {
		c, err := net.DialTimeout("tcp", b.addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil, b.p.output()
	})
}

// URL is the broker's address as a paho broker URL.
func (b *brokerProc) URL() string { return "tcp://" + b.addr }

// restart cuts the broker's power and starts it again on the same address.
func (b *brokerProc) restart() {
	b.p.kill()
	b.start()
}
