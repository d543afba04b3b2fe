package pms5003

import (
	"bytes"
	"slices"
	"testing"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"

	"github.com/xiuhua/xiuhua/drivers/framing"
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
var reads = sensortest.Reads

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

func ops(groups ...[]conntest.IO) []conntest.IO { return slices.Concat(groups...) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func playback(t *testing.T, ops []conntest.IO) *conntest.Playback { return sensortest.Playback(t, ops) }

// timeoutErr is what a UART conn's error wraps when bytes do not come.
type timeoutErr = sensortest.TimeoutError

// stream is a conn whose chip sends data and then falls silent: see
// sensortest.Stream.
type stream = sensortest.Stream

// devOn returns a Dev on c as New leaves it, without New's traffic.
func devOn(c conn.Conn, m Mode) *Dev {
	return &Dev{c: c, mode: m, maxSkip: DefaultMaxSkip, rx: framing.Rx{Buf: make([]byte, FrameSize)}}
}
