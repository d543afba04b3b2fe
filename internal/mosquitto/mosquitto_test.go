package mosquitto

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// connect sends an MQTT 3.1.1 CONNECT (clean session, keep-alive 60 s,
// client id mosquitto-test) to addr and requires the CONNACK that accepts
// it, byte for byte; then it disconnects.
func connect(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	id := "mosquitto-test"
	pkt := append([]byte{0x10, byte(12 + len(id)), 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, byte(len(id))}, id...)
	if _, err := c.Write(pkt); err != nil {
		t.Fatalf("write CONNECT: %v", err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read CONNACK: %v", err)
	}
	if want := []byte{0x20, 2, 0, 0}; !bytes.Equal(got, want) {
		t.Fatalf("CONNACK % x, want % x (accepted)", got, want)
	}
	if _, err := c.Write([]byte{0xe0, 0}); err != nil {
		t.Fatalf("write DISCONNECT: %v", err)
	}
}

// gone checks that process pid has exited and been reaped, and that
// nothing listens on addr any more.
func gone(t *testing.T, pid int, addr string) {
	t.Helper()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("signal 0 to mosquitto's pid %d: %v, want ESRCH (no such process)", pid, err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections", addr)
	}
}

func (b *Broker) pid() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cmd.Process.Pid
}

// A broker on a port Start picks speaks MQTT, logs the client, and is
// gone after Stop; Stop again does nothing.
func TestStartConnectStop(t *testing.T) {
	b, err := Start(Opts{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Kill()
	host, port, err := net.SplitHostPort(b.Addr())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr %q (%v), want 127.0.0.1 and a port", b.Addr(), err)
	}
	if b.URL() != "tcp://"+b.Addr() {
		t.Errorf("URL %q, want tcp://%s", b.URL(), b.Addr())
	}
	connect(t, b.Addr())
	pid := b.pid()
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	gone(t, pid, b.Addr())
	if out := b.Output(); !strings.Contains(out, "New client connected from 127.0.0.1") ||
		!strings.Contains(out, " as mosquitto-test ") || !strings.Contains(out, "terminating") {
		t.Errorf("output lacks the client's connection or the shutdown:\n%s", out)
	}
	if err := b.Stop(); err != nil {
		t.Errorf("Stop of a stopped broker: %v", err)
	}
}

// Kill crashes the broker; Start brings it back on the same address, and
// StartTest's cleanup kills what runs when the test ends.
func TestKillAndStartKeepAddress(t *testing.T) {
	var b *Broker
	var pid int
	t.Run("run", func(t *testing.T) {
		b = StartTest(t, Opts{})
		first := b.pid()
		if err := b.Kill(); err != nil {
			t.Fatal(err)
		}
		gone(t, first, b.Addr())
		addr := b.Addr()
		if err := b.Start(); err != nil {
			t.Fatal(err)
		}
		if b.Addr() != addr {
			t.Errorf("Addr %s after a restart, want %s", b.Addr(), addr)
		}
		connect(t, addr)
		pid = b.pid()
	})
	gone(t, pid, b.Addr())
}

// A configuration mosquitto refuses fails Start with mosquitto's own
// words, and leaves no process behind.
func TestBadConfigSaysWhy(t *testing.T) {
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, err = Start(Opts{Dir: dir, Addr: addr, Extra: []string{"no_such_option 1"}})
	if err == nil {
		t.Fatal("Start with an unknown option succeeded")
	}
	for _, want := range []string{"mosquitto: exited at start (exit status 3, configuration " + dir + "/mosquitto.conf)",
		`Error: Unknown configuration variable "no_such_option".`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\nlacks %q", err, want)
		}
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s accepts connections after a failed start", addr)
	}
	if _, err := Start(Opts{}); err == nil || err.Error() != "mosquitto: Opts.Dir is empty: the configuration needs a directory" {
		t.Errorf("Start without Dir: %v", err)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name, runAs string
		o           Opts
		want        string
	}{
		{"plain", "", Opts{},
			"listener 1884 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n"},
		{"as root, extra lines", "root", Opts{Extra: []string{"max_queued_messages 0", "log_type error"}},
			"user root\nlistener 1884 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n" +
				"max_queued_messages 0\nlog_type error\n"},
		{"TLS", "", Opts{TLS: &TLS{CAFile: "/d/ca.pem", CertFile: "/d/s.pem", KeyFile: "/d/s.key"}},
			"listener 1884 127.0.0.1\ncafile /d/ca.pem\ncertfile /d/s.pem\nkeyfile /d/s.key\n" +
				"allow_anonymous true\npersistence false\nlog_dest stderr\n"},
		{"TLS with client certificates", "", Opts{TLS: &TLS{CAFile: "/d/ca.pem", CertFile: "/d/s.pem", KeyFile: "/d/s.key", RequireCertificate: true}},
			"listener 1884 127.0.0.1\ncafile /d/ca.pem\ncertfile /d/s.pem\nkeyfile /d/s.key\nrequire_certificate true\n" +
				"allow_anonymous true\npersistence false\nlog_dest stderr\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := config("127.0.0.1", "1884", tt.runAs, tt.o); got != tt.want {
				t.Errorf("config:\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestTailKeepsTheLast(t *testing.T) {
	var tl tail
	tl.Write(bytes.Repeat([]byte("a"), tailSize))
	tl.Write([]byte("\nlast line\n"))
	got := tl.String()
	if len(got) != tailSize-len("\nlast line\n")+len("\nlast line") || !strings.HasSuffix(got, "a\nlast line") {
		t.Errorf("tail of %d bytes ending %q", len(got), got[max(0, len(got)-20):])
	}
}
