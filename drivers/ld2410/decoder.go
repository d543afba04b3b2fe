package ld2410

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/framing"
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
	w := framing.Window{R: r}
	var junk framing.Junk
	for w.Fill(1) {
		w.Fill(4)
		k := min(len(w.Buf), 4)
		if !bytes.Equal(w.Buf[:k], reportHeader[:k]) && !bytes.Equal(w.Buf[:k], cmdHeader[:k]) {
			junk.Skip(&w, bad)
			continue
		}
		if !w.Fill(headSize) {
			junk.Flush(bad)
			framing.Truncated(&w, &junk, bad)
			continue
		}
		isReport := [4]byte(w.Buf[:4]) == reportHeader
		header, footer, minLen := cmdHeader, cmdFooter, ackLen
		if isReport {
			header, footer, minLen = reportHeader, reportFooter, reportLen
		}
		junk.Flush(bad)
		size := headSize + int(binary.LittleEndian.Uint16(w.Buf[4:])) + footSize
		if size-headSize-footSize < minLen || size > maxFrame {
			bad(w.Off, fmt.Sprintf("length field %d outside %d–%d", size-headSize-footSize, minLen, maxPayload))
			junk.Quiet = w.Off + headSize
			w.Drop(1)
			continue
		}
		if !w.Fill(size) {
			framing.Truncated(&w, &junk, bad)
			continue
		}
		f := w.Buf[:size]
		if !isReport {
			if reason := checkFrame(f, header, footer, minLen); reason != "" {
				bad(w.Off, reason)
				junk.Quiet = w.Off + int64(size)
				w.Drop(1)
				continue
			}
			w.Drop(size)
			continue
		}
		rep, err := ParseReport(f)
		if err != nil {
			bad(w.Off, strings.TrimPrefix(err.Error(), ErrFrame.Error()+": "))
			junk.Quiet = w.Off + int64(size)
			w.Drop(1)
			continue
		}
		if !limits.InRange(rep) {
			bad(w.Off, fmt.Sprintf("target beyond %v", DefaultMaxRange))
		}
		out(sensor.Decoded{Offset: w.Off, Quantity: telemetry.Presence, Value: float64(rep.State)})
		if d, ok := rep.Nearest(); ok {
			out(sensor.Decoded{Offset: w.Off, Quantity: telemetry.Distance, Value: float64(d) / float64(physic.MilliMetre)})
		}
		w.Drop(size)
	}
	junk.Flush(bad)
	if w.Err != nil && !errors.Is(w.Err, io.EOF) {
		return fmt.Errorf("ld2410: decode: read: %w", w.Err)
	}
	return nil
}
