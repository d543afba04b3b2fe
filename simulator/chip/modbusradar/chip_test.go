package modbusradar

import (
	"bytes"
	"testing"
	"time"
)

// Frames computed independently of this package (CRC-16/MODBUS).
var (
	reqH0x1   = []byte{0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0a}
	reqH0x2   = []byte{0x01, 0x03, 0x00, 0x00, 0x00, 0x02, 0xc4, 0x0b}
	reqH1x2   = []byte{0x01, 0x03, 0x00, 0x01, 0x00, 0x02, 0x95, 0xcb}
	reqH10x2  = []byte{0x01, 0x03, 0x00, 0x10, 0x00, 0x02, 0xc5, 0xce}
	reqI0x2   = []byte{0x01, 0x04, 0x00, 0x00, 0x00, 0x02, 0x71, 0xcb}
	reqH10x1  = []byte{0x01, 0x03, 0x00, 0x10, 0x00, 0x01, 0x85, 0xcf}
	reqH5x1   = []byte{0x01, 0x03, 0x00, 0x05, 0x00, 0x01, 0x94, 0x0b}
	reqFC6    = []byte{0x01, 0x06, 0x00, 0x00, 0x00, 0x01, 0x48, 0x0a}
	reqCount0 = []byte{0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x45, 0xca}
	reqSlave2 = []byte{0x02, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x39}
	reqBcast  = []byte{0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x85, 0xdb}

	resp1234  = []byte{0x01, 0x03, 0x02, 0x04, 0xd2, 0x3a, 0xd9}
	respFloat = []byte{0x01, 0x03, 0x04, 0x40, 0x50, 0x00, 0x00, 0xef, 0xe2} // 3.25
	respIn    = []byte{0x01, 0x04, 0x04, 0x7e, 0xf4, 0x00, 0x00, 0xa2, 0x5e} // 32500, low word first
	respAddr  = []byte{0x01, 0x03, 0x02, 0x00, 0x01, 0x79, 0x84}
	excAddr   = []byte{0x01, 0x83, 0x02, 0xc0, 0xf1}
	excValue  = []byte{0x01, 0x83, 0x03, 0x01, 0x31}
	excFunc   = []byte{0x01, 0x86, 0x01, 0x83, 0xa0}
	excFail   = []byte{0x01, 0x83, 0x04, 0x40, 0xf3}
)

func mm(v float64) Source { return func(time.Time) float64 { return v } }

func TestHandle(t *testing.T) {
	c := Radar(mm(1234), nil)
	tests := []struct {
		name string
		req  []byte
		want []byte
	}{
		{"distance in mm", reqH0x1, resp1234},
		{"register 0x10: the slave address", reqH10x1, respAddr},
		{"a register not in the map", reqH5x1, excAddr},
		{"past the end of the map", reqH10x2, excAddr},
		{"write single register", reqFC6, excFunc},
		{"count 0", reqCount0, excValue},
		{"another slave", reqSlave2, nil},
		{"broadcast", reqBcast, nil},
		{"bad CRC", []byte{0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0b}, nil},
		{"too short", []byte{0x01, 0x03}, nil},
	}
	for _, tt := range tests {
		if got := c.Handle(tt.req); !bytes.Equal(got, tt.want) {
			t.Errorf("%s: Handle(% x) = % x, want % x", tt.name, tt.req, got, tt.want)
		}
	}
	want := State{Requests: 6, Responses: 2, Exceptions: 4, BadCRC: 2, Ignored: 2}
	if s := c.State(); s != want {
		t.Errorf("State = %+v, want %+v", s, want)
	}
}

func TestEncodings(t *testing.T) {
	c := Radar(mm(3250), nil)
	if got := c.Handle(reqH1x2); !bytes.Equal(got, respFloat) {
		t.Errorf("float32 m = % x, want % x", got, respFloat)
	}
	if got := c.Handle(reqI0x2); !bytes.Equal(got, respIn) {
		t.Errorf("uint32 0.1 mm, low word first = % x, want % x", got, respIn)
	}
	tests := []struct {
		enc  Encoding
		v    float64
		want []uint16
	}{
		{Encoding{Type: Uint16}, -5, []uint16{0}},
		{Encoding{Type: Uint16}, 70000, []uint16{0xffff}},
		{Encoding{Type: Int16}, -1500, []uint16{0xfa24}},
		{Encoding{Type: Uint32}, 70000, []uint16{0x0001, 0x1170}},
		{Encoding{Type: Int32, LowWordFirst: true}, -2, []uint16{0xfffe, 0xffff}},
		{Encoding{Type: Float32, Scale: 1000}, 3250, []uint16{0x4050, 0}},
	}
	for _, tt := range tests {
		got := encode(tt.enc, tt.v)
		if len(got) != len(tt.want) || got[0] != tt.want[0] || got[len(got)-1] != tt.want[len(tt.want)-1] {
			t.Errorf("encode(%+v, %v) = %04x, want %04x", tt.enc, tt.v, got, tt.want)
		}
	}
}

func TestFaults(t *testing.T) {
	c := Radar(mm(1234), nil)
	bad := bytes.Clone(resp1234)
	bad[6] ^= 0x40
	tests := []struct {
		f    Fault
		want []byte
	}{
		{Fault{Silent: true}, nil},
		{Fault{BadCRC: true}, bad},
		{Fault{Truncate: 4}, resp1234[:4]},
		{Fault{Exception: DeviceFailure}, excFail},
		{Fault{}, resp1234},
	}
	for _, tt := range tests {
		c.SetFault(tt.f)
		if got := c.Handle(reqH0x1); !bytes.Equal(got, tt.want) {
			t.Errorf("%+v: % x, want % x", tt.f, got, tt.want)
		}
	}
	if got := c.Handle(reqH0x2); !bytes.Equal(got[:3], []byte{0x01, 0x03, 0x04}) {
		t.Errorf("two registers: % x", got)
	}
}
