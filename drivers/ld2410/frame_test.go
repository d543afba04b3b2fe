package ld2410

import (
	"bytes"
	"errors"
	"testing"

	"periph.io/x/conn/v3/physic"
)

func TestParseReport(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    Report
		nearest physic.Distance
		present bool
	}{
		{"moving", repMoving, wantMoving, 1500 * mm, true},
		{"both: the nearer is the still one", repBoth, wantBoth, 1200 * mm, true},
		{"still, 0x55 inside", repStill, wantStill, 850 * mm, true},
		{"nobody", repNone, Report{}, 0, false},
		{"engineering mode", repEng, wantEng, 950 * mm, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReport(tt.in)
			if err != nil {
				t.Fatalf("ParseReport: %v", err)
			}
			if got != tt.want {
				t.Errorf("ParseReport = %+v, want %+v", got, tt.want)
			}
			if d, ok := got.Nearest(); d != tt.nearest || ok != tt.present {
				t.Errorf("Nearest = %v, %v; want %v, %v", d, ok, tt.nearest, tt.present)
			}
		})
	}
}

// The basic report printed in the protocol document (and reused by
// aio-ld2410's tests) parses, odd as its numbers are.
func TestPublishedExample(t *testing.T) {
	b := []byte{0xf4, 0xf3, 0xf2, 0xf1, 0x0d, 0x00, 0x02, 0xaa, 0x02, 0x51, 0x00, 0x00, 0x00, 0x00, 0x3b, 0x00, 0x00, 0x55, 0x00, 0xf8, 0xf7, 0xf6, 0xf5}
	got, err := ParseReport(b)
	want := Report{State: Stationary, MovingDistance: 810 * mm, StationaryEnergy: 59}
	if err != nil || got != want {
		t.Errorf("ParseReport = %+v, %v; want %+v", got, err, want)
	}
}

func TestParseReportErrors(t *testing.T) {
	with := func(i int, b byte) []byte {
		f := bytes.Clone(repMoving)
		f[i] = b
		return f
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"short", repMoving[:22]},
		{"long", cat(repMoving, []byte{0})},
		{"bad header", with(0, 0xf5)},
		{"an ACK", ackEnd},
		{"length too small", with(4, 0x0c)},
		{"length disagrees", with(4, 0x0e)},
		{"bad footer", with(22, 0xf4)},
		{"bad type", with(6, 0x03)},
		{"bad head", with(7, 0xab)},
		{"bad tail", with(17, 0x56)},
		{"bad check", with(18, 0x01)},
		{"state 4", with(8, 0x04)},
		{"basic report of engineering length", cat(hdr, []byte{0x0f, 0x00, 0x02, 0xaa, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x55, 0x00}, ftr)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseReport(tt.in); !errors.Is(err, ErrFrame) {
				t.Errorf("ParseReport = %v, want %v", err, ErrFrame)
			}
		})
	}
}

func TestCommand(t *testing.T) {
	for _, tt := range []struct {
		got, want []byte
	}{
		{command(cmdEnableConfig, 0x01, 0x00), wEnable},
		{command(cmdEndConfig), wEnd},
		{command(cmdFirmware), wFirmware},
	} {
		if !bytes.Equal(tt.got, tt.want) {
			t.Errorf("command = % x, want % x", tt.got, tt.want)
		}
	}
}

func TestStrings(t *testing.T) {
	if got := wantFirmware.String(); got != "V1.02.22062416" {
		t.Errorf("Firmware = %q", got)
	}
	for s, want := range map[State]string{None: "none", Moving: "moving", Stationary: "stationary", Both: "both", 4: "state(4)"} {
		if s.String() != want {
			t.Errorf("%d: %q, want %q", s, s.String(), want)
		}
	}
}
