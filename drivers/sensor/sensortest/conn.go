package sensortest

import (
	"fmt"
	"testing"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"
)

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
