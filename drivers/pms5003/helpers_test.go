package pms5003

import (
	"bytes"
	"testing"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"

	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

// Commands as the host sends them.
var (
	wPassive = []byte{0x42, 0x4d, 0xe1, 0x00, 0x00, 0x01, 0x70}
	wActive  = []byte{0x42, 0x4d, 0xe1, 0x00, 0x01, 0x01, 0x71}
	wRead    = []byte{0x42, 0x4d, 0xe2, 0x00, 0x00, 0x01, 0x71}
	wSleep   = []byte{0x42, 0x4d, 0xe4, 0x00, 0x00, 0x01, 0x73}
	wWake    = []byte{0x42, 0x4d, 0xe4, 0x00, 0x01, 0x01, 0x74}
)

func writeOp(w []byte) conntest.IO { return conntest.IO{W: w} }

// reads turns chunks into the read operations a Dev must make, in order
// and of exactly those sizes.
func reads(chunks ...[]byte) []conntest.IO {
	ops := make([]conntest.IO, len(chunks))
	for i, c := range chunks {
		ops[i] = conntest.IO{R: c}
	}
	return ops
}

// frameReads is how a Dev reads a frame that starts at a frame boundary:
// start and length, then the rest.
func frameReads(f []byte) []conntest.IO { return reads(f[:4], f[4:]) }

// newOps is the traffic of New in each mode, the chip answering at once.
func newOps(m Mode) []conntest.IO {
	if m == Active {
		return append([]conntest.IO{writeOp(wWake), writeOp(wActive)}, frameReads(ackActive)...)
	}
	return append([]conntest.IO{writeOp(wWake), writeOp(wPassive)}, frameReads(ackPassive)...)
}

func ops(groups ...[]conntest.IO) []conntest.IO {
	var all []conntest.IO
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func playback(t *testing.T, ops []conntest.IO) *conntest.Playback { return sensortest.Playback(t, ops) }

// timeoutErr is what a UART conn's error wraps when bytes do not come.
type timeoutErr = sensortest.TimeoutError

// stream is a conn whose chip sends data and then falls silent: a read
// that wants more than is left gets the rest and then times out, as a
// UART read would. It ignores writes.
type stream struct {
	data []byte
	pos  int
	txs  int
}

func (s *stream) String() string       { return "stream" }
func (s *stream) Duplex() conn.Duplex  { return conn.Full }
func (s *stream) consumed() []byte     { return s.data[:s.pos] }
func (s *stream) Tx(w, r []byte) error { return s.tx(r) }

func (s *stream) tx(r []byte) error {
	s.txs++
	if len(r) == 0 {
		return nil
	}
	if s.pos+len(r) > len(s.data) {
		s.pos = len(s.data)
		return timeoutErr{}
	}
	s.pos += copy(r, s.data[s.pos:])
	return nil
}

// devOn returns a Dev on c as New leaves it, without New's traffic.
func devOn(c conn.Conn, m Mode) *Dev {
	return &Dev{c: c, mode: m, maxSkip: DefaultMaxSkip}
}
