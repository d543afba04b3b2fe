package ld2410

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

// Reports written out from the layout: header, length 13, type 02, head
// AA, state, moving cm (LE), energy, stationary cm (LE), energy,
// detection cm (LE), tail 55, check 00, footer.
var (
	hdr = []byte{0xf4, 0xf3, 0xf2, 0xf1}
	ftr = []byte{0xf8, 0xf7, 0xf6, 0xf5}

	// Someone walking 1.50 m away.
	repMoving = cat(hdr, []byte{0x0d, 0x00, 0x02, 0xaa, 0x01, 0x96, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x96, 0x00, 0x55, 0x00}, ftr)
	// Moving at 2.30 m, still at 1.20 m.
	repBoth = cat(hdr, []byte{0x0d, 0x00, 0x02, 0xaa, 0x03, 0xe6, 0x00, 0x2d, 0x78, 0x00, 0x46, 0xe6, 0x00, 0x55, 0x00}, ftr)
	// Someone standing 0.85 m away: 85 = 0x55, the tail byte's value,
	// inside the payload.
	repStill = cat(hdr, []byte{0x0d, 0x00, 0x02, 0xaa, 0x02, 0x00, 0x00, 0x00, 0x55, 0x00, 0x21, 0x55, 0x00, 0x55, 0x00}, ftr)
	// Nobody.
	repNone = cat(hdr, []byte{0x0d, 0x00, 0x02, 0xaa, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x55, 0x00}, ftr)
	// A moving target 8.00 m away, beyond any gate.
	repFar = cat(hdr, []byte{0x0d, 0x00, 0x02, 0xaa, 0x01, 0x20, 0x03, 0x14, 0x00, 0x00, 0x00, 0x20, 0x03, 0x55, 0x00}, ftr)
	// Engineering mode: type 01, the basic fields (still at 0.95 m), max
	// gates 8 and 8, nine moving and nine still energies, 55 00.
	repEng = cat(hdr, []byte{0x21, 0x00, 0x01, 0xaa, 0x02, 0x00, 0x00, 0x00, 0x5f, 0x00, 0x32, 0x5f, 0x00, 0x08, 0x08,
		0x05, 0x03, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x0a, 0x14, 0x32, 0x0c, 0x03, 0x01, 0x00, 0x00, 0x00,
		0x55, 0x00}, ftr)
)

var (
	wantMoving = Report{State: Moving, MovingDistance: 1500 * mm, MovingEnergy: 60, DetectionDistance: 1500 * mm}
	wantBoth   = Report{State: Both, MovingDistance: 2300 * mm, MovingEnergy: 45, StationaryDistance: 1200 * mm, StationaryEnergy: 70, DetectionDistance: 2300 * mm}
	wantStill  = Report{State: Stationary, StationaryDistance: 850 * mm, StationaryEnergy: 33, DetectionDistance: 850 * mm}
	wantEng    = Report{State: Stationary, StationaryDistance: 950 * mm, StationaryEnergy: 50, DetectionDistance: 950 * mm, Engineering: true}
)

// Commands and ACKs, as in the protocol document.
var (
	wEnable   = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x04, 0x00, 0xff, 0x00, 0x01, 0x00, 0x04, 0x03, 0x02, 0x01}
	wEnd      = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x02, 0x00, 0xfe, 0x00, 0x04, 0x03, 0x02, 0x01}
	wFirmware = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x02, 0x00, 0xa0, 0x00, 0x04, 0x03, 0x02, 0x01}

	// Protocol version 1, buffer size 0x40.
	ackEnable = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x08, 0x00, 0xff, 0x01, 0x00, 0x00, 0x01, 0x00, 0x40, 0x00, 0x04, 0x03, 0x02, 0x01}
	ackEnd    = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x04, 0x00, 0xfe, 0x01, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01}
	// V1.02.22062416.
	ackFirmware = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x0c, 0x00, 0xa0, 0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x01, 0x16, 0x24, 0x06, 0x22, 0x04, 0x03, 0x02, 0x01}
	// Status 1: failure.
	ackEnableRefused = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x04, 0x00, 0xff, 0x01, 0x01, 0x00, 0x04, 0x03, 0x02, 0x01}
	ackFirmwareFail  = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x04, 0x00, 0xa0, 0x01, 0x01, 0x00, 0x04, 0x03, 0x02, 0x01}
)

var wantFirmware = Firmware{Type: 0x0100, Major: 1, Minor: 2, Build: 0x22062416}

const mm = physic.MilliMetre

func writeOp(w []byte) conntest.IO { return conntest.IO{W: w} }

// reads turns chunks into the read operations a Dev must make, in order
// and of exactly those sizes.
var reads = sensortest.Reads

// frameReads is how a Dev reads a frame that starts at a frame boundary:
// header and length, then the rest.
func frameReads(f []byte) []conntest.IO { return reads(f[:6], f[6:]) }

// exchange is a command and its ACK.
func exchange(w, ack []byte) []conntest.IO { return ops([]conntest.IO{writeOp(w)}, frameReads(ack)) }

// newOps is the traffic of New: the firmware probe.
func newOps() []conntest.IO {
	return ops(exchange(wEnable, ackEnable), exchange(wFirmware, ackFirmware), exchange(wEnd, ackEnd))
}

func ops(groups ...[]conntest.IO) []conntest.IO { return slices.Concat(groups...) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func playback(t *testing.T, ops []conntest.IO) *conntest.Playback { return sensortest.Playback(t, ops) }

// timeoutErr is what a UART conn's error wraps when bytes do not come.
type timeoutErr = sensortest.TimeoutError

// flaky plays ops back with timeouts where asked: see sensortest.Flaky.
type flaky = sensortest.Flaky

// stream is a conn whose radar sends data and then falls silent: see
// sensortest.Stream.
type stream = sensortest.Stream

// devOn returns a Dev on c as New leaves it, without New's traffic.
func devOn(c conn.Conn) *Dev {
	return &Dev{c: c, maxRange: DefaultMaxRange, maxSkip: DefaultMaxSkip, rx: framing.Rx{Buf: make([]byte, maxFrame)}}
}
