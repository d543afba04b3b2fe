package chip

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/drivers/tty"
)

func openPTY(t *testing.T) *PTY {
	t.Helper()
	p, err := OpenPTY()
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestPTYRaw(t *testing.T) {
	p := openPTY(t)
	port, err := tty.Open(p.SlavePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()

	// Chip to driver: every byte value arrives as sent, and nothing is
	// echoed back to the chip.
	if _, err := p.Master.Write(allBytes()); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 256)
	if err := port.Tx(nil, got); err != nil {
		t.Fatalf("driver read: %v", err)
	}
	if !bytes.Equal(got, allBytes()) {
		t.Errorf("driver read % x", got)
	}

	// Driver to chip: the same.
	if err := port.Tx(allBytes(), nil); err != nil {
		t.Fatal(err)
	}
	p.Master.SetReadDeadline(time.Now().Add(5 * time.Second))
	got = make([]byte, 256)
	if _, err := io.ReadFull(p.Master, got); err != nil {
		t.Fatalf("chip read: %v", err)
	}
	if !bytes.Equal(got, allBytes()) {
		t.Errorf("chip read % x", got)
	}
	p.Master.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := p.Master.Read(got); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("chip read % x, %v after the driver's bytes; want nothing (no echo)", got[:n], err)
	}
}

func TestPTYNoEIOWithoutDriver(t *testing.T) {
	p := openPTY(t)
	port, err := tty.Open(p.SlavePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	port.Close()
	p.Master.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := p.Master.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("master read after the driver left = %v, want a deadline error", err)
	}
	// And a driver can come back.
	port, err = tty.Open(p.SlavePath, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	port.Close()
}

func TestPTYCloseUnblocks(t *testing.T) {
	p := openPTY(t)
	errc := make(chan error, 1)
	go func() {
		_, err := p.Master.Read(make([]byte, 1))
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("blocked read = %v, want os.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a blocked master read")
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestPTYWriteBlocks documents why emulators must not write from their
// main loop: with nobody reading the slave, master writes stop after a
// few kilobytes.
func TestPTYWriteBlocks(t *testing.T) {
	p := openPTY(t)
	p.Master.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	total := 0
	chunk := make([]byte, 32)
	for {
		n, err := p.Master.Write(chunk)
		total += n
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("write: %v", err)
			}
			break
		}
		if total > 1<<20 {
			t.Fatal("master took a megabyte with nobody reading")
		}
	}
	t.Logf("master took %d bytes before blocking", total)
}
