package pms5003

import (
	"errors"
	"fmt"
	"io"

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
	w := window{r: r}
	var junk junkRun
	for w.fill(1) {
		w.fill(2)
		if w.buf[0] != start1 || (len(w.buf) > 1 && w.buf[1] != start2) {
			junk.skip(&w, bad)
			continue
		}
		junk.flush(bad)
		if !w.fill(4) {
			truncated(&w, &junk, bad)
			continue
		}
		var size int
		switch n := be(w.buf, 2); n {
		case dataLen:
			size = FrameSize
		case replyLen:
			size = replySize
		default:
			bad(w.off, fmt.Sprintf("length field %d, want %d or %d", n, dataLen, replyLen))
			junk.quiet = w.off + 4
			w.drop(1)
			continue
		}
		if !w.fill(size) {
			truncated(&w, &junk, bad)
			continue
		}
		f := w.buf[:size]
		if !checkOK(f) {
			bad(w.off, fmt.Sprintf("bad checksum: frame says %#04x, bytes sum to %#04x", be(f, size-2), sum(f[:size-2])))
			junk.quiet = w.off + int64(size)
			w.drop(1)
			continue
		}
		if size == FrameSize {
			fr, _ := ParseFrame(f)
			out(sensor.Decoded{Offset: w.off, Quantity: telemetry.PM1, Value: float64(fr.Atm.PM1)})
			out(sensor.Decoded{Offset: w.off, Quantity: telemetry.PM2_5, Value: float64(fr.Atm.PM2_5)})
			out(sensor.Decoded{Offset: w.off, Quantity: telemetry.PM10, Value: float64(fr.Atm.PM10)})
		}
		w.drop(size)
	}
	junk.flush(bad)
	if w.err != nil && !errors.Is(w.err, io.EOF) {
		return fmt.Errorf("pms5003: decode: read: %w", w.err)
	}
	return nil
}

// truncated reports a candidate frame that the end of the input cuts
// short, once, and hunts on after its first byte: a shorter frame (a
// command reply) may still begin inside it.
func truncated(w *window, junk *junkRun, bad func(int64, string)) {
	end := w.off + int64(len(w.buf))
	if w.off >= junk.quiet {
		bad(w.off, fmt.Sprintf("input ends %d bytes into a frame", len(w.buf)))
	}
	junk.quiet = end
	w.drop(1)
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
