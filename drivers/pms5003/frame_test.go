package pms5003

import (
	"bytes"
	"errors"
	"testing"
)

// knownFrame is a data frame for a hazy day: atmospheric PM2.5 = 35 µg/m³
// is 0x00 0x23 at offsets 12–13.
var knownFrame = []byte{
	0x42, 0x4d, 0x00, 0x1c, // start, length 28
	0x00, 0x1b, 0x00, 0x26, 0x00, 0x2c, // CF=1 PM1 27, PM2.5 38, PM10 44
	0x00, 0x16, 0x00, 0x23, 0x00, 0x2c, // atm PM1 22, PM2.5 35, PM10 44
	0x12, 0xd5, 0x05, 0x92, 0x00, 0xfe, // >0.3 4821, >0.5 1426, >1.0 254
	0x00, 0x12, 0x00, 0x04, 0x00, 0x01, // >2.5 18, >5.0 4, >10 1
	0x97, 0x00, // reserved
	0x04, 0xa7, // check
}

var knownValues = Frame{
	CF1:      Mass{PM1: 27, PM2_5: 38, PM10: 44},
	Atm:      Mass{PM1: 22, PM2_5: 35, PM10: 44},
	Counts:   Counts{Over0_3: 4821, Over0_5: 1426, Over1_0: 254, Over2_5: 18, Over5_0: 4, Over10: 1},
	Reserved: [2]byte{0x97, 0x00},
}

// cleanFrame is a frame as a PMS5003 sent it in clean indoor air: all
// masses zero, a few counts.
var cleanFrame = []byte{
	0x42, 0x4d, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x07, 0x00, 0x01, 0x00, 0x01,
	0x00, 0x01, 0x00, 0x00, 0x97, 0x00, 0x01, 0x70,
}

// Command replies as chips send them.
var (
	ackPassive = []byte{0x42, 0x4d, 0x00, 0x04, 0xe1, 0x00, 0x01, 0x74}
	ackActive  = []byte{0x42, 0x4d, 0x00, 0x04, 0xe1, 0x01, 0x01, 0x75}
	ackSleep   = []byte{0x42, 0x4d, 0x00, 0x04, 0xe4, 0x00, 0x01, 0x77}
)

func TestParseFrame(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want Frame
	}{
		{"known reading", knownFrame, knownValues},
		{"clean air", cleanFrame, Frame{
			Counts:   Counts{Over0_3: 36, Over0_5: 7, Over1_0: 1, Over2_5: 1, Over5_0: 1},
			Reserved: [2]byte{0x97, 0x00},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFrame(tt.in)
			if err != nil {
				t.Fatalf("ParseFrame: %v", err)
			}
			if got != tt.want {
				t.Errorf("ParseFrame = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseFrameErrors(t *testing.T) {
	with := func(i int, b byte) []byte {
		f := bytes.Clone(knownFrame)
		f[i] = b
		return f
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrFrame},
		{"short", knownFrame[:31], ErrFrame},
		{"long", append(bytes.Clone(knownFrame), 0), ErrFrame},
		{"bad start", with(0, 0x43), ErrFrame},
		{"bad second start", with(1, 0x4e), ErrFrame},
		{"bad length", with(3, 0x1d), ErrFrame},
		{"corrupted value", with(13, 0x24), ErrChecksum},
		{"corrupted check", with(31, 0xa8), ErrChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFrame(tt.in)
			if !errors.Is(err, tt.want) {
				t.Errorf("ParseFrame = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCommand(t *testing.T) {
	tests := []struct {
		name string
		cmd  byte
		data uint16
		want []byte
	}{
		{"passive mode", cmdMode, 0, []byte{0x42, 0x4d, 0xe1, 0x00, 0x00, 0x01, 0x70}},
		{"active mode", cmdMode, 1, []byte{0x42, 0x4d, 0xe1, 0x00, 0x01, 0x01, 0x71}},
		{"read", cmdRead, 0, []byte{0x42, 0x4d, 0xe2, 0x00, 0x00, 0x01, 0x71}},
		{"sleep", cmdSleep, 0, []byte{0x42, 0x4d, 0xe4, 0x00, 0x00, 0x01, 0x73}},
		{"wake", cmdSleep, 1, []byte{0x42, 0x4d, 0xe4, 0x00, 0x01, 0x01, 0x74}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := command(tt.cmd, tt.data); !bytes.Equal(got, tt.want) {
				t.Errorf("command = % x, want % x", got, tt.want)
			}
		})
	}
}

func TestRepliesCheck(t *testing.T) {
	for _, b := range [][]byte{ackPassive, ackActive, ackSleep, knownFrame, cleanFrame} {
		if !checkOK(b) {
			t.Errorf("% x: check fails", b)
		}
	}
}
