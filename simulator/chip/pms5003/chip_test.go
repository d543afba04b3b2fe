package pms5003

import (
	"bytes"
	"math"
	"testing"
	"time"

	drv "github.com/xiuhua/xiuhua/drivers/pms5003"
)

func TestFrame(t *testing.T) {
	b := frame(Values{PM1: 22, PM2_5: 35, PM10: 44})
	want := map[int][]byte{
		0:  {0x42, 0x4d, 0x00, 0x1c},
		4:  {0x00, 0x16, 0x00, 0x26, 0x00, 0x33}, // CF=1: 22, 37.5→38, 51
		10: {0x00, 0x16, 0x00, 0x23, 0x00, 0x2c}, // atmospheric: 22, 35, 44
		28: {0x97, 0x00},
	}
	for off, w := range want {
		if got := b[off : off+len(w)]; !bytes.Equal(got, w) {
			t.Errorf("bytes %d..%d = % x, want % x", off, off+len(w)-1, got, w)
		}
	}
	f, err := drv.ParseFrame(b)
	if err != nil {
		t.Fatalf("the driver refuses the frame: %v", err)
	}
	c := f.Counts
	n := []uint16{c.Over0_3, c.Over0_5, c.Over1_0, c.Over2_5, c.Over5_0, c.Over10}
	for i := 1; i < len(n); i++ {
		if n[i] > n[i-1] {
			t.Errorf("counts %v grow with particle size", n)
		}
	}
	if n[0] == 0 || n[5] == 0 {
		t.Errorf("counts %v: want some particles in every band for dusty air", n)
	}
}

func TestU16(t *testing.T) {
	tests := []struct {
		in   float64
		want uint16
	}{
		{0, 0}, {2.4, 2}, {2.5, 3}, {35, 35}, {-4, 0}, {math.NaN(), 0},
		{math.Inf(1), 65535}, {1e9, 65535}, {65534.6, 65535},
	}
	for _, tt := range tests {
		if got := u16(tt.in); got != tt.want {
			t.Errorf("u16(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestReply(t *testing.T) {
	tests := []struct {
		cmd, data byte
		want      []byte
	}{
		{cmdMode, 0, []byte{0x42, 0x4d, 0x00, 0x04, 0xe1, 0x00, 0x01, 0x74}},
		{cmdMode, 1, []byte{0x42, 0x4d, 0x00, 0x04, 0xe1, 0x01, 0x01, 0x75}},
		{cmdSleep, 0, []byte{0x42, 0x4d, 0x00, 0x04, 0xe4, 0x00, 0x01, 0x77}},
	}
	for _, tt := range tests {
		if got := reply(tt.cmd, tt.data); !bytes.Equal(got, tt.want) {
			t.Errorf("reply(%#x, %d) = % x, want % x", tt.cmd, tt.data, got, tt.want)
		}
	}
}

func TestParser(t *testing.T) {
	read := []byte{0x42, 0x4d, 0xe2, 0x00, 0x00, 0x01, 0x71}
	badRead := []byte{0x42, 0x4d, 0xe2, 0x00, 0x00, 0x01, 0x72}
	tests := []struct {
		name     string
		in       []byte
		cmds     int
		badCount int
	}{
		{"one command", read, 1, 0},
		{"garbage first", append([]byte{0x00, 0x42, 0x42, 0xff}, read...), 1, 0},
		{"bad check, then good", append(bytes.Clone(badRead), read...), 1, 1},
		{"command inside a bad candidate", append([]byte{0x42, 0x4d}, read...), 1, 1},
		{"two", append(bytes.Clone(read), read...), 2, 0},
		{"truncated", read[:6], 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p parser
			cmds, bads := 0, 0
			for _, b := range tt.in {
				cmd, ok, bad := p.feed(b)
				if bad {
					bads++
				}
				if ok {
					cmds++
					if !bytes.Equal(cmd[:], read) {
						t.Errorf("parsed % x", cmd)
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
	if c.period != DefaultPeriod || c.now == nil {
		t.Errorf("period %v", c.period)
	}
	if st := c.State(); !st.Active || st.Asleep {
		t.Errorf("new chip %+v, want awake and active", st)
	}
}
