package ld2410

import (
	"bytes"
	"testing"

	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

func seeds(f *testing.F) {
	bad := bytes.Clone(repBoth)
	bad[17] = 0x54
	f.Add(repMoving)
	f.Add(cat(repMoving, repNone, repEng))
	f.Add(cat([]byte{0x00, 0xf4, 0xf3, 0xf2}, repStill))
	f.Add(cat(ackEnable, repBoth, ackFirmware))
	f.Add(cat(bad, repFar))
	f.Add(cat(hdr, []byte{0x30, 0x00}, repMoving))
	f.Add(cat(repMoving[5:], ackEnd[:8], repBoth))
	f.Add(bytes.Repeat(hdr, 10))
	f.Add([]byte{})
}

// FuzzReader feeds arbitrary bytes to a Dev. It must never panic, and
// every report it returns must be the frame it read last (nothing read
// past it), well formed.
func FuzzReader(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &stream{Data: data}
		d := devOn(s)
		d.maxSkip = 128
		for range 64 {
			got, err := d.Read()
			if err != nil {
				return
			}
			read := s.Consumed()
			var want Report
			var perr error = ErrFrame
			for n := 10 + reportLen; n <= len(read) && n <= maxFrame; n++ {
				if want, perr = ParseReport(read[len(read)-n:]); perr == nil {
					break
				}
			}
			if perr != nil {
				t.Fatalf("returned %+v; the bytes read last are no report", got)
			}
			if got != want {
				t.Fatalf("returned %+v, the bytes say %+v", got, want)
			}
		}
	})
}

// FuzzParseReport checks that ParseReport never panics and that what it
// accepts has the header, length, footer and markers of a report.
func FuzzParseReport(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReport(b)
		if err != nil {
			return
		}
		n := len(b)
		if !bytes.Equal(b[:4], hdr) || !bytes.Equal(b[n-4:], ftr) || int(b[4])|int(b[5])<<8 != n-10 ||
			b[7] != 0xaa || b[n-6] != 0x55 || b[n-5] != 0x00 || r.State > Both {
			t.Fatalf("ParseReport accepted % x", b)
		}
	})
}

// FuzzDecode checks that the stream decoder never panics or fails on
// bytes, and that every value it emits comes from a well-formed report at
// the offset it gives.
func FuzzDecode(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		sensortest.FuzzDecoded(t, "ld2410", data, nil, func(d sensor.Decoded) float64 {
			if d.Offset+headSize > int64(len(data)) {
				t.Fatalf("value at offset %d outside the input", d.Offset)
			}
			end := d.Offset + headSize + int64(data[d.Offset+4]) + int64(data[d.Offset+5])<<8 + footSize
			if end > int64(len(data)) {
				t.Fatalf("value at offset %d from a frame running past the input", d.Offset)
			}
			r, err := ParseReport(data[d.Offset:end])
			if err != nil {
				t.Fatalf("value %+v from a frame ParseReport refuses: %v", d, err)
			}
			if d.Quantity == telemetry.Distance {
				n, _ := r.Nearest()
				return float64(n) / float64(physic.MilliMetre)
			}
			return float64(r.State)
		})
	})
}
