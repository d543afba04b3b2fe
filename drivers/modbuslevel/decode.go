package modbuslevel

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/xiuhua/xiuhua/drivers/sensor"
)

// lookahead is the longest frame a header can announce: a response with
// 255 data bytes.
const lookahead = headerSize + 255 + 2

// frameKind is what the bytes at a stream position are.
type frameKind uint8

const (
	notFrame  frameKind = iota // garbage, a corrupted or a truncated frame
	response                   // a read response with a good CRC
	exception                  // an exception response with a good CRC
	request                    // a read request with a good CRC (captures of both directions)
)

// reason says why bytes at a stream position start no good frame. It is
// formatted only when reported, once per bad run of bytes.
type reason struct {
	frame []byte // the candidate frame, when the header made one
	need  int    // its length, when the stream ended before it
}

func (r reason) String() string {
	switch {
	case r.frame == nil:
		return "not a frame: no slave address and read function here"
	case len(r.frame) < r.need:
		if r.need == 2 {
			return fmt.Sprintf("truncated: %d byte at the end of the stream", len(r.frame))
		}
		return fmt.Sprintf("truncated: frame needs %d bytes, %d left", r.need, len(r.frame))
	}
	return fmt.Sprintf("bad CRC: % x", r.frame)
}

// scan says what the frame at the start of b is and how long it is. When
// b starts no good frame, why says why. eof says b holds all the stream
// has left.
func scan(b []byte, eof bool) (kind frameKind, size int, why reason) {
	if len(b) < 2 {
		if eof {
			return notFrame, 0, reason{frame: b, need: 2}
		}
		return notFrame, 0, reason{}
	}
	if b[0] == 0 || b[0] > 247 {
		return notFrame, 0, reason{}
	}
	need := 0
	switch b[1] {
	case ReadHolding, ReadInput:
		if len(b) >= headerSize && b[2] > 0 && b[2]%2 == 0 {
			need = headerSize + int(b[2]) + 2
			if len(b) >= need && crcOK(b[:need]) {
				return response, need, reason{}
			}
		}
		if len(b) >= requestSize && crcOK(b[:requestSize]) {
			return request, requestSize, reason{}
		}
		if need == 0 {
			need = requestSize
		}
	case ReadHolding | exceptionBit, ReadInput | exceptionBit:
		need = exceptionSize
		if len(b) >= need && crcOK(b[:need]) {
			return exception, need, reason{}
		}
	default:
		return notFrame, 0, reason{}
	}
	return notFrame, 0, reason{frame: b[:min(need, len(b))], need: need}
}

// decodeStream is the "modbuslevel" sensor.StreamDecoder. It finds read
// responses (function 3 or 4) in a captured RTU byte stream by their
// header and CRC, skips requests (a capture of both directions has
// them), and decodes each response's registers with the params' format.
// Slave and function, when the params give them, select which responses
// count. Each run of bytes that holds no good frame is reported once, at
// its first byte, as are exception responses, responses with another
// register count than the type needs, and values out of range.
func decodeStream(r io.Reader, params map[string]string, out func(sensor.Decoded), bad func(offset int64, reason string)) error {
	cfg, err := parseParams(params, false)
	if err != nil {
		return err
	}
	sr := &stickyReader{r: r}
	br := bufio.NewReaderSize(sr, 4*lookahead)
	var off int64
	inBad := false
	for {
		// After a read error no more bytes come, as at the end of the
		// stream: what was read is decoded first, then the error returned.
		b, err := br.Peek(lookahead)
		eof := err != nil
		if len(b) == 0 {
			if sr.err != nil && !errors.Is(sr.err, io.EOF) {
				return fmt.Errorf("modbuslevel: read stream at offset %d: %w", off, sr.err)
			}
			return nil
		}
		kind, size, why := scan(b, eof)
		if kind == notFrame {
			if !inBad {
				bad(off, why.String())
				inBad = true
			}
			size = 1
		} else {
			inBad = false
			f := b[:size]
			if cfg.selects(f[0], f[1]&^exceptionBit) {
				cfg.decode(off, f, kind, out, bad)
			}
		}
		br.Discard(size) // size ≤ len(b): never fails
		off += int64(size)
	}
}

// selects reports whether a frame from slave with function is one the
// params ask for.
func (c config) selects(slave, function byte) bool {
	return (!c.slaveSet || slave == c.opts.Slave) && (!c.functionSet || function == c.opts.Function)
}

// decode reports the value a response holds, or why it holds none.
func (c config) decode(off int64, f []byte, kind frameKind, out func(sensor.Decoded), bad func(int64, string)) {
	switch kind {
	case exception:
		bad(off, (&ExceptionError{Slave: f[0], Function: f[1] &^ exceptionBit, Code: f[2]}).Error())
	case response:
		n := c.opts.Format.Type.Registers()
		regs, err := ParseResponse(f, f[0], f[1], n)
		if err == nil {
			var v float64
			if v, err = c.value(regs); err == nil {
				out(sensor.Decoded{Offset: off, Quantity: c.q, Value: v})
				return
			}
		}
		bad(off, err.Error())
	}
}

// stickyReader returns the first error of r again on every later Read,
// so that a failed stream is not read on.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.err = err
	return n, err
}
