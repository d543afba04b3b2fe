package pms5003

import (
	"errors"
	"fmt"
	"io"

	"github.com/xiuhua/xiuhua/drivers/framing"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

func init() { sensor.RegisterDecoder("pms5003", decode) }

// decode is the "pms5003" sensor.StreamDecoder. For each data frame with a
// good check it emits the atmospheric PM1, PM2_5 and PM10 in µg/m³, as
// Sense does. It skips command replies and reports frames whose length
// field or check is wrong, runs of bytes that belong to no frame and a
// frame cut short by the end of the input. The "mode" param is checked as
// the factory checks it but changes nothing.
func decode(r io.Reader, p map[string]string, out func(sensor.Decoded), bad func(int64, string)) error {
	if v, ok := p["mode"]; ok && v != "passive" && v != "active" {
		return fmt.Errorf("pms5003: param mode=%q: want %q or %q", v, "passive", "active")
	}
	if out == nil {
		out = func(sensor.Decoded) {}
	}
	if bad == nil {
		bad = func(int64, string) {}
	}
	w := framing.Window{R: r}
	var junk framing.Junk
	for w.Fill(1) {
		w.Fill(2)
		if w.Buf[0] != start1 || (len(w.Buf) > 1 && w.Buf[1] != start2) {
			junk.Skip(&w, bad)
			continue
		}
		junk.Flush(bad)
		if !w.Fill(4) {
			framing.Truncated(&w, &junk, bad)
			continue
		}
		var size int
		switch n := be(w.Buf, 2); n {
		case dataLen:
			size = FrameSize
		case replyLen:
			size = replySize
		default:
			bad(w.Off, fmt.Sprintf("length field %d, want %d or %d", n, dataLen, replyLen))
			junk.Quiet = w.Off + 4
			w.Drop(1)
			continue
		}
		if !w.Fill(size) {
			framing.Truncated(&w, &junk, bad)
			continue
		}
		f := w.Buf[:size]
		if !checkOK(f) {
			bad(w.Off, fmt.Sprintf("bad checksum: frame says %#04x, bytes sum to %#04x", be(f, size-2), sum(f[:size-2])))
			junk.Quiet = w.Off + int64(size)
			w.Drop(1)
			continue
		}
		if size == FrameSize {
			fr, _ := ParseFrame(f)
			out(sensor.Decoded{Offset: w.Off, Quantity: telemetry.PM1, Value: float64(fr.Atm.PM1)})
			out(sensor.Decoded{Offset: w.Off, Quantity: telemetry.PM2_5, Value: float64(fr.Atm.PM2_5)})
			out(sensor.Decoded{Offset: w.Off, Quantity: telemetry.PM10, Value: float64(fr.Atm.PM10)})
		}
		w.Drop(size)
	}
	junk.Flush(bad)
	if w.Err != nil && !errors.Is(w.Err, io.EOF) {
		return fmt.Errorf("pms5003: decode: read: %w", w.Err)
	}
	return nil
}
