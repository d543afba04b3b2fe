package ld2410

import (
	"encoding/binary"
	"errors"
	"fmt"

	"periph.io/x/conn/v3/physic"
)

// Frame layout: a 4-byte header, a 2-byte little-endian length of the
// payload, the payload, a 4-byte footer.
const (
	headSize   = 6  // header and length
	footSize   = 4  // footer
	maxPayload = 64 // longer than any frame the radar sends

	// Smallest payloads: a basic report, and an ACK (command word and
	// status).
	reportLen = 13
	ackLen    = 4

	maxFrame = headSize + maxPayload + footSize

	typeEngineering = 0x01
	typeBasic       = 0x02
	targetHead      = 0xaa
	targetTail      = 0x55
	targetCheck     = 0x00
)

var (
	reportHeader = [4]byte{0xf4, 0xf3, 0xf2, 0xf1}
	reportFooter = [4]byte{0xf8, 0xf7, 0xf6, 0xf5}
	cmdHeader    = [4]byte{0xfd, 0xfc, 0xfb, 0xfa}
	cmdFooter    = [4]byte{0x04, 0x03, 0x02, 0x01}
)

// Command words.
const (
	cmdEnableConfig = 0x00ff
	cmdEndConfig    = 0x00fe
	cmdFirmware     = 0x00a0
	ackBit          = 0x0100 // an ACK carries its command's word with this bit set
)

// Errors. Others wrap these with detail after the sentinel's text.
var (
	// ErrFrame means bytes are not a well-formed frame: a wrong length,
	// footer or marker byte. The protocol has no checksum; these are what
	// catch corruption. A Read returns it only when it found no good
	// report among the bytes it may discard.
	ErrFrame = errors.New("ld2410: bad frame")
	// ErrNoFrame means a read discarded Opts.MaxSkip bytes without
	// finding a frame header.
	ErrNoFrame = errors.New("ld2410: no frame")
	// ErrRefused means the radar answered a command with a failure
	// status.
	ErrRefused = errors.New("ld2410: command refused")
)

// State is the radar's target state.
type State uint8

const (
	None       State = 0 // nobody
	Moving     State = 1 // a moving target
	Stationary State = 2 // a stationary target
	Both       State = 3 // moving and stationary targets
)

func (s State) String() string {
	switch s {
	case None:
		return "none"
	case Moving:
		return "moving"
	case Stationary:
		return "stationary"
	case Both:
		return "both"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Report is the target information of one report frame.
type Report struct {
	State              State
	MovingDistance     physic.Distance // distance to the moving target
	MovingEnergy       uint8           // its signal strength, 0–100
	StationaryDistance physic.Distance // distance to the stationary target
	StationaryEnergy   uint8           // its signal strength, 0–100
	DetectionDistance  physic.Distance // the radar's "detection distance" field
	Engineering        bool            // the frame was an engineering-mode report
}

// Nearest returns the distance to the nearest target the state says is
// there, and false when there is none.
func (r Report) Nearest() (physic.Distance, bool) {
	switch r.State {
	case Moving:
		return r.MovingDistance, true
	case Stationary:
		return r.StationaryDistance, true
	case Both:
		return min(r.MovingDistance, r.StationaryDistance), true
	}
	return 0, false
}

// Firmware is the radar's firmware version.
type Firmware struct {
	Type         uint16
	Major, Minor uint8
	Build        uint32 // printed in hex: 0x22062416 is build 22062416
}

func (f Firmware) String() string {
	return fmt.Sprintf("V%d.%02d.%08x", f.Major, f.Minor, f.Build)
}

// ParseReport decodes a complete report frame (basic or engineering
// mode), checking its header, length, footer and marker bytes.
func ParseReport(b []byte) (Report, error) {
	if reason := checkFrame(b, reportHeader, reportFooter, reportLen); reason != "" {
		return Report{}, fmt.Errorf("%w: %s", ErrFrame, reason)
	}
	p := b[headSize : len(b)-footSize]
	if reason := checkReport(p); reason != "" {
		return Report{}, fmt.Errorf("%w: %s", ErrFrame, reason)
	}
	cm := func(off int) physic.Distance {
		return physic.Distance(binary.LittleEndian.Uint16(p[off:])) * 10 * physic.MilliMetre
	}
	return Report{
		State:              State(p[2]),
		MovingDistance:     cm(3),
		MovingEnergy:       p[5],
		StationaryDistance: cm(6),
		StationaryEnergy:   p[8],
		DetectionDistance:  cm(9),
		Engineering:        p[0] == typeEngineering,
	}, nil
}

// checkFrame says what is wrong with b as a frame with the given header
// and footer and a payload of at least minLen bytes, or "" when nothing.
func checkFrame(b []byte, header, footer [4]byte, minLen int) string {
	if len(b) < headSize+footSize {
		return fmt.Sprintf("%d bytes", len(b))
	}
	if [4]byte(b[:4]) != header {
		return fmt.Sprintf("header % x, want % x", b[:4], header[:])
	}
	n := int(binary.LittleEndian.Uint16(b[4:]))
	if n < minLen || n > maxPayload {
		return fmt.Sprintf("length field %d outside %d–%d", n, minLen, maxPayload)
	}
	if len(b) != headSize+n+footSize {
		return fmt.Sprintf("%d bytes, length field says %d", len(b), headSize+n+footSize)
	}
	if f := [4]byte(b[len(b)-footSize:]); f != footer {
		return fmt.Sprintf("footer % x, want % x", f[:], footer[:])
	}
	return ""
}

// checkReport says what is wrong with a report's payload, or "".
func checkReport(p []byte) string {
	n := len(p)
	switch {
	case p[0] == typeBasic && n != reportLen:
		return fmt.Sprintf("basic report of %d bytes, want %d", n, reportLen)
	case p[0] != typeBasic && p[0] != typeEngineering:
		return fmt.Sprintf("data type %#02x, want 0x01 or 0x02", p[0])
	case p[1] != targetHead:
		return fmt.Sprintf("head %#02x, want 0xaa", p[1])
	case p[n-2] != targetTail || p[n-1] != targetCheck:
		return fmt.Sprintf("ends % x, want 55 00", p[n-2:])
	case p[2] > uint8(Both):
		return fmt.Sprintf("target state %d, want 0–3", p[2])
	}
	return ""
}

// command builds FD FC FB FA LEN(2) WORD(2) VALUE 04 03 02 01.
func command(word uint16, value ...byte) []byte {
	b := make([]byte, 0, headSize+2+len(value)+footSize)
	b = append(b, cmdHeader[:]...)
	b = binary.LittleEndian.AppendUint16(b, uint16(2+len(value)))
	b = binary.LittleEndian.AppendUint16(b, word)
	b = append(b, value...)
	return append(b, cmdFooter[:]...)
}

// parseFirmware decodes the value of a firmware ACK: type, minor, major
// and build, after the status word.
func parseFirmware(v []byte) (Firmware, error) {
	if len(v) < 8 {
		return Firmware{}, fmt.Errorf("%w: firmware reply of %d bytes, want 8", ErrFrame, len(v))
	}
	return Firmware{
		Type:  binary.LittleEndian.Uint16(v),
		Minor: v[2],
		Major: v[3],
		Build: binary.LittleEndian.Uint32(v[4:]),
	}, nil
}
