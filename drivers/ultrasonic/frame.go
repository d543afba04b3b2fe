package ultrasonic

import (
	"errors"
	"fmt"

	"periph.io/x/conn/v3/physic"
)

// Frame size and fixed bytes.
const (
	FrameSize = 4 // bytes in a frame: FF H L SUM

	header = 0xff

	// DefaultTrigger is the byte that starts a measurement on boards
	// that measure only when asked (JSN-SR04T mode 3).
	DefaultTrigger = 0x55
)

// Checksum says how a board computes a frame's last byte.
type Checksum uint8

const (
	// SumWithHeader: SUM = (0xFF + H + L) & 0xFF. DFRobot A02YYUW and
	// JSN-SR04T. The zero value.
	SumWithHeader Checksum = iota
	// SumNoHeader: SUM = (H + L) & 0xFF. Some AJ-SR04M clones.
	SumNoHeader
)

func (c Checksum) String() string {
	switch c {
	case SumWithHeader:
		return "sum"
	case SumNoHeader:
		return "sum-no-header"
	}
	return fmt.Sprintf("checksum(%d)", uint8(c))
}

// of returns the checksum of a frame carrying h and l.
func (c Checksum) of(h, l byte) byte {
	if c == SumNoHeader {
		return h + l
	}
	return header + h + l
}

// Errors. Others wrap these with detail after the sentinel's text.
var (
	// ErrChecksum means a frame's checksum did not match its bytes. A
	// read returns it only when it found no good frame among the bytes it
	// may discard.
	ErrChecksum = errors.New("ultrasonic: bad checksum")
	// ErrNoFrame means a read discarded Opts.MaxSkip bytes without
	// finding a frame.
	ErrNoFrame = errors.New("ultrasonic: no frame")
	// ErrFrame means bytes given to ParseFrame are not a frame.
	ErrFrame = errors.New("ultrasonic: not a frame")
)

// ParseFrame decodes a complete 4-byte frame whose checksum is computed
// as c says, returning the distance it carries.
func ParseFrame(b []byte, c Checksum) (physic.Distance, error) {
	if len(b) != FrameSize {
		return 0, fmt.Errorf("%w: %d bytes, want %d", ErrFrame, len(b), FrameSize)
	}
	if b[0] != header {
		return 0, fmt.Errorf("%w: starts %#02x, want 0xff", ErrFrame, b[0])
	}
	if want := c.of(b[1], b[2]); b[3] != want {
		return 0, fmt.Errorf("%w: frame says %#02x, %v gives %#02x", ErrChecksum, b[3], c, want)
	}
	return distance(b), nil
}

// distance is the frame's H<<8|L millimetres.
func distance(b []byte) physic.Distance {
	return physic.Distance(uint16(b[1])<<8|uint16(b[2])) * physic.MilliMetre
}
