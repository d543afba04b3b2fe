package sds011

import (
	"bytes"
	"math"
	"testing"
	"time"

	drv "github.com/xiuhua/xiuhua/drivers/sds011"
)

// cmd builds a host command as the protocol lays it out.
func cmd(code byte, data ...byte) []byte {
	b := make([]byte, cmdSize)
	b[0], b[1], b[2] = head, kindCmd, code
	copy(b[3:15], data)
	b[15], b[16] = 0xff, 0xff
	b[17] = sum(b[2:17])
	b[18] = tail
	return b
}

func TestFrame(t *testing.T) {
	b := frame(Values{PM2_5: 35.2, PM10: 48.66}, 0xa160)
	want := []byte{0xaa, 0xc0, 0x60, 0x01, 0xe7, 0x01, 0xa1, 0x60, 0x4a, 0xab}
	if !bytes.Equal(b, want) {
		t.Fatalf("frame = % x, want % x", b, want)
	}
	f, err := drv.ParseFrame(b)
	if err != nil || f.PM2_5 != 352 || f.PM10 != 487 || f.ID != 0xa160 {
		t.Errorf("the driver reads %+v, %v", f, err)
	}
}

func TestReply(t *testing.T) {
	// The reply to "set work", as a chip sent it in the field
	// (lewapek/sds-dust-sensors-arduino-library#6).
	got := reply(cmdSleep, 1, 1, 0, 0xece1)
	want := []byte{0xaa, 0xc5, 0x06, 0x01, 0x01, 0x00, 0xec, 0xe1, 0xd5, 0xab}
	if !bytes.Equal(got, want) {
		t.Errorf("reply = % x, want % x", got, want)
	}
}

func TestTenths(t *testing.T) {
	tests := []struct {
		in   float64
		want uint16
	}{
		{0, 0}, {2.84, 28}, {2.85, 29}, {35.2, 352}, {-4, 0}, {math.NaN(), 0},
		{math.Inf(1), 65535}, {1e9, 65535}, {6553.5, 65535},
	}
	for _, tt := range tests {
		if got := tenths(tt.in); got != tt.want {
			t.Errorf("tenths(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParser(t *testing.T) {
	query := cmd(cmdQuery)
	badSum := bytes.Clone(query)
	badSum[17]++
	badTail := bytes.Clone(query)
	badTail[18] = 0
	tests := []struct {
		name     string
		in       []byte
		cmds     int
		badCount int
	}{
		{"one command", query, 1, 0},
		{"garbage first", append([]byte{0x00, 0xaa, 0xaa, 0xff}, query...), 1, 0},
		{"bad checksum, then good", append(badSum, query...), 1, 1},
		{"bad tail, then good", append(badTail, query...), 1, 1},
		{"command inside a bad candidate", append([]byte{0xaa, 0xb4}, query...), 1, 1},
		{"two", append(bytes.Clone(query), query...), 2, 0},
		{"truncated", query[:18], 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p parser
			cmds, bads := 0, 0
			for _, b := range tt.in {
				c, ok, bad := p.feed(b)
				if bad {
					bads++
				}
				if ok {
					cmds++
					if !bytes.Equal(c[:], query) {
						t.Errorf("parsed % x", c)
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
	if c.period != DefaultPeriod || c.minute != time.Minute || c.fw != DefaultFirmware || c.now == nil {
		t.Errorf("chip %+v", c)
	}
	if st := c.State(); !st.Active || st.Asleep || st.Period != 0 || st.ID != DefaultID {
		t.Errorf("new chip %+v, want factory state", st)
	}
}

// FuzzParser checks that the command parser never panics and that what it
// returns is a command with a good checksum and tail.
func FuzzParser(f *testing.F) {
	f.Add(cmd(cmdQuery))
	f.Add(append([]byte{0xaa, 0xb4}, cmd(cmdSleep, 1, 0)...))
	f.Add(bytes.Repeat([]byte{0xaa, 0xb4}, 30))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p parser
		for _, b := range data {
			c, ok, _ := p.feed(b)
			if ok && (c[0] != head || c[1] != kindCmd || c[18] != tail || c[17] != sum(c[2:17])) {
				t.Fatalf("parsed a bad command % x", c)
			}
		}
	})
}
