package sds011

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"

	"github.com/xiuhua/xiuhua/drivers/framing"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

// Commands as the host sends them, written out from the protocol's
// layout: AA B4 CMD DATA1..12 FF FF CS AB.
var (
	z10 = make([]byte, 10)

	wWork      = cat([]byte{0xaa, 0xb4, 0x06, 0x01, 0x01}, z10, []byte{0xff, 0xff, 0x06, 0xab})
	wSleep     = cat([]byte{0xaa, 0xb4, 0x06, 0x01, 0x00}, z10, []byte{0xff, 0xff, 0x05, 0xab})
	wQueryMode = cat([]byte{0xaa, 0xb4, 0x02, 0x01, 0x01}, z10, []byte{0xff, 0xff, 0x02, 0xab})
	wActive    = cat([]byte{0xaa, 0xb4, 0x02, 0x01, 0x00}, z10, []byte{0xff, 0xff, 0x01, 0xab})
	wGetMode   = cat([]byte{0xaa, 0xb4, 0x02, 0x00, 0x00}, z10, []byte{0xff, 0xff, 0x00, 0xab})
	wPeriod0   = cat([]byte{0xaa, 0xb4, 0x08, 0x01, 0x00}, z10, []byte{0xff, 0xff, 0x07, 0xab})
	wPeriod5   = cat([]byte{0xaa, 0xb4, 0x08, 0x01, 0x05}, z10, []byte{0xff, 0xff, 0x0c, 0xab})
	wGetPeriod = cat([]byte{0xaa, 0xb4, 0x08, 0x00, 0x00}, z10, []byte{0xff, 0xff, 0x06, 0xab})
	wFirmware  = cat([]byte{0xaa, 0xb4, 0x07, 0x00, 0x00}, z10, []byte{0xff, 0xff, 0x05, 0xab})
	wQuery     = cat([]byte{0xaa, 0xb4, 0x04, 0x00, 0x00}, z10, []byte{0xff, 0xff, 0x02, 0xab})
)

// Replies from a chip whose id is A1 60.
var (
	ackWork      = []byte{0xaa, 0xc5, 0x06, 0x01, 0x01, 0x00, 0xa1, 0x60, 0x09, 0xab}
	ackSleep     = []byte{0xaa, 0xc5, 0x06, 0x01, 0x00, 0x00, 0xa1, 0x60, 0x08, 0xab}
	ackQueryMode = []byte{0xaa, 0xc5, 0x02, 0x01, 0x01, 0x00, 0xa1, 0x60, 0x05, 0xab}
	ackActive    = []byte{0xaa, 0xc5, 0x02, 0x01, 0x00, 0x00, 0xa1, 0x60, 0x04, 0xab}
	ackGetQuery  = []byte{0xaa, 0xc5, 0x02, 0x00, 0x01, 0x00, 0xa1, 0x60, 0x04, 0xab}
	ackPeriod0   = []byte{0xaa, 0xc5, 0x08, 0x01, 0x00, 0x00, 0xa1, 0x60, 0x0a, 0xab}
	ackPeriod5   = []byte{0xaa, 0xc5, 0x08, 0x01, 0x05, 0x00, 0xa1, 0x60, 0x0f, 0xab}
	ackGetP5     = []byte{0xaa, 0xc5, 0x08, 0x00, 0x05, 0x00, 0xa1, 0x60, 0x0e, 0xab}
	// Firmware 2015-07-10.
	ackFirmware = []byte{0xaa, 0xc5, 0x07, 0x0f, 0x07, 0x0a, 0xa1, 0x60, 0x28, 0xab}
)

func writeOp(w []byte) conntest.IO { return conntest.IO{W: w} }

// reads turns chunks into the read operations a Dev must make, in order
// and of exactly those sizes.
var reads = sensortest.Reads

// exchange is a command and the chip's reply, read whole.
func exchange(w, reply []byte) []conntest.IO {
	return []conntest.IO{writeOp(w), {R: reply}}
}

// newOps is the traffic of New, the chip answering each command at once.
func newOps(m Mode, period int) []conntest.IO {
	mode, modeAck := wQueryMode, ackQueryMode
	if m == Active {
		mode, modeAck = wActive, ackActive
	}
	per, perAck := wPeriod0, ackPeriod0
	if period == 5 {
		per, perAck = wPeriod5, ackPeriod5
	}
	return ops(exchange(wWork, ackWork), exchange(mode, modeAck), exchange(per, perAck), exchange(wFirmware, ackFirmware))
}

func ops(groups ...[]conntest.IO) []conntest.IO { return slices.Concat(groups...) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func playback(t *testing.T, ops []conntest.IO) *conntest.Playback { return sensortest.Playback(t, ops) }

// timeoutErr is what a UART conn's error wraps when bytes do not come.
type timeoutErr = sensortest.TimeoutError

// flaky plays ops back with timeouts where asked: see sensortest.Flaky.
type flaky = sensortest.Flaky

// stream is a conn whose chip sends data and then falls silent: see
// sensortest.Stream.
type stream = sensortest.Stream

// stepClock is a clock that moves on a second each time it is read.
type stepClock struct{ t time.Time }

func (c *stepClock) now() time.Time {
	c.t = c.t.Add(time.Second)
	return c.t
}

// devOn returns a Dev on c as New leaves it, without New's traffic, with
// a clock that moves a second per look.
func devOn(c conn.Conn, m Mode) *Dev {
	clk := &stepClock{t: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)}
	return &Dev{c: c, mode: m, maxSkip: DefaultMaxSkip, now: clk.now, rx: framing.Rx{Buf: make([]byte, FrameSize)}}
}
