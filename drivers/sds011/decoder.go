package sds011

import (
	"errors"
	"fmt"
	"io"

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
	w := window{r: r}
	var junk junkRun
	for w.fill(1) {
		if w.buf[0] != head {
			junk.skip(&w, bad)
			continue
		}
		if !w.fill(FrameSize) {
			if len(w.buf) == 1 || w.buf[1] == kindData || w.buf[1] == kindAck {
				junk.flush(bad)
				bad(w.off, fmt.Sprintf("input ends %d bytes into a %d-byte frame", len(w.buf), FrameSize))
				w.drop(len(w.buf))
				break
			}
			junk.skip(&w, bad)
			continue
		}
		f := w.buf[:FrameSize]
		if f[1] != kindData && f[1] != kindAck {
			junk.skip(&w, bad)
			continue
		}
		junk.flush(bad)
		switch {
		case f[9] != tail:
			bad(w.off, fmt.Sprintf("frame ends %#02x, want 0xab", f[9]))
		case f[8] != sum(f[2:8]):
			bad(w.off, fmt.Sprintf("bad checksum: frame says %#02x, bytes sum to %#02x", f[8], sum(f[2:8])))
		default:
			if f[1] == kindData {
				fr, _ := ParseFrame(f)
				if !fr.InRange() {
					bad(w.off, fmt.Sprintf("PM2.5 %.1f or PM10 %.1f µg/m³ above the chip's range of 999.9", float64(fr.PM2_5)/10, float64(fr.PM10)/10))
				}
				out(sensor.Decoded{Offset: w.off, Quantity: telemetry.PM2_5, Value: float64(fr.PM2_5) / 10})
				out(sensor.Decoded{Offset: w.off, Quantity: telemetry.PM10, Value: float64(fr.PM10) / 10})
			}
			w.drop(FrameSize)
			continue
		}
		// The rest of a corrupted frame is reported with it, not as junk.
		junk.quiet = w.off + FrameSize
		w.drop(1)
	}
	junk.flush(bad)
	if w.err != nil && !errors.Is(w.err, io.EOF) {
		return fmt.Errorf("sds011: decode: read: %w", w.err)
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
