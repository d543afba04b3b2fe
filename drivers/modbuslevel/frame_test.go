package modbuslevel

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"periph.io/x/conn/v3/physic"
)

// Frames computed independently of this package (CRC-16/MODBUS).
var (
	reqH0x1      = []byte{0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0a} // REFERENCE.md's example
	reqH0x2      = []byte{0x01, 0x03, 0x00, 0x00, 0x00, 0x02, 0xc4, 0x0b}
	reqI7at100x2 = []byte{0x07, 0x04, 0x01, 0x00, 0x00, 0x02, 0x70, 0x51}
	resp1234     = []byte{0x01, 0x03, 0x02, 0x04, 0xd2, 0x3a, 0xd9}
	resp12345    = []byte{0x01, 0x03, 0x02, 0x30, 0x39, 0x6c, 0x56}
	respFloat    = []byte{0x01, 0x03, 0x04, 0x40, 0x50, 0x00, 0x00, 0xef, 0xe2} // 3.25, high word first
	respFloatLow = []byte{0x07, 0x04, 0x04, 0x00, 0x00, 0x40, 0x50, 0xac, 0x78} // 3.25, low word first, slave 7
	respInt16    = []byte{0x01, 0x03, 0x02, 0xfa, 0x24, 0xfa, 0xff}             // -1500
	respUint32   = []byte{0x01, 0x03, 0x04, 0x00, 0x01, 0x11, 0x70, 0xa6, 0x47} // 70000
	respNaN      = []byte{0x01, 0x03, 0x04, 0x7f, 0xc0, 0x00, 0x00, 0xe3, 0xdb}
	resp3regs    = []byte{0x01, 0x03, 0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0xfd, 0x74}
	respSlave2   = []byte{0x02, 0x03, 0x02, 0x04, 0xd2, 0x7e, 0xd9}
	excAddress   = []byte{0x01, 0x83, 0x02, 0xc0, 0xf1} // illegal data address
	excBusy      = []byte{0x01, 0x83, 0x06, 0xc1, 0x32} // slave device busy
	excFunc7     = []byte{0x07, 0x84, 0x01, 0x62, 0xc1} // illegal function, slave 7
)

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

func TestCRC(t *testing.T) {
	if got := crc16([]byte("123456789")); got != 0x4b37 {
		t.Errorf("CRC-16/MODBUS check value = %#04x, want 0x4b37", got)
	}
	for _, f := range [][]byte{reqH0x1, reqH0x2, reqI7at100x2, resp1234, respFloat, respFloatLow, respInt16, respUint32, resp3regs, excAddress, excBusy, excFunc7} {
		if !crcOK(f) {
			t.Errorf("% x: CRC fails", f)
		}
	}
	if crcOK(flip(resp1234, 4)) || crcOK([]byte{0x01, 0x03}) {
		t.Error("crcOK accepts a corrupted or short frame")
	}
}

func TestRequest(t *testing.T) {
	tests := []struct {
		slave, fn byte
		reg, n    uint16
		want      []byte
	}{
		{1, ReadHolding, 0, 1, reqH0x1},
		{1, ReadHolding, 0, 2, reqH0x2},
		{7, ReadInput, 0x0100, 2, reqI7at100x2},
	}
	for _, tt := range tests {
		if got := Request(tt.slave, tt.fn, tt.reg, tt.n); !bytes.Equal(got, tt.want) {
			t.Errorf("Request(%d, %d, %#x, %d) = % x, want % x", tt.slave, tt.fn, tt.reg, tt.n, got, tt.want)
		}
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name      string
		f         []byte
		slave, fn byte
		n         int
		want      []uint16
		err       error
	}{
		{"one register", resp1234, 1, 3, 1, []uint16{1234}, nil},
		{"two registers", respFloat, 1, 3, 2, []uint16{0x4050, 0}, nil},
		{"three registers", resp3regs, 1, 3, 3, []uint16{1, 2, 3}, nil},
		{"input registers, slave 7", respFloatLow, 7, 4, 2, []uint16{0, 0x4050}, nil},
		{"bad CRC", flip(resp1234, 3), 1, 3, 1, nil, ErrCRC},
		{"corrupted CRC byte", flip(resp1234, 6), 1, 3, 1, nil, ErrCRC},
		{"short", resp1234[:4], 1, 3, 1, nil, ErrTruncated},
		{"empty", nil, 1, 3, 1, nil, ErrTruncated},
		{"cut after the data", resp1234[:5], 1, 3, 1, nil, ErrCRC},
		{"another slave", respSlave2, 1, 3, 1, nil, ErrFrame},
		{"another function", resp1234, 1, 4, 1, nil, ErrFrame},
		{"another count", resp1234, 1, 3, 2, nil, ErrFrame},
		{"exception to another function", excFunc7, 7, 3, 1, nil, ErrFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseResponse(tt.f, tt.slave, tt.fn, tt.n)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseResponse = %v, %v; want error %v", got, err, tt.err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("registers %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("registers %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestParseException(t *testing.T) {
	tests := []struct {
		f    []byte
		want ExceptionError
		text string
	}{
		{excAddress, ExceptionError{1, 3, 2}, "modbuslevel: slave 1 refused function 0x03: exception 0x02 (illegal data address)"},
		{excBusy, ExceptionError{1, 3, 6}, "modbuslevel: slave 1 refused function 0x03: exception 0x06 (slave device busy)"},
		{excFunc7, ExceptionError{7, 4, 1}, "modbuslevel: slave 7 refused function 0x04: exception 0x01 (illegal function)"},
	}
	for _, tt := range tests {
		_, err := ParseResponse(tt.f, tt.want.Slave, tt.want.Function, 1)
		var ex *ExceptionError
		if !errors.As(err, &ex) || *ex != tt.want || err.Error() != tt.text {
			t.Errorf("ParseResponse(% x) = %v, want %q", tt.f, err, tt.text)
		}
	}
	if s := (&ExceptionError{1, 3, 0x42}).Error(); s != "modbuslevel: slave 1 refused function 0x03: exception 0x42 (unknown exception)" {
		t.Errorf("unknown code: %q", s)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		f    Format
		regs []uint16
		raw  float64
		want physic.Distance
	}{
		{"uint16 mm", Format{}, []uint16{1234}, 1234, 1234 * physic.MilliMetre},
		{"uint16 top", Format{}, []uint16{0xffff}, 65535, 65535 * physic.MilliMetre},
		{"int16 negative", Format{Type: Int16}, []uint16{0xfa24}, -1500, -1500 * physic.MilliMetre},
		{"uint32 high first", Format{Type: Uint32}, []uint16{0x0001, 0x1170}, 70000, 70 * physic.Metre},
		{"uint32 low first", Format{Type: Uint32, WordOrder: LowWordFirst}, []uint16{0x1170, 0x0001}, 70000, 70 * physic.Metre},
		{"int32 negative", Format{Type: Int32}, []uint16{0xffff, 0xfffe}, -2, -2 * physic.MilliMetre},
		{"float32 m", Format{Type: Float32, Unit: physic.Metre}, []uint16{0x4050, 0}, 3.25, 3250 * physic.MilliMetre},
		{"float32 m, low first", Format{Type: Float32, WordOrder: LowWordFirst, Unit: physic.Metre}, []uint16{0, 0x4050}, 3.25, 3250 * physic.MilliMetre},
		{"0.1 mm steps", Format{Scale: 0.1}, []uint16{12345}, 12345, 1234500 * physic.MicroMetre},
		{"cm", Format{Unit: 10 * physic.MilliMetre}, []uint16{250}, 250, 2500 * physic.MilliMetre},
		{"level from distance", Format{Scale: -0.001, Offset: 12.5, Unit: physic.Metre}, []uint16{1234}, 1234, 11266 * physic.MilliMetre},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if raw := tt.f.Raw(tt.regs); raw != tt.raw {
				t.Errorf("Raw = %v, want %v", raw, tt.raw)
			}
			d, err := tt.f.Distance(tt.regs)
			if err != nil || d != tt.want {
				t.Errorf("Distance = %v, %v; want %v", d, err, tt.want)
			}
		})
	}
}

func TestFormatErrors(t *testing.T) {
	tests := []struct {
		f    Format
		regs []uint16
	}{
		{Format{Type: Float32}, []uint16{0x7fc0, 0}},      // NaN
		{Format{Type: Float32}, []uint16{0x7f80, 0}},      // +Inf
		{Format{Type: Float32}, []uint16{0x7f7f, 0xffff}}, // 3.4e38 mm
		{Format{Scale: math.MaxFloat64}, []uint16{2}},
		{Format{Type: Uint32}, []uint16{1}}, // too few registers
	}
	for _, tt := range tests {
		if d, err := tt.f.Distance(tt.regs); err == nil {
			t.Errorf("%+v: Distance(% 04x) = %v, want an error", tt.f, tt.regs, d)
		}
	}
	if Type(9).String() != "type(9)" || Float32.String() != "float32" || LowWordFirst.String() != "little" || HighWordFirst.String() != "big" {
		t.Error("names")
	}
}
