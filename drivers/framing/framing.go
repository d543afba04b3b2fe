// Package framing finds frames in the bytes of a UART device, for the
// UART drivers.
//
// In a captured byte stream, for the stream decoders (`xiuhua-agent
// decode`): a Window over the stream that reads only what a frame needs,
// and a Junk tally that reports each run of bytes belonging to no frame
// once, with its offset.
//
// On a live conn, for the drivers' readers: an Rx receive buffer that
// asks the conn for exactly the bytes a frame still needs, so that a read
// never reaches past a frame's end, and a Hunt tally of the bytes a
// search for a frame has passed over, against its budget. The frame
// layouts, checks and counters stay with each driver.
package framing

import (
	"fmt"
	"io"
)

// Window is the unconsumed part of a stream: Buf starts at stream offset
// Off.
type Window struct {
	R   io.Reader
	Buf []byte
	Off int64
	Err error // the first read error; io.EOF at the end of the stream
}

// maxEmptyReads bounds reads that return neither bytes nor an error,
// which io.Reader discourages but allows.
const maxEmptyReads = 100

// Fill reads until Buf holds n bytes or the stream ends, and reports
// whether it holds them.
func (w *Window) Fill(n int) bool {
	empty := 0
	for len(w.Buf) < n && w.Err == nil {
		if cap(w.Buf)-len(w.Buf) < n-len(w.Buf) || cap(w.Buf) == len(w.Buf) {
			nb := make([]byte, len(w.Buf), len(w.Buf)+n+4096)
			copy(nb, w.Buf)
			w.Buf = nb
		}
		k, err := w.R.Read(w.Buf[len(w.Buf):cap(w.Buf)])
		w.Buf = w.Buf[:len(w.Buf)+k]
		w.Err = err
		if k == 0 && err == nil {
			if empty++; empty >= maxEmptyReads {
				w.Err = io.ErrNoProgress
			}
		}
	}
	return len(w.Buf) >= n
}

// Drop consumes k bytes.
func (w *Window) Drop(k int) {
	w.Buf = w.Buf[k:]
	w.Off += int64(k)
}

// Junk gathers consecutive bytes that belong to no frame, so that a run
// is reported once.
type Junk struct {
	start int64
	n     int
	// Quiet: bytes before this offset are part of a frame already
	// reported as bad, so they are not reported again as junk.
	Quiet int64
}

// Skip consumes one byte of w as junk.
func (j *Junk) Skip(w *Window, bad func(int64, string)) {
	if w.Off >= j.Quiet {
		if j.n > 0 && j.start+int64(j.n) != w.Off {
			j.Flush(bad)
		}
		if j.n == 0 {
			j.start = w.Off
		}
		j.n++
	}
	w.Drop(1)
}

// Flush reports the run gathered so far, if any.
func (j *Junk) Flush(bad func(int64, string)) {
	if j.n > 0 {
		bad(j.start, fmt.Sprintf("%d bytes that are not part of a frame", j.n))
		j.n = 0
	}
}

// Truncated reports a candidate frame that the end of the input cuts
// short, once, and hunts on after its first byte: a shorter frame (a
// command reply) may still begin inside it.
func Truncated(w *Window, j *Junk, bad func(int64, string)) {
	end := w.Off + int64(len(w.Buf))
	if w.Off >= j.Quiet {
		bad(w.Off, fmt.Sprintf("input ends %d bytes into a frame", len(w.Buf)))
	}
	j.Quiet = end
	w.Drop(1)
}
