package ld2410

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// decode is the "ld2410" sensor.StreamDecoder. For each well-formed
// report (basic or engineering mode) it emits Presence and, when a target
// is there, Distance in mm to the nearest. It skips command frames and
// reports malformed frames, runs of bytes that belong to no frame,
// targets beyond DefaultMaxRange (which it still emits) and a frame cut
// short by the end of the input. The driver takes no params.
func decode(r io.Reader, p map[string]string, out func(sensor.Decoded), bad func(int64, string)) error {
	if err := checkParams(p); err != nil {
		return err
	}
	if out == nil {
		out = func(sensor.Decoded) {}
	}
	if bad == nil {
		bad = func(int64, string) {}
	}
	limits := &Dev{maxRange: DefaultMaxRange}
	w := window{r: r}
	var junk junkRun
	for w.fill(1) {
		w.fill(4)
		k := min(len(w.buf), 4)
		if !bytes.Equal(w.buf[:k], reportHeader[:k]) && !bytes.Equal(w.buf[:k], cmdHeader[:k]) {
			junk.skip(&w, bad)
			continue
		}
		if !w.fill(headSize) {
			junk.flush(bad)
			truncated(&w, &junk, bad)
			continue
		}
		isReport := [4]byte(w.buf[:4]) == reportHeader
		header, footer, minLen := cmdHeader, cmdFooter, ackLen
		if isReport {
			header, footer, minLen = reportHeader, reportFooter, reportLen
		}
		junk.flush(bad)
		size := headSize + int(binary.LittleEndian.Uint16(w.buf[4:])) + footSize
		if size-headSize-footSize < minLen || size > maxFrame {
			bad(w.off, fmt.Sprintf("length field %d outside %d–%d", size-headSize-footSize, minLen, maxPayload))
			junk.quiet = w.off + headSize
			w.drop(1)
			continue
		}
		if !w.fill(size) {
			truncated(&w, &junk, bad)
			continue
		}
		f := w.buf[:size]
		if !isReport {
			if reason := checkFrame(f, header, footer, minLen); reason != "" {
				bad(w.off, reason)
				junk.quiet = w.off + int64(size)
				w.drop(1)
				continue
			}
			w.drop(size)
			continue
		}
		rep, err := ParseReport(f)
		if err != nil {
			bad(w.off, strings.TrimPrefix(err.Error(), ErrFrame.Error()+": "))
			junk.quiet = w.off + int64(size)
			w.drop(1)
			continue
		}
		if !limits.InRange(rep) {
			bad(w.off, fmt.Sprintf("target beyond %v", DefaultMaxRange))
		}
		out(sensor.Decoded{Offset: w.off, Quantity: telemetry.Presence, Value: float64(rep.State)})
		if d, ok := rep.Nearest(); ok {
			out(sensor.Decoded{Offset: w.off, Quantity: telemetry.Distance, Value: float64(d) / float64(physic.MilliMetre)})
		}
		w.drop(size)
	}
	junk.flush(bad)
	if w.err != nil && !errors.Is(w.err, io.EOF) {
		return fmt.Errorf("ld2410: decode: read: %w", w.err)
	}
	return nil
}

// truncated reports a candidate frame that the end of the input cuts
// short, once, and hunts on after its first byte: a shorter frame may
// still begin inside it.
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
