package mosquitto

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// debianBin is where Debian installs mosquitto: /usr/sbin is often not on
// the PATH of a user who is not root.
const debianBin = "/usr/sbin/mosquitto"

// startWait bounds how long Start waits for the broker to accept
// connections: a bound for a loaded machine, not a speed goal.
const startWait = 10 * time.Second

// Opts configures a broker. With only Dir set it is a plain MQTT listener
// on a free port of 127.0.0.1, with anonymous access and no persistence.
type Opts struct {
	// Dir receives the configuration file, mosquitto.conf. It must exist
	// and outlive the broker, which reads it again at each Start.
	// Required by Start; StartTest uses the test's TempDir when empty.
	Dir string
	// Addr is the host:port to listen on; "" picks a free port of
	// 127.0.0.1. Restarts keep the address either way.
	Addr string
	// TLS, when not nil, makes the only listener a TLS one; URL then
	// says ssl://.
	TLS *TLS
	// Extra lines are appended to the configuration, one directive each
	// ("max_queued_messages 0", "log_type error", ...).
	Extra []string
}

// TLS names the PEM files of a TLS listener.
type TLS struct {
	// CAFile verifies client certificates; CertFile and KeyFile are the
	// broker's own. Paths; the broker reads them at each Start.
	CAFile, CertFile, KeyFile string
	// RequireCertificate refuses clients without a certificate that
	// CAFile verifies. false: clients need none.
	RequireCertificate bool
}

// Broker is a running (or stopped) private Mosquitto process. Its methods
// are safe for concurrent use.
type Broker struct {
	bin, conf, addr, scheme string

	mu   sync.Mutex
	cmd  *exec.Cmd     // nil while stopped
	done chan struct{} // closed when cmd has exited and been waited for
	out  *tail         // what the current (or last) process wrote
}

// Start writes the configuration into o.Dir and starts mosquitto on it,
// returning once the broker accepts connections. The caller owns the
// process: Stop or Kill it.
func Start(o Opts) (*Broker, error) {
	if o.Dir == "" {
		return nil, errors.New("mosquitto: Opts.Dir is empty: the configuration needs a directory")
	}
	bin, err := lookBin()
	if err != nil {
		return nil, err
	}
	addr := o.Addr
	if addr == "" {
		if addr, err = freeAddr(); err != nil {
			return nil, err
		}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("mosquitto: address %q: %w", addr, err)
	}
	runAs := ""
	if os.Geteuid() == 0 {
		// Run as root, Mosquitto drops to the mosquitto user, which cannot
		// read files in the caller's private directories (TLS keys): keep
		// it as whoever runs it.
		u, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("mosquitto: who runs the broker: %w", err)
		}
		runAs = u.Username
	}
	conf := filepath.Join(o.Dir, "mosquitto.conf")
	if err := os.WriteFile(conf, []byte(config(host, port, runAs, o)), 0o600); err != nil {
		return nil, fmt.Errorf("mosquitto: write configuration: %w", err)
	}
	b := &Broker{bin: bin, conf: conf, addr: addr, scheme: "tcp://"}
	if o.TLS != nil {
		b.scheme = "ssl://"
	}
	if err := b.Start(); err != nil {
		return nil, err
	}
	return b, nil
}

// config is the text of the configuration: the listener and its TLS
// files, then the settings of every private broker, then o.Extra.
func config(host, port, runAs string, o Opts) string {
	var s strings.Builder
	if runAs != "" {
		fmt.Fprintf(&s, "user %s\n", runAs)
	}
	fmt.Fprintf(&s, "listener %s %s\n", port, host)
	if t := o.TLS; t != nil {
		fmt.Fprintf(&s, "cafile %s\ncertfile %s\nkeyfile %s\n", t.CAFile, t.CertFile, t.KeyFile)
		if t.RequireCertificate {
			s.WriteString("require_certificate true\n")
		}
	}
	s.WriteString("allow_anonymous true\npersistence false\nlog_dest stderr\n")
	for _, l := range o.Extra {
		s.WriteString(l + "\n")
	}
	return s.String()
}

func lookBin() (string, error) {
	bin, err := exec.LookPath("mosquitto")
	if err == nil {
		return bin, nil
	}
	if _, serr := os.Stat(debianBin); serr != nil {
		return "", fmt.Errorf("mosquitto: not installed (not on PATH, not at %s; .ci/run installs it): %w", debianBin, err)
	}
	return debianBin, nil
}

// freeAddr picks a port of 127.0.0.1 that nothing listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("mosquitto: pick a port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Addr is the broker's host:port; it does not change across restarts.
func (b *Broker) Addr() string { return b.addr }

// URL is the broker's address as a paho broker URL: tcp://host:port, or
// ssl://host:port with a TLS listener.
func (b *Broker) URL() string { return b.scheme + b.addr }

// Output is the last few KiB the broker process (the current one, or the
// last one after Stop or Kill) wrote to stdout and stderr.
func (b *Broker) Output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String()
}

// Start starts the broker (again) on its address and returns once it
// accepts connections. Starting a running broker does nothing.
func (b *Broker) Start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd != nil {
		return nil
	}
	out := &tail{}
	cmd := exec.Command(b.bin, "-c", b.conf)
	// One writer for both: exec copies through one pipe, and Wait waits
	// for the copy.
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("mosquitto: start %s: %w", b.bin, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	b.out = out
	for deadline := time.Now().Add(startWait); ; time.Sleep(20 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", b.addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-done:
			return fmt.Errorf("mosquitto: exited at start (%s, configuration %s): %s", cmd.ProcessState, b.conf, out.String())
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			return fmt.Errorf("mosquitto: not listening on %s after %v: %v: %s", b.addr, startWait, err, out.String())
		}
	}
	b.cmd, b.done = cmd, done
	return nil
}

// Stop stops the broker with SIGTERM, a clean shutdown, and waits for the
// process to exit; clients lose their connections. Stopping a stopped
// broker does nothing.
func (b *Broker) Stop() error { return b.signal(syscall.SIGTERM) }

// Kill stops the broker with SIGKILL, a crash or a power cut, and waits
// for the process to exit. Killing a stopped broker does nothing.
func (b *Broker) Kill() error { return b.signal(syscall.SIGKILL) }

func (b *Broker) signal(sig syscall.Signal) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return nil
	}
	if err := b.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("mosquitto: stop (%v): %w", sig, err)
	}
	<-b.done
	b.cmd = nil
	return nil
}

// TB is the part of testing.TB that StartTest uses: this package does not
// import testing, so that the simulator's binary does not carry it.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
	TempDir() string
}

// StartTest starts a broker for a test, with its configuration in
// t.TempDir() unless o.Dir is set, and kills it when the test ends. It
// fails the test when the broker does not start.
func StartTest(t TB, o Opts) *Broker {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	b, err := Start(o)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { b.Kill() })
	return b
}

// tailSize is how much of a broker's output is kept for error messages.
const tailSize = 8 << 10

// tail keeps the last tailSize bytes written to it.
type tail struct {
	mu sync.Mutex
	b  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > tailSize {
		t.b = append(t.b[:0], t.b[len(t.b)-tailSize:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
