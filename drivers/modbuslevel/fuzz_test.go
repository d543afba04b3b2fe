package modbuslevel

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/drivers/sensor"
)

// FuzzParseResponse checks that ParseResponse never panics and accepts
// exactly the frames with the right length, CRC, slave, function and
// byte count, returning their registers.
func FuzzParseResponse(f *testing.F) {
	for _, b := range [][]byte{resp1234, respFloat, respFloatLow, resp3regs, excAddress, excFunc7, respSlave2, reqH0x1, {}} {
		f.Add(b, byte(1), byte(3), uint8(1))
	}
	f.Add(respFloatLow, byte(7), byte(4), uint8(2))
	f.Add(resp3regs, byte(1), byte(3), uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, slave, fn byte, count uint8) {
		n := int(count)
		regs, err := ParseResponse(b, slave, fn, n)
		valid := len(b) == 5+2*n && crcOK(b) && b[0] == slave && b[1] == fn && int(b[2]) == 2*n
		if valid != (err == nil) {
			t.Fatalf("ParseResponse(% x, %d, %d, %d) = %v, valid = %v", b, slave, fn, n, err, valid)
		}
		for i, r := range regs {
			if r != binary.BigEndian.Uint16(b[3+2*i:]) {
				t.Fatalf("register %d = %#04x from % x", i, r, b)
			}
		}
	})
}

// FuzzDecodeStream feeds arbitrary bytes to the stream decoder. It must
// never panic, report offsets in order and inside the stream, and every
// value it reports must come from a response with a good CRC at that
// offset.
func FuzzDecodeStream(f *testing.F) {
	f.Add(cat(resp1234, resp12345), uint8(0))
	f.Add(cat(reqH0x1, resp1234, reqH0x2, respFloat), uint8(4))
	f.Add(cat(resp1234, flip(resp12345, 4), excAddress, resp1234[:4]), uint8(0))
	f.Add(cat([]byte{0x00, 0xff}, respFloatLow, respNaN), uint8(4))
	f.Add(cat(respUint32, respInt16), uint8(2))
	f.Add(bytes.Repeat([]byte{0x01, 0x03, 0xff}, 100), uint8(1))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, typ uint8) {
		params := map[string]string{"type": typeNames[int(typ)%len(typeNames)]}
		dec, err := sensor.LookupDecoder("modbuslevel")
		if err != nil {
			t.Fatal(err)
		}
		last := int64(-1)
		check := func(off int64) {
			if off <= last || off >= int64(len(data)) {
				t.Fatalf("offset %d after %d in %d bytes", off, last, len(data))
			}
			last = off
		}
		err = dec(bytes.NewReader(data), params, func(v sensor.Decoded) {
			check(v.Offset)
			f := data[v.Offset:]
			size := 5 + int(f[2])
			if len(f) < size || !crcOK(f[:size]) {
				t.Fatalf("value %v from a frame with a bad CRC at %d: % x", v.Value, v.Offset, f)
			}
		}, func(off int64, reason string) {
			check(off)
			if reason == "" {
				t.Fatalf("bad frame at %d without a reason", off)
			}
		})
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
	})
}

// FuzzRead runs a Dev's read against a slave that answers arbitrary
// bytes. It must never panic, never read past the frame its header
// announces, and return a value only for a frame ParseResponse accepts.
func FuzzRead(f *testing.F) {
	f.Add(resp1234, uint8(0))
	f.Add(respFloat, uint8(4))
	f.Add(excAddress, uint8(0))
	f.Add(flip(resp1234, 5), uint8(0))
	f.Add(resp1234[:4], uint8(0))
	f.Add([]byte{0x01, 0x03, 0xfe}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, typ uint8) {
		c := &silentConn{resp: data}
		d := devOn(c, Opts{Format: Format{Type: Type(int(typ) % len(typeNames))}})
		d.wait = func(context.Context, time.Duration) error { return nil }
		_, err := d.Read(context.Background())
		n := d.o.Format.Type.Registers()
		if err == nil {
			if c.pos != 5+2*n {
				t.Fatalf("read %d bytes for %d registers", c.pos, n)
			}
			if _, perr := ParseResponse(data[:c.pos], 1, 3, n); perr != nil {
				t.Fatalf("Read accepted % x: %v", data[:c.pos], perr)
			}
		}
		if c.pos > 5+2*n && c.pos != len(data) {
			t.Fatalf("read %d bytes, past any response to %d registers", c.pos, n)
		}
	})
}
