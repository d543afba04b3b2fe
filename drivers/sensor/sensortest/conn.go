package sensortest

import (
	"errors"
	"fmt"
	"testing"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"
)

// Port is a serial port for a test: a conn (a Playback, a Flaky, a
// Stream) with the Close a sensor.Port needs, which it counts.
type Port struct {
	conn.Conn
	Closes int
}

// Close implements sensor.Port: it counts, and closes nothing.
func (p *Port) Close() error { p.Closes++; return nil }

// Playback returns a UART conn that replays ops and fails the test at
// cleanup unless every one of them was used.
func Playback(t testing.TB, ops []conntest.IO) *conntest.Playback {
	t.Helper()
	p := &conntest.Playback{Ops: ops, D: conn.Full, DontPanic: true}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// Reads turns chunks into the read operations a driver must make, in
// order and of exactly those sizes.
func Reads(chunks ...[]byte) []conntest.IO {
	ops := make([]conntest.IO, len(chunks))
	for i, c := range chunks {
		ops[i] = conntest.IO{R: c}
	}
	return ops
}

// TimeoutError is what a UART conn's error wraps when bytes do not come,
// as drivers/tty's does.
type TimeoutError struct{}

func (TimeoutError) Error() string { return "test: read timed out" }

// Timeout marks the error as a timeout for drivers that ask.
func (TimeoutError) Timeout() bool { return true }

// Flaky plays ops back, except that a read times out when it comes before
// op i, once for each count Before[i], and every read after the last op
// times out: the device has fallen silent.
type Flaky struct {
	*conntest.Playback
	Before map[int]int
}

// Tx implements conn.Conn.
func (f *Flaky) Tx(w, r []byte) error {
	if len(r) > 0 && len(w) == 0 {
		if f.Before[f.Count] > 0 {
			f.Before[f.Count]--
			return fmt.Errorf("tty: read /dev/ttyTEST: %w", TimeoutError{})
		}
		if f.Count == len(f.Ops) {
			return fmt.Errorf("tty: read /dev/ttyTEST: %w", TimeoutError{})
		}
	}
	return f.Playback.Tx(w, r)
}

// Stream is a conn whose device sends Data and then falls silent: a read
// that wants more than is left gets the rest and then times out, as a
// UART read would. It ignores writes.
type Stream struct {
	Data []byte
	Pos  int // how many bytes of Data were read
}

func (s *Stream) String() string      { return "stream" }
func (s *Stream) Duplex() conn.Duplex { return conn.Full }

// Consumed returns the bytes read so far.
func (s *Stream) Consumed() []byte { return s.Data[:s.Pos] }

// Tx implements conn.Conn.
func (s *Stream) Tx(w, r []byte) error {
	if len(r) == 0 {
		return nil
	}
	if s.Pos+len(r) > len(s.Data) {
		s.Pos = len(s.Data)
		return TimeoutError{}
	}
	s.Pos += copy(r, s.Data[s.Pos:])
	return nil
}

// FlushStream is a Stream on a port that can discard its input, as
// drivers/tty's can. It counts the calls and discards nothing, so that a
// test sees what the driver reads after a flush.
type FlushStream struct {
	Stream
	Flushes int
}

// ResetInputBuffer counts a flush.
func (s *FlushStream) ResetInputBuffer() error { s.Flushes++; return nil }

// GiveUpCase is a byte stream in which a reader finds no frame it wants.
type GiveUpCase struct {
	Name string
	Data []byte
	Want error // what the read's error must wrap
}

// RunGiveUpCases runs each case as a subtest: read, on a Stream of the
// case's data, must fail with the case's error having read at most max
// bytes (the reader's skip budget and the frame it was looking at).
func RunGiveUpCases(t *testing.T, max int, read func(conn.Conn) error, cases []GiveUpCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			s := &Stream{Data: c.Data}
			if err := read(s); !errors.Is(err, c.Want) {
				t.Fatalf("Read = %v, want %v", err, c.Want)
			}
			if s.Pos > max {
				t.Errorf("read %d bytes before giving up, want ≤ %d", s.Pos, max)
			}
		})
	}
}
