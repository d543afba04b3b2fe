package ld2410

import (
	"bytes"
	"math"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	drv "github.com/xiuhua/xiuhua/drivers/ld2410"
)

// Commands as the protocol document prints them.
var (
	cEnable   = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x04, 0x00, 0xff, 0x00, 0x01, 0x00, 0x04, 0x03, 0x02, 0x01}
	cEnd      = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x02, 0x00, 0xfe, 0x00, 0x04, 0x03, 0x02, 0x01}
	cFirmware = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x02, 0x00, 0xa0, 0x00, 0x04, 0x03, 0x02, 0x01}
	cEngOn    = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x02, 0x00, 0x62, 0x00, 0x04, 0x03, 0x02, 0x01}

	aEnable   = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x08, 0x00, 0xff, 0x01, 0x00, 0x00, 0x01, 0x00, 0x40, 0x00, 0x04, 0x03, 0x02, 0x01}
	aEnd      = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x04, 0x00, 0xfe, 0x01, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01}
	aFirmware = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x0c, 0x00, 0xa0, 0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x01, 0x16, 0x24, 0x06, 0x22, 0x04, 0x03, 0x02, 0x01}
	aEngOn    = []byte{0xfd, 0xfc, 0xfb, 0xfa, 0x04, 0x00, 0x62, 0x01, 0x01, 0x00, 0x04, 0x03, 0x02, 0x01}
)

func TestReport(t *testing.T) {
	tests := []struct {
		v    Values
		want []byte
		rep  drv.Report
	}{
		{Values{}, []byte{0xf4, 0xf3, 0xf2, 0xf1, 0x0d, 0x00, 0x02, 0xaa, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x55, 0x00, 0xf8, 0xf7, 0xf6, 0xf5},
			drv.Report{}},
		// 1.5 m moving: 150 cm = 96 00, energy 100-15 = 85 (0x55).
		{Values{Moving: 1.5}, []byte{0xf4, 0xf3, 0xf2, 0xf1, 0x0d, 0x00, 0x02, 0xaa, 0x01, 0x96, 0x00, 0x55, 0, 0, 0, 0x96, 0x00, 0x55, 0x00, 0xf8, 0xf7, 0xf6, 0xf5},
			drv.Report{State: drv.Moving, MovingDistance: 1500 * physic.MilliMetre, MovingEnergy: 85, DetectionDistance: 1500 * physic.MilliMetre}},
		{Values{Moving: 2.3, Stationary: 1.204}, nil,
			drv.Report{State: drv.Both, MovingDistance: 2300 * physic.MilliMetre, MovingEnergy: 77, StationaryDistance: 1200 * physic.MilliMetre,
				StationaryEnergy: 88, DetectionDistance: 2300 * physic.MilliMetre}},
		{Values{Moving: math.NaN(), Stationary: 0.85}, nil,
			drv.Report{State: drv.Stationary, StationaryDistance: 850 * physic.MilliMetre, StationaryEnergy: 92, DetectionDistance: 850 * physic.MilliMetre}},
	}
	for _, tt := range tests {
		b := report(tt.v)
		if tt.want != nil && !bytes.Equal(b, tt.want) {
			t.Errorf("report(%+v) = % x, want % x", tt.v, b, tt.want)
		}
		r, err := drv.ParseReport(b)
		if err != nil || r != tt.rep {
			t.Errorf("the driver reads report(%+v) as %+v, %v; want %+v", tt.v, r, err, tt.rep)
		}
	}
}

func TestAck(t *testing.T) {
	for _, tt := range []struct{ got, want []byte }{
		{ack(cmdEnableConfig, 0, 0x01, 0x00, 0x40, 0x00), aEnable},
		{ack(cmdEndConfig, 0), aEnd},
		{ack(0x62, 1), aEngOn},
	} {
		if !bytes.Equal(tt.got, tt.want) {
			t.Errorf("ack = % x, want % x", tt.got, tt.want)
		}
	}
}

func TestCM(t *testing.T) {
	tests := []struct {
		in   float64
		want uint16
	}{
		{0, 0}, {1.5, 150}, {1.204, 120}, {1.205, 121}, {-4, 0}, {math.NaN(), 0}, {math.Inf(1), 65535}, {1e9, 65535},
	}
	for _, tt := range tests {
		if got := cm(tt.in); got != tt.want {
			t.Errorf("cm(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParser(t *testing.T) {
	badFooter := bytes.Clone(cEnd)
	badFooter[11] = 0x02
	tests := []struct {
		name     string
		in       []byte
		cmds     int
		badCount int
	}{
		{"one command", cEnd, 1, 0},
		{"garbage first", append([]byte{0x00, 0xfd, 0xfc, 0x11}, cEnd...), 1, 0},
		{"bad footer, then good", append(badFooter, cEnd...), 1, 1},
		{"impossible length", append([]byte{0xfd, 0xfc, 0xfb, 0xfa, 0xff, 0x00}, cEnd...), 1, 1},
		{"two", append(bytes.Clone(cEnd), cEnd...), 2, 0},
		{"truncated", cEnd[:11], 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p parser
			cmds, bads := 0, 0
			for _, b := range tt.in {
				payload, ok, bad := p.feed(b)
				if bad {
					bads++
				}
				if ok {
					cmds++
					if !bytes.Equal(payload, []byte{0xfe, 0x00}) {
						t.Errorf("parsed % x", payload)
					}
				}
			}
			if cmds != tt.cmds || bads != tt.badCount {
				t.Errorf("got %d commands, %d bad; want %d, %d", cmds, bads, tt.cmds, tt.badCount)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c := New(func(time.Time) Values { return Values{} }, nil)
	if c.period != DefaultPeriod || c.fw != DefaultFirmware || c.now == nil {
		t.Errorf("radar %+v", c)
	}
	if st := c.State(); st.Config {
		t.Errorf("new radar %+v, want reporting", st)
	}
}

// FuzzParser checks that the command parser never panics and that what it
// returns came framed by a header, a matching length and a footer.
func FuzzParser(f *testing.F) {
	f.Add(cEnable)
	f.Add(append([]byte{0xfd, 0xfc, 0xfb, 0xfa, 0xff, 0x00}, cFirmware...))
	f.Add(bytes.Repeat(cmdHeader, 20))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p parser
		for i, b := range data {
			payload, ok, _ := p.feed(b)
			if !ok {
				continue
			}
			end := i + 1
			start := end - len(payload) - 10
			if start < 0 || !bytes.Equal(data[start:start+4], cmdHeader) || int(data[start+4])|int(data[start+5])<<8 != len(payload) ||
				!bytes.Equal(data[end-4:end], cmdFooter) || !bytes.Equal(data[start+6:end-4], payload) {
				t.Fatalf("parsed % x from % x", payload, data[:end])
			}
		}
	})
}
