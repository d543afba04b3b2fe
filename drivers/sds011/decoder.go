package sds011

import (
	"errors"
	"fmt"
	"io"

	"github.com/xiuhua/xiuhua/drivers/framing"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// decode is the "sds011" sensor.StreamDecoder. It emits PM2_5 and PM10 in
// µg/m³ for each data frame with a good checksum, skips command replies,
// and reports corrupted frames, runs of bytes that belong to no frame,
// values above the chip's range (which it still emits) and a frame cut
// short by the end of the input. params are checked as the factory checks
// them, though none changes the decoding.
func decode(r io.Reader, p map[string]string, out func(sensor.Decoded), bad func(int64, string)) error {
	if _, err := parseParams(p); err != nil {
		return err
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
		if w.Buf[0] != head {
			junk.Skip(&w, bad)
			continue
		}
		if !w.Fill(FrameSize) {
			if len(w.Buf) == 1 || w.Buf[1] == kindData || w.Buf[1] == kindAck {
				junk.Flush(bad)
				bad(w.Off, fmt.Sprintf("input ends %d bytes into a %d-byte frame", len(w.Buf), FrameSize))
				w.Drop(len(w.Buf))
				break
			}
			junk.Skip(&w, bad)
			continue
		}
		f := w.Buf[:FrameSize]
		if f[1] != kindData && f[1] != kindAck {
			junk.Skip(&w, bad)
			continue
		}
		junk.Flush(bad)
		switch {
		case f[9] != tail:
			bad(w.Off, fmt.Sprintf("frame ends %#02x, want 0xab", f[9]))
		case f[8] != sum(f[2:8]):
			bad(w.Off, fmt.Sprintf("bad checksum: frame says %#02x, bytes sum to %#02x", f[8], sum(f[2:8])))
		default:
			if f[1] == kindData {
				fr, _ := ParseFrame(f)
				if !fr.InRange() {
					bad(w.Off, fmt.Sprintf("PM2.5 %.1f or PM10 %.1f µg/m³ above the chip's range of 999.9", float64(fr.PM2_5)/10, float64(fr.PM10)/10))
				}
				out(sensor.Decoded{Offset: w.Off, Quantity: telemetry.PM2_5, Value: float64(fr.PM2_5) / 10})
				out(sensor.Decoded{Offset: w.Off, Quantity: telemetry.PM10, Value: float64(fr.PM10) / 10})
			}
			w.Drop(FrameSize)
			continue
		}
		// The rest of a corrupted frame is reported with it, not as junk.
		junk.Quiet = w.Off + FrameSize
		w.Drop(1)
	}
	junk.Flush(bad)
	if w.Err != nil && !errors.Is(w.Err, io.EOF) {
		return fmt.Errorf("sds011: decode: read: %w", w.Err)
	}
	return nil
}
