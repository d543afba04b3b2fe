package framing

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"
)

func rxOf(size int, b ...byte) *Rx {
	r := &Rx{Buf: make([]byte, size)}
	r.N = copy(r.Buf, b)
	return r
}

func TestRxJunk(t *testing.T) {
	start := []byte{0x42, 0x4d}
	tests := []struct {
		name    string
		buf     []byte
		markers [][]byte
		want    int
	}{
		{"empty", nil, [][]byte{start}, 0},
		{"frame start", []byte{0x42, 0x4d, 0x00}, [][]byte{start}, 0},
		{"junk, then a start", []byte{0x01, 0x42, 0x13, 0x42, 0x4d}, [][]byte{start}, 3},
		{"a start cut short by the buffer's end", []byte{0x01, 0x02, 0x42}, [][]byte{start}, 2},
		{"no start", []byte{0x01, 0x4d, 0x42, 0x00}, [][]byte{start}, 4},
		{"either marker", []byte{0x00, 0xaa, 0xc5}, [][]byte{{0xaa, 0xc0}, {0xaa, 0xc5}}, 1},
		{"one-byte marker", []byte{0x00, 0x00, 0xff, 0x07}, [][]byte{{0xff}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rxOf(8, tt.buf...).Junk(tt.markers...); got != tt.want {
				t.Errorf("Junk = %d, want %d", got, tt.want)
			}
		})
	}
}

type timeout struct{}

func (timeout) Error() string { return "read timed out" }
func (timeout) Timeout() bool { return true }

// silence times out every read before playing back.
type silence struct {
	*conntest.Playback
	quiet int
}

func (s *silence) Tx(w, r []byte) error {
	if s.quiet > 0 {
		s.quiet--
		return fmt.Errorf("tty: read: %w", timeout{})
	}
	return s.Playback.Tx(w, r)
}

func TestRxFill(t *testing.T) {
	// Two bytes buffered: Fill asks for exactly the two missing.
	r := rxOf(8, 0x42, 0x4d)
	p := &conntest.Playback{Ops: []conntest.IO{{R: []byte{0x00, 0x1c}}}, D: conn.Full}
	if err := r.Fill(p, 4, nil); err != nil || r.N != 4 || fmt.Sprint(r.Buf[:4]) != "[66 77 0 28]" || p.Count != 1 {
		t.Fatalf("Fill = %v; buffer %v, %d reads", err, r.Buf[:r.N], p.Count)
	}
	if err := r.Fill(p, 4, nil); err != nil || p.Count != 1 {
		t.Errorf("Fill of a full enough buffer = %v after %d reads, want no read", err, p.Count)
	}

	// Nothing buffered: timeouts are sat out while wait says so.
	waits := 0
	wait := func(err error) bool { waits++; return IsTimeout(err) && waits <= 2 }
	s := &silence{Playback: &conntest.Playback{Ops: []conntest.IO{{R: []byte{0x42, 0x4d}}}, D: conn.Full}, quiet: 2}
	r = rxOf(8)
	if err := r.Fill(s, 2, wait); err != nil || r.N != 2 || waits != 2 {
		t.Errorf("Fill after two timeouts = %v, %d bytes, %d waits", err, r.N, waits)
	}
	s = &silence{Playback: &conntest.Playback{}, quiet: 3}
	waits = 0
	if err := rxOf(8).Fill(s, 2, wait); !IsTimeout(err) || waits != 3 {
		t.Errorf("Fill after the third timeout = %v, %d waits; want the timeout", err, waits)
	}
	// Something buffered: a frame's rest is due at once.
	s = &silence{Playback: &conntest.Playback{}, quiet: 1}
	waits = 0
	if err := rxOf(8, 0x42).Fill(s, 2, wait); !IsTimeout(err) || waits != 0 {
		t.Errorf("Fill of a frame's rest = %v, %d waits; want the timeout, unwaited", err, waits)
	}
}

func TestRxDropAndDiscard(t *testing.T) {
	r := rxOf(8, 1, 2, 3, 4, 5)
	r.Drop(2)
	r.Discard(1)
	if fmt.Sprint(r.Buf[:r.N]) != "[4 5]" || r.Garbage.Load() != 1 {
		t.Errorf("buffer %v, garbage %d; want [4 5], 1", r.Buf[:r.N], r.Garbage.Load())
	}
}

// flushable records input flushes and can fail them.
type flushable struct {
	conntest.Playback
	flushes int
	err     error
}

func (f *flushable) ResetInputBuffer() error { f.flushes++; return f.err }

func TestRxFlush(t *testing.T) {
	r := rxOf(8, 1, 2)
	if err := r.Flush(&conntest.Playback{}); err != nil || r.N != 2 {
		t.Errorf("Flush on a conn that cannot = %v, %d bytes left; want nil and the buffer kept", err, r.N)
	}
	f := &flushable{}
	if err := r.Flush(f); err != nil || r.N != 0 || f.flushes != 1 {
		t.Errorf("Flush = %v, %d bytes left, %d flushes", err, r.N, f.flushes)
	}
	r = rxOf(8, 1, 2)
	f.err = errors.New("port gone")
	if err := r.Flush(f); err != f.err || r.N != 2 {
		t.Errorf("failed Flush = %v, %d bytes left; want the error and the buffer kept", err, r.N)
	}
}

func TestHunt(t *testing.T) {
	errBad, errNone := errors.New("pms5003: bad checksum"), errors.New("pms5003: no frame")
	r := rxOf(16, 0, 0, 0, 0x42, 0x4d, 9, 9, 9, 9, 7)
	var h Hunt
	h.Junk(r, 3)
	h.Reject(r)
	h.Pass(r, 5)
	if h.Skipped != 9 || h.Bad != 1 || r.N != 1 || r.Buf[0] != 7 || r.Garbage.Load() != 4 {
		t.Fatalf("hunt %+v, buffer %v, garbage %d", h, r.Buf[:r.N], r.Garbage.Load())
	}
	if err := h.Err(9, errBad, errNone); err != nil {
		t.Errorf("Err within the budget = %v", err)
	}
	if err := h.Err(8, errBad, errNone); !errors.Is(err, errBad) || err.Error() != "pms5003: bad checksum: 1 corrupted frames and no good one in 9 bytes" {
		t.Errorf("Err = %v", err)
	}
	h.Bad = 0
	if err := h.Err(8, errBad, errNone); !errors.Is(err, errNone) || err.Error() != "pms5003: no frame in 9 bytes" {
		t.Errorf("Err with no bad frame = %v", err)
	}
}

func TestIsTimeout(t *testing.T) {
	if !IsTimeout(fmt.Errorf("tty: read /dev/ttyS0: %w", timeout{})) || IsTimeout(errors.New("EOF")) || IsTimeout(nil) {
		t.Error("IsTimeout")
	}
}

func TestSitOut(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	idle := 2
	wait := SitOut(ctx, &idle)
	if wait(errors.New("EOF")) || idle != 2 {
		t.Errorf("sat out a read error that is no timeout (%d left)", idle)
	}
	if !wait(timeout{}) || !wait(timeout{}) || wait(timeout{}) || idle != 0 {
		t.Errorf("want two timeouts sat out and the third not, %d left", idle)
	}
	idle = 1
	cancel()
	if wait(timeout{}) || idle != 1 {
		t.Errorf("sat out a timeout after ctx ended (%d left)", idle)
	}
	if SitOut(context.Background(), nil)(timeout{}) {
		t.Error("a nil count sat out a timeout")
	}
}
