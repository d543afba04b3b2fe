package pms5003

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Frame sizes and field offsets on the wire.
const (
	FrameSize = 32 // bytes in a data frame, header and check included

	dataLen   = FrameSize - 4 // the length field of a data frame: 28
	replyLen  = 4             // the length field of a command reply
	replySize = 4 + replyLen  // bytes in a command reply: 8
	cmdSize   = 7             // bytes in a host command

	start1 = 0x42
	start2 = 0x4d
)

// Errors. Others wrap these with detail after the sentinel's text.
var (
	// ErrChecksum means a frame's check did not match its bytes. A Read
	// returns it only when it found no good frame among the bytes it may
	// discard.
	ErrChecksum = errors.New("pms5003: bad checksum")
	// ErrNoFrame means a Read discarded Opts.MaxSkip bytes without finding
	// a frame start with a plausible length.
	ErrNoFrame = errors.New("pms5003: no frame")
	// ErrFrame means bytes given to ParseFrame are not a data frame.
	ErrFrame = errors.New("pms5003: not a data frame")
)

// Mass holds mass concentrations in µg/m³.
type Mass struct {
	PM1   uint16 // particles ≤ 1.0 µm
	PM2_5 uint16 // particles ≤ 2.5 µm
	PM10  uint16 // particles ≤ 10 µm
}

// Counts holds the number of particles per 0.1 L of air whose diameter is
// beyond each size. The counts are cumulative: Over0_3 ≥ Over0_5 ≥ ….
type Counts struct {
	Over0_3 uint16
	Over0_5 uint16
	Over1_0 uint16
	Over2_5 uint16
	Over5_0 uint16
	Over10  uint16
}

// Frame is one data frame from the chip.
type Frame struct {
	CF1      Mass    // "CF=1", factory standard particle; for calibration
	Atm      Mass    // atmospheric environment; what to report outdoors
	Counts   Counts  // particle counts per 0.1 L
	Reserved [2]byte // bytes 28–29; PMS7003: version and error code
}

// ParseFrame decodes a complete 32-byte data frame, checking its start
// bytes, its length field and its check.
func ParseFrame(b []byte) (Frame, error) {
	if len(b) != FrameSize {
		return Frame{}, fmt.Errorf("%w: %d bytes, want %d", ErrFrame, len(b), FrameSize)
	}
	if b[0] != start1 || b[1] != start2 {
		return Frame{}, fmt.Errorf("%w: starts % x, want 42 4d", ErrFrame, b[:2])
	}
	if n := be(b, 2); n != dataLen {
		return Frame{}, fmt.Errorf("%w: length field %d, want %d", ErrFrame, n, dataLen)
	}
	if got, want := be(b, FrameSize-2), sum(b[:FrameSize-2]); got != want {
		return Frame{}, fmt.Errorf("%w: frame says %#04x, bytes sum to %#04x", ErrChecksum, got, want)
	}
	return Frame{
		CF1: Mass{PM1: be(b, 4), PM2_5: be(b, 6), PM10: be(b, 8)},
		Atm: Mass{PM1: be(b, 10), PM2_5: be(b, 12), PM10: be(b, 14)},
		Counts: Counts{
			Over0_3: be(b, 16), Over0_5: be(b, 18), Over1_0: be(b, 20),
			Over2_5: be(b, 22), Over5_0: be(b, 24), Over10: be(b, 26),
		},
		Reserved: [2]byte{b[28], b[29]},
	}, nil
}

func be(b []byte, off int) uint16 { return binary.BigEndian.Uint16(b[off:]) }

// sum is the chip's check: the 16-bit sum of the bytes.
func sum(b []byte) uint16 {
	var s uint16
	for _, c := range b {
		s += uint16(c)
	}
	return s
}

// checkOK reports whether a whole frame (data or reply) ends with the sum
// of the bytes before its last two.
func checkOK(b []byte) bool {
	n := len(b)
	return be(b, n-2) == sum(b[:n-2])
}

// Command bytes and their data words.
const (
	cmdMode  = 0xe1 // data 0: passive, 1: active
	cmdRead  = 0xe2 // data 0; answered with a data frame in passive mode
	cmdSleep = 0xe4 // data 0: sleep, 1: wake
)

// command builds 42 4D CMD DATAH DATAL SUMH SUML.
func command(cmd byte, data uint16) []byte {
	b := make([]byte, cmdSize)
	b[0], b[1], b[2] = start1, start2, cmd
	binary.BigEndian.PutUint16(b[3:], data)
	binary.BigEndian.PutUint16(b[5:], sum(b[:5]))
	return b
}
