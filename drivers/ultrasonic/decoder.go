package ultrasonic

import (
	"errors"
	"fmt"
	"io"

	"periph.io/x/conn/v3/physic"

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
	w := window{r: r}
	var junk junkRun
	for w.fill(1) {
		if w.buf[0] != header {
			junk.skip(&w, bad)
			continue
		}
		if !w.fill(FrameSize) {
			junk.flush(bad)
			bad(w.off, fmt.Sprintf("input ends %d bytes into a %d-byte frame", len(w.buf), FrameSize))
			w.drop(len(w.buf))
			break
		}
		junk.flush(bad)
		f := w.buf[:FrameSize]
		if want := c.opts.Checksum.of(f[1], f[2]); f[3] != want {
			bad(w.off, fmt.Sprintf("bad checksum: frame says %#02x, %v gives %#02x", f[3], c.opts.Checksum, want))
			junk.quiet = w.off + FrameSize
			w.drop(1)
			continue
		}
		v := distance(f)
		if v < c.opts.Min || v > c.opts.Max {
			bad(w.off, fmt.Sprintf("distance %v outside %v–%v", v, c.opts.Min, c.opts.Max))
		}
		out(sensor.Decoded{Offset: w.off, Quantity: telemetry.Distance, Value: float64(v) / float64(physic.MilliMetre)})
		if c.height > 0 {
			out(sensor.Decoded{Offset: w.off, Quantity: telemetry.WaterLevel, Value: float64(c.height-v) / float64(physic.Metre)})
		}
		w.drop(FrameSize)
	}
	junk.flush(bad)
	if w.err != nil && !errors.Is(w.err, io.EOF) {
		return fmt.Errorf("ultrasonic: decode: read: %w", w.err)
	}
	return nil
}

// window is the unconsumed part of a stream: buf starts at stream offset
// off.
type window struct {
	r   io.Reader
	buf []byte
	off int64
	err error // the first read error; io.EOF at the end of the stream
}

// maxEmptyReads bounds reads that return neither bytes nor an error,
// which io.Reader discourages but allows.
const maxEmptyReads = 100

// fill reads until buf holds n bytes or the stream ends, and reports
// whether it holds them.
func (w *window) fill(n int) bool {
	empty := 0
	for len(w.buf) < n && w.err == nil {
		if cap(w.buf)-len(w.buf) < n-len(w.buf) || cap(w.buf) == len(w.buf) {
			nb := make([]byte, len(w.buf), len(w.buf)+n+4096)
			copy(nb, w.buf)
			w.buf = nb
		}
		k, err := w.r.Read(w.buf[len(w.buf):cap(w.buf)])
		w.buf = w.buf[:len(w.buf)+k]
		w.err = err
		if k == 0 && err == nil {
			if empty++; empty >= maxEmptyReads {
				w.err = io.ErrNoProgress
			}
		}
	}
	return len(w.buf) >= n
}

func (w *window) drop(k int) {
	w.buf = w.buf[k:]
	w.off += int64(k)
}

// junkRun gathers consecutive bytes that belong to no frame, so that a
// run is reported once.
type junkRun struct {
	start int64
	n     int
	quiet int64 // bytes before this offset are part of a reported frame
}

func (j *junkRun) skip(w *window, bad func(int64, string)) {
	if w.off >= j.quiet {
		if j.n > 0 && j.start+int64(j.n) != w.off {
			j.flush(bad)
		}
		if j.n == 0 {
			j.start = w.off
		}
		j.n++
	}
	w.drop(1)
}

func (j *junkRun) flush(bad func(int64, string)) {
	if j.n > 0 {
		bad(j.start, fmt.Sprintf("%d bytes that are not part of a frame", j.n))
		j.n = 0
	}
}
