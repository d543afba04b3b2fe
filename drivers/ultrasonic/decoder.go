package ultrasonic

import (
	"errors"
	"fmt"
	"io"

	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/framing"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// decode is the "ultrasonic" sensor.StreamDecoder. For each frame whose
// checksum matches the "checksum" param it emits Distance in mm and, when
// "mounting_height_m" is set, WaterLevel in metres. It reports corrupted
// frames, runs of bytes that belong to no frame, distances outside
// min_mm–max_mm (which it still emits) and a frame cut short by the end
// of the input. The other params are checked but change nothing.
func decode(r io.Reader, p map[string]string, out func(sensor.Decoded), bad func(int64, string)) error {
	c, err := parseParams(p)
	if err != nil {
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
		if w.Buf[0] != header {
			junk.Skip(&w, bad)
			continue
		}
		if !w.Fill(FrameSize) {
			junk.Flush(bad)
			bad(w.Off, fmt.Sprintf("input ends %d bytes into a %d-byte frame", len(w.Buf), FrameSize))
			w.Drop(len(w.Buf))
			break
		}
		junk.Flush(bad)
		f := w.Buf[:FrameSize]
		if want := c.opts.Checksum.of(f[1], f[2]); f[3] != want {
			bad(w.Off, fmt.Sprintf("bad checksum: frame says %#02x, %v gives %#02x", f[3], c.opts.Checksum, want))
			junk.Quiet = w.Off + FrameSize
			w.Drop(1)
			continue
		}
		v := distance(f)
		if v < c.opts.Min || v > c.opts.Max {
			bad(w.Off, fmt.Sprintf("distance %v outside %v–%v", v, c.opts.Min, c.opts.Max))
		}
		out(sensor.Decoded{Offset: w.Off, Quantity: telemetry.Distance, Value: float64(v) / float64(physic.MilliMetre)})
		if c.height > 0 {
			out(sensor.Decoded{Offset: w.Off, Quantity: telemetry.WaterLevel, Value: float64(c.height-v) / float64(physic.Metre)})
		}
		w.Drop(FrameSize)
	}
	junk.Flush(bad)
	if w.Err != nil && !errors.Is(w.Err, io.EOF) {
		return fmt.Errorf("ultrasonic: decode: read: %w", w.Err)
	}
	return nil
}
