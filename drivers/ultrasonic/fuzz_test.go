package ultrasonic

import (
	"bytes"
	"testing"

	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

func seeds(f *testing.F) {
	f.Add(f1953, false)
	f.Add(cat(f1953, f1500, f25), false)
	f.Add(cat([]byte{0x00, 0xff, 0xff}, f1953), false)
	f.Add(cat([]byte{0xff, 0x07, 0xa1, 0xa6}, f1953), false)
	f.Add(cat(f1953[2:], f5000), false)
	f.Add(f1953NoHeader, true)
	f.Add(bytes.Repeat([]byte{0xff}, 20), true)
	f.Add([]byte{}, false)
}

func variant(noHeader bool) Checksum {
	if noHeader {
		return SumNoHeader
	}
	return SumWithHeader
}

// FuzzReader feeds arbitrary bytes to a Dev. It must never panic, and
// every distance it returns must come from the 4 bytes it read last with
// a good checksum.
func FuzzReader(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte, noHeader bool) {
		s := &stream{Data: data}
		d := devOn(s, false)
		d.checksum = variant(noHeader)
		for range 64 {
			got, err := d.Read()
			if err != nil {
				return
			}
			read := s.Consumed()
			if len(read) < FrameSize {
				t.Fatalf("frame from only %d bytes", len(read))
			}
			want, err := ParseFrame(read[len(read)-FrameSize:], d.checksum)
			if err != nil || got != want {
				t.Fatalf("returned %v, the bytes say %v (%v)", got, want, err)
			}
		}
	})
}

// FuzzParseFrame checks that ParseFrame never panics and accepts exactly
// the 4-byte frames with a good checksum.
func FuzzParseFrame(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte, noHeader bool) {
		c := variant(noHeader)
		_, err := ParseFrame(b, c)
		valid := len(b) == FrameSize && b[0] == 0xff && b[3] == c.of(b[1], b[2])
		if valid != (err == nil) {
			t.Fatalf("ParseFrame(% x, %v) = %v, valid = %v", b, c, err, valid)
		}
	})
}

// FuzzDecode checks that the stream decoder never panics or fails on
// bytes, and that every value it emits comes from a frame with a good
// checksum at the offset it gives.
func FuzzDecode(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte, noHeader bool) {
		c := variant(noHeader)
		params := map[string]string{"checksum": c.String(), "mounting_height_m": "10"}
		sensortest.FuzzDecoded(t, "ultrasonic", data, params, func(d sensor.Decoded) float64 {
			if d.Offset+FrameSize > int64(len(data)) {
				t.Fatalf("value at offset %d outside the input", d.Offset)
			}
			v, err := ParseFrame(data[d.Offset:d.Offset+FrameSize], c)
			if err != nil {
				t.Fatalf("value %+v from a frame ParseFrame refuses: %v", d, err)
			}
			if d.Quantity == telemetry.WaterLevel {
				return float64(10*physic.Metre-v) / float64(physic.Metre)
			}
			return float64(v) / float64(physic.MilliMetre)
		})
	})
}
