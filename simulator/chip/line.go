package chip

import (
	"errors"
	"io"
	"sync"
	"time"
)

// LineState is what a UART line does to the bytes crossing it.
type LineState struct {
	// Silent passes nothing either way: the sensor is unplugged, or its
	// A/B pair or its supply is cut.
	Silent bool
	// Garbage, when not empty, replaces each write of the chip by these
	// bytes, repeated or cut to the write's length: noise on the line, a
	// loose ground. Every write becomes the same bytes, so what a driver
	// reads does not depend on when it started reading.
	Garbage []byte
}

// LineStats counts what a Line did to the traffic.
type LineStats struct {
	Garbled uint64 // chip writes replaced by garbage
	Dropped uint64 // chip writes lost on a silent line
	Lost    uint64 // host bytes lost on a silent line
}

// Line is the UART line between an emulated chip and the host: an
// io.ReadWriter over the chip's end (a PTY's master) through which a
// scenario injects faults. Serve the chip on the Line instead of the
// master. The line asks state for its condition on every read and write.
//
// Line passes SetReadDeadline and SetWriteDeadline through, so that
// ServeUART can end its blocked calls as it does on the master itself.
type Line struct {
	rw    io.ReadWriter
	state func() LineState

	mu    sync.Mutex
	stats LineStats
}

// NewLine returns a line over rw whose condition state gives; nil state
// means a good line.
func NewLine(rw io.ReadWriter, state func() LineState) *Line {
	if state == nil {
		state = func() LineState { return LineState{} }
	}
	return &Line{rw: rw, state: state}
}

// Stats returns what the line has done to the traffic.
func (l *Line) Stats() LineStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// Read reads what the host sent; on a silent line it is lost and Read
// waits for more.
func (l *Line) Read(p []byte) (int, error) {
	for {
		n, err := l.rw.Read(p)
		if err != nil || n == 0 || !l.state().Silent {
			return n, err
		}
		l.count(func(s *LineStats) { s.Lost += uint64(n) })
	}
}

// Write sends the chip's bytes to the host, garbled or dropped as the
// line's state says. It reports len(p) written either way: a chip's
// transmitter does not know what became of its bytes.
func (l *Line) Write(p []byte) (int, error) {
	st := l.state()
	switch {
	case st.Silent:
		l.count(func(s *LineStats) { s.Dropped++ })
		return len(p), nil
	case len(st.Garbage) > 0:
		g := make([]byte, len(p))
		for i := range g {
			g[i] = st.Garbage[i%len(st.Garbage)]
		}
		l.count(func(s *LineStats) { s.Garbled++ })
		if _, err := l.rw.Write(g); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return l.rw.Write(p)
}

func (l *Line) count(f func(*LineStats)) {
	l.mu.Lock()
	f(&l.stats)
	l.mu.Unlock()
}

var errNoDeadlines = errors.New("chip: the line's end has no deadlines")

// SetReadDeadline sets the read deadline of the chip's end, when it has
// deadlines.
func (l *Line) SetReadDeadline(t time.Time) error {
	if d, ok := l.rw.(deadliner); ok {
		return d.SetReadDeadline(t)
	}
	return errNoDeadlines
}

// SetWriteDeadline sets the write deadline of the chip's end, when it has
// deadlines.
func (l *Line) SetWriteDeadline(t time.Time) error {
	if d, ok := l.rw.(deadliner); ok {
		return d.SetWriteDeadline(t)
	}
	return errNoDeadlines
}
