package ultrasonic

import (
	"bytes"
	"slices"
	"testing"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/framing"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

// Frames written out from the layout FF H L SUM, SUM = (0xFF+H+L)&0xFF.
var (
	// The DFRobot wiki's example: 0x07A1 = 1953 mm.
	f1953 = []byte{0xff, 0x07, 0xa1, 0xa7}
	f1946 = []byte{0xff, 0x07, 0x9a, 0xa0}
	f1950 = []byte{0xff, 0x07, 0x9e, 0xa4}
	f1960 = []byte{0xff, 0x07, 0xa8, 0xae}
	f1500 = []byte{0xff, 0x05, 0xdc, 0xe0}
	f25   = []byte{0xff, 0x00, 0x19, 0x18} // inside the blind zone
	f5000 = []byte{0xff, 0x13, 0x88, 0x9a} // beyond the A02YYUW's range
	// 1953 mm with the AJ-SR04M checksum H+L = 0xA8.
	f1953NoHeader = []byte{0xff, 0x07, 0xa1, 0xa8}
)

const mm = physic.MilliMetre

var trig = []byte{0x55}

func writeOp(w []byte) conntest.IO { return conntest.IO{W: w} }

// reads turns chunks into the read operations a Dev must make, in order
// and of exactly those sizes.
var reads = sensortest.Reads

// triggered is the traffic of one triggered frame.
func triggered(f []byte) []conntest.IO { return []conntest.IO{writeOp(trig), {R: f}} }

func ops(groups ...[]conntest.IO) []conntest.IO { return slices.Concat(groups...) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func playback(t *testing.T, ops []conntest.IO) *conntest.Playback { return sensortest.Playback(t, ops) }

// timeoutErr is what a UART conn's error wraps when bytes do not come.
type timeoutErr = sensortest.TimeoutError

// flaky plays ops back with timeouts where asked: see sensortest.Flaky.
type flaky = sensortest.Flaky

// stream is a conn whose board sends data and then falls silent: see
// sensortest.Stream.
type stream = sensortest.Stream

// devOn returns a Dev on c as New leaves it for opts, without New's probe.
func devOn(c conn.Conn, trigger bool) *Dev {
	d := &Dev{c: c, min: DefaultMin, max: DefaultMax, maxSkip: DefaultMaxSkip, rx: framing.Rx{Buf: make([]byte, FrameSize)}}
	if trigger {
		d.trigger = trig
	}
	return d
}
