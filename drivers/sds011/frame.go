package sds011

import (
	"errors"
	"fmt"
)

// Frame sizes and the fixed bytes of the protocol.
const (
	FrameSize   = 10 // bytes in a data frame or a command reply
	CommandSize = 19 // bytes in a host command

	head     = 0xaa
	tail     = 0xab
	kindCmd  = 0xb4 // byte 1 of a host command
	kindData = 0xc0 // byte 1 of a data frame
	kindAck  = 0xc5 // byte 1 of a reply to a command
)

// Command ids: byte 2 of a command and of its reply.
const (
	cmdMode     = 0x02 // reporting mode; value 0 active, 1 query
	cmdQuery    = 0x04 // answered with a data frame
	cmdSleep    = 0x06 // value 0 sleep, 1 work
	cmdFirmware = 0x07 // reply carries year, month, day
	cmdPeriod   = 0x08 // value 0 continuous, 1–30 minutes
)

// Byte 3 of the mode, sleep and period commands and of their replies.
const (
	opGet = 0
	opSet = 1
)

// MaxMass is the top of the chip's range, 999.9 µg/m³, in the tenths the
// frame carries. A frame above it is counted and its values marked
// suspect.
const MaxMass = 9999

// MaxPeriod is the longest working period the chip accepts, in minutes.
const MaxPeriod = 30

// Errors. Others wrap these with detail after the sentinel's text.
var (
	// ErrChecksum means a frame's checksum or tail byte was wrong. A Read
	// returns it only when it found no good frame among the bytes it may
	// discard.
	ErrChecksum = errors.New("sds011: bad checksum")
	// ErrNoFrame means a read discarded Opts.MaxSkip bytes without finding
	// a frame.
	ErrNoFrame = errors.New("sds011: no frame")
	// ErrFrame means bytes given to ParseFrame are not a data frame.
	ErrFrame = errors.New("sds011: not a data frame")
	// ErrReply means the chip answered a setting with another value than
	// the one sent.
	ErrReply = errors.New("sds011: unexpected reply")
)

// Frame is one data frame. Mass concentrations are in tenths of a µg/m³,
// as on the wire: PM2_5 = 123 is 12.3 µg/m³.
type Frame struct {
	PM2_5 uint16
	PM10  uint16
	ID    uint16 // the chip's device id, bytes 6 (high) and 7 (low)
}

// InRange reports whether both values are within the chip's range,
// 0–999.9 µg/m³.
func (f Frame) InRange() bool { return f.PM2_5 <= MaxMass && f.PM10 <= MaxMass }

// Firmware is the date of the chip's firmware, as the chip reports it.
type Firmware struct {
	Year, Month, Day uint8 // Year is the last two digits: 15 is 2015
}

func (f Firmware) String() string {
	return fmt.Sprintf("20%02d-%02d-%02d", f.Year, f.Month, f.Day)
}

// ParseFrame decodes a complete 10-byte data frame, checking its head,
// kind, tail and checksum.
func ParseFrame(b []byte) (Frame, error) {
	if len(b) != FrameSize {
		return Frame{}, fmt.Errorf("%w: %d bytes, want %d", ErrFrame, len(b), FrameSize)
	}
	if b[0] != head || b[1] != kindData {
		return Frame{}, fmt.Errorf("%w: starts % x, want aa c0", ErrFrame, b[:2])
	}
	if b[9] != tail {
		return Frame{}, fmt.Errorf("%w: ends %#02x, want 0xab", ErrChecksum, b[9])
	}
	if got, want := b[8], sum(b[2:8]); got != want {
		return Frame{}, fmt.Errorf("%w: frame says %#02x, bytes sum to %#02x", ErrChecksum, got, want)
	}
	return Frame{
		PM2_5: le(b, 2),
		PM10:  le(b, 4),
		ID:    uint16(b[6])<<8 | uint16(b[7]),
	}, nil
}

// frameOK reports whether a 10-byte frame (data or reply) has its tail
// and a matching checksum. The caller has checked bytes 0 and 1.
func frameOK(b []byte) bool { return b[9] == tail && b[8] == sum(b[2:8]) }

func le(b []byte, off int) uint16 { return uint16(b[off]) | uint16(b[off+1])<<8 }

// sum is the chip's checksum: the low byte of the sum of the bytes.
func sum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return s
}

// command builds AA B4 CMD DATA1..DATA12 FF FF CS AB: data fills bytes
// 3.. and the rest are zero; FF FF addresses every chip on the line.
func command(cmd byte, data ...byte) []byte {
	b := make([]byte, CommandSize)
	b[0], b[1], b[2] = head, kindCmd, cmd
	copy(b[3:15], data)
	b[15], b[16] = 0xff, 0xff
	b[17] = sum(b[2:17])
	b[18] = tail
	return b
}
