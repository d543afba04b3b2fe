package tty

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/creack/pty"
	"periph.io/x/conn/v3"
)

// openPTY returns a pseudo-terminal's master and a Port on its slave. The
// test keeps its own slave descriptor open until cleanup so that the
// master never reads EIO while the Port is closed.
func openPTY(t *testing.T, opts *Opts) (*os.File, *Port) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	p, err := Open(slave.Name(), opts)
	if err != nil {
		master.Close()
		slave.Close()
		t.Fatalf("Open(%s): %v", slave.Name(), err)
	}
	t.Cleanup(func() {
		p.Close()
		// Closing the last slave descriptor makes a master read that is
		// still blocked return EIO, so close the slave before the master.
		slave.Close()
		master.Close()
	})
	return master, p
}

// allBytes holds every byte value, including the ones a cooked terminal
// would eat or translate (CR, LF, ^C, ^Q, ^S, DEL).
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestTxReads(t *testing.T) {
	tests := []struct {
		name   string
		chunks [][]byte // written to the master, with a pause between
	}{
		{"one write", [][]byte{{0x42, 0x4d, 0x00, 0x1c}}},
		{"split over three writes", [][]byte{{0x42}, {0x4d, 0x00}, {0x1c, 0x0d, 0x0a}}},
		{"every byte value", [][]byte{allBytes()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			master, p := openPTY(t, &Opts{ReadTimeout: 5 * time.Second})
			want := bytes.Join(tt.chunks, nil)
			errc := make(chan error, 1)
			go func() {
				for _, c := range tt.chunks {
					if _, err := master.Write(c); err != nil {
						errc <- err
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
				errc <- nil
			}()
			got := make([]byte, len(want))
			if err := p.Tx(nil, got); err != nil {
				t.Fatalf("Tx: %v", err)
			}
			if err := <-errc; err != nil {
				t.Fatalf("write master: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("read % x, want % x", got, want)
			}
		})
	}
}

func TestTxWritesReachMaster(t *testing.T) {
	master, p := openPTY(t, nil)
	want := allBytes()
	got := make(chan []byte, 1)
	go func() {
		b := make([]byte, len(want))
		n, _ := io.ReadFull(master, b)
		got <- b[:n]
	}()
	if err := p.Tx(want, nil); err != nil {
		t.Fatalf("Tx: %v", err)
	}
	select {
	case b := <-got:
		if !bytes.Equal(b, want) {
			t.Errorf("master read % x, want % x", b, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("master got nothing")
	}
}

func TestTxWriteThenRead(t *testing.T) {
	master, p := openPTY(t, nil)
	cmd := []byte{0x42, 0x4d, 0xe2, 0x00, 0x00, 0x01, 0x71}
	reply := []byte{0x42, 0x4d, 0x00, 0x04, 0xe1, 0x00, 0x01, 0x74}
	go func() {
		b := make([]byte, len(cmd))
		if _, err := io.ReadFull(master, b); err == nil && bytes.Equal(b, cmd) {
			master.Write(reply)
		}
	}()
	got := make([]byte, len(reply))
	if err := p.Tx(cmd, got); err != nil {
		t.Fatalf("Tx: %v", err)
	}
	if !bytes.Equal(got, reply) {
		t.Errorf("got % x, want % x", got, reply)
	}
}

func TestTxTimeout(t *testing.T) {
	tests := []struct {
		name  string
		early []byte // written before the Tx; fewer than it wants
	}{
		{"nothing arrives", nil},
		{"part arrives", []byte{0x42, 0x4d}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			master, p := openPTY(t, &Opts{ReadTimeout: 100 * time.Millisecond})
			if tt.early != nil {
				if _, err := master.Write(tt.early); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			err := p.Tx(nil, make([]byte, 4))
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("Tx = %v, want ErrTimeout", err)
			}
			var te interface{ Timeout() bool }
			if !errors.As(err, &te) || !te.Timeout() {
				t.Errorf("%v does not report Timeout()", err)
			}
			if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
				t.Errorf("timed out after %v, want about 100ms", d)
			}
		})
	}
}

func TestResetInputBuffer(t *testing.T) {
	master, p := openPTY(t, &Opts{ReadTimeout: 2 * time.Second})
	if _, err := master.Write([]byte("stale")); err != nil {
		t.Fatal(err)
	}
	// The pty moves bytes to the slave's queue asynchronously: wait until
	// the stale bytes are there before flushing them.
	time.Sleep(50 * time.Millisecond)
	if err := p.ResetInputBuffer(); err != nil {
		t.Fatalf("ResetInputBuffer: %v", err)
	}
	if _, err := master.Write([]byte("new")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 3)
	if err := p.Tx(nil, got); err != nil {
		t.Fatalf("Tx: %v", err)
	}
	if string(got) != "new" {
		t.Errorf("got %q after flush, want %q", got, "new")
	}
}

func TestClose(t *testing.T) {
	_, p := openPTY(t, &Opts{ReadTimeout: time.Minute})
	errc := make(chan error, 1)
	go func() { errc <- p.Tx(nil, make([]byte, 1)) }()
	time.Sleep(50 * time.Millisecond)
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("pending Tx = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a pending Tx")
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := p.Tx([]byte{1}, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Tx after Close = %v, want ErrClosed", err)
	}
}

func TestPortIdentity(t *testing.T) {
	_, p := openPTY(t, nil)
	if p.Duplex() != conn.Full {
		t.Errorf("Duplex = %v, want Full", p.Duplex())
	}
	if p.String() == "" || p.String()[:5] != "/dev/" {
		t.Errorf("String = %q, want the device path", p.String())
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		path string
		opts *Opts
	}{
		{"missing device", "/dev/does-not-exist-xiuhua", nil},
		{"not a terminal", os.DevNull, nil},
		{"negative baud", "/dev/ptmx", &Opts{Baud: -1}},
		{"negative timeout", "/dev/ptmx", &Opts{ReadTimeout: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Open(tt.path, tt.opts)
			if err == nil {
				p.Close()
				t.Fatalf("Open(%s) succeeded", tt.path)
			}
			if !bytes.HasPrefix([]byte(err.Error()), []byte("tty: open ")) {
				t.Errorf("error %q lacks the tty: open prefix", err)
			}
		})
	}
}
