package sds011

import (
	"bytes"
	"errors"
	"testing"
)

// knownFrame carries PM2.5 35.2 µg/m³ (352 = 0x0160, low byte first at
// offset 2) and PM10 48.7 µg/m³ (487 = 0x01E7) from chip A1 60; the
// checksum is 0x60+0x01+0xE7+0x01+0xA1+0x60 = 0x24A → 0x4A.
var knownFrame = []byte{0xaa, 0xc0, 0x60, 0x01, 0xe7, 0x01, 0xa1, 0x60, 0x4a, 0xab}

var knownValues = Frame{PM2_5: 352, PM10: 487, ID: 0xa160}

// cleanFrame is clean indoor air: PM2.5 2.8, PM10 4.7 µg/m³.
var cleanFrame = []byte{0xaa, 0xc0, 0x1c, 0x00, 0x2f, 0x00, 0xa1, 0x60, 0x4c, 0xab}

// overFrame says PM2.5 1000.0 and PM10 2000.0 µg/m³, beyond the range.
var overFrame = []byte{0xaa, 0xc0, 0x10, 0x27, 0x20, 0x4e, 0xa1, 0x60, 0xa6, 0xab}

func TestParseFrame(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    Frame
		inRange bool
	}{
		{"known reading", knownFrame, knownValues, true},
		{"clean air", cleanFrame, Frame{PM2_5: 28, PM10: 47, ID: 0xa160}, true},
		{"over range", overFrame, Frame{PM2_5: 10000, PM10: 20000, ID: 0xa160}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFrame(tt.in)
			if err != nil {
				t.Fatalf("ParseFrame: %v", err)
			}
			if got != tt.want || got.InRange() != tt.inRange {
				t.Errorf("ParseFrame = %+v (in range %v), want %+v (%v)", got, got.InRange(), tt.want, tt.inRange)
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
		{"short", knownFrame[:9], ErrFrame},
		{"long", append(bytes.Clone(knownFrame), 0), ErrFrame},
		{"bad head", with(0, 0xab), ErrFrame},
		{"a reply", ackWork, ErrFrame},
		{"bad tail", with(9, 0xaa), ErrChecksum},
		{"corrupted value", with(2, 0x61), ErrChecksum},
		{"corrupted checksum", with(8, 0x4b), ErrChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseFrame(tt.in); !errors.Is(err, tt.want) {
				t.Errorf("ParseFrame = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCommand(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"work", command(cmdSleep, opSet, 1), wWork},
		{"sleep", command(cmdSleep, opSet, 0), wSleep},
		{"query mode", command(cmdMode, opSet, Query.wire()), wQueryMode},
		{"active mode", command(cmdMode, opSet, Active.wire()), wActive},
		{"get mode", command(cmdMode, opGet), wGetMode},
		{"period 5", command(cmdPeriod, opSet, 5), wPeriod5},
		{"firmware", command(cmdFirmware), wFirmware},
		// The query command as printed in the protocol document.
		{"query", command(cmdQuery), []byte{0xaa, 0xb4, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x02, 0xab}},
	}
	for _, tt := range tests {
		if !bytes.Equal(tt.got, tt.want) {
			t.Errorf("%s: command = % x, want % x", tt.name, tt.got, tt.want)
		}
	}
}

func TestRepliesCheck(t *testing.T) {
	for _, b := range [][]byte{ackWork, ackSleep, ackQueryMode, ackActive, ackGetQuery, ackPeriod0, ackPeriod5, ackGetP5, ackFirmware, knownFrame, cleanFrame, overFrame} {
		if !frameOK(b) {
			t.Errorf("% x: checksum fails", b)
		}
	}
}

func TestStrings(t *testing.T) {
	if got := (Firmware{Year: 15, Month: 7, Day: 10}).String(); got != "2015-07-10" {
		t.Errorf("Firmware = %q", got)
	}
	if Query.String() != "query" || Active.String() != "active" || Mode(9).String() != "mode(9)" {
		t.Errorf("mode strings %v %v %v", Query, Active, Mode(9))
	}
}
