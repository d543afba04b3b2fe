package chip

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

func TestLine(t *testing.T) {
	chipEnd, host := net.Pipe()
	defer chipEnd.Close()
	defer host.Close()
	var (
		mu sync.Mutex
		st LineState
	)
	set := func(s LineState) { mu.Lock(); st = s; mu.Unlock() }
	l := NewLine(chipEnd, func() LineState { mu.Lock(); defer mu.Unlock(); return st })

	send := func(b []byte) []byte {
		t.Helper()
		go l.Write(b)
		got := make([]byte, len(b))
		host.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(host, got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	frame := []byte{0xff, 0x07, 0xd0, 0xd6}
	if got := send(frame); !bytes.Equal(got, frame) {
		t.Errorf("good line: % x", got)
	}
	set(LineState{Garbage: []byte{0x3c, 0x00, 0xff}})
	if got := send(frame); !bytes.Equal(got, []byte{0x3c, 0x00, 0xff, 0x3c}) {
		t.Errorf("garbled: % x, want the garbage repeated to 4 bytes", got)
	}
	if got := send([]byte{1, 2}); !bytes.Equal(got, []byte{0x3c, 0x00}) {
		t.Errorf("garbled again: % x, want the same garbage cut to 2 bytes", got)
	}

	set(LineState{Silent: true})
	if n, err := l.Write(frame); n != 4 || err != nil {
		t.Errorf("silent write = %d, %v; want 4 written, as far as the chip knows", n, err)
	}
	host.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := host.Read(make([]byte, 4)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("host read %d bytes, %v on a silent line", n, err)
	}
	// The host's bytes are lost while the line is silent; Read waits for
	// more, and a deadline ends the wait.
	go host.Write([]byte{0x55, 0x55})
	readErr := make(chan error, 1)
	go func() {
		n, err := l.Read(make([]byte, 8))
		if err == nil {
			err = errors.New("read " + string(rune('0'+n)) + " bytes")
		}
		readErr <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); l.Stats().Lost < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the host's bytes never reached the silent line: %+v", l.Stats())
		}
	}
	l.SetReadDeadline(time.Unix(1, 0))
	if err := <-readErr; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("chip read on a silent line: %v, want it waiting until the deadline", err)
	}
	l.SetReadDeadline(time.Time{})
	set(LineState{})
	go host.Write([]byte{0x01})
	got := make([]byte, 8)
	if n, err := l.Read(got); err != nil || n != 1 || got[0] != 0x01 {
		t.Errorf("chip read % x, %v on a good line again", got[:n], err)
	}
	if s := l.Stats(); s != (LineStats{Garbled: 2, Dropped: 1, Lost: 2}) {
		t.Errorf("stats %+v", s)
	}
	if err := NewLine(&bytes.Buffer{}, nil).SetWriteDeadline(time.Now()); err == nil {
		t.Error("a line over a buffer claims deadlines")
	}
}

type echoDev struct{}

func (echoDev) Tx(w, r []byte) error { copy(r, w); return nil }

func TestPlug(t *testing.T) {
	b := NewI2CBus("1")
	present := true
	b.Attach(0x48, Plug(echoDev{}, func() bool { return present }))
	r := make([]byte, 1)
	if err := b.Tx(0x48, []byte{7}, r); err != nil || r[0] != 7 {
		t.Fatalf("plugged: % x, %v", r, err)
	}
	present = false
	if err := b.Tx(0x48, []byte{7}, r); err == nil || err.Error() != "i2c 1: no device answers at 0x48 (NACK)" {
		t.Errorf("unplugged: %v", err)
	}
}
