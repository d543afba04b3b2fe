package ld2410

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/xiuhua/xiuhua/drivers/framing"
)

// next reads from the conn until it has assembled a well-formed frame
// (report or ACK) that keep accepts, and returns a copy of it. Frames
// keep refuses are skipped whole; anything else is dropped a byte at a
// time. idle is how many read timeouts to sit out while nothing is
// buffered.
//
// The caller holds d.mu.
func (d *Dev) next(ctx context.Context, keep func(f []byte) bool, idle int) ([]byte, error) {
	var h framing.Hunt
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := h.Err(d.maxSkip, ErrFrame, ErrNoFrame); err != nil {
			return nil, err
		}
		if k := d.rx.Junk(reportHeader[:], cmdHeader[:]); k > 0 {
			h.Junk(&d.rx, k)
			continue
		}
		if d.rx.N < headSize {
			// A header and length never reach past a frame's end: the
			// shortest frame, an ACK, is 14 bytes.
			if err := d.fill(ctx, headSize, &idle); err != nil {
				return nil, err
			}
			continue
		}
		isReport := [4]byte(d.rx.Buf[:4]) == reportHeader
		header, footer, minLen := cmdHeader, cmdFooter, ackLen
		if isReport {
			header, footer, minLen = reportHeader, reportFooter, reportLen
		}
		size := headSize + int(binary.LittleEndian.Uint16(d.rx.Buf[4:])) + footSize
		if size-headSize-footSize < minLen || size > maxFrame {
			d.stats.badFrames.Add(1)
			h.Reject(&d.rx)
			continue
		}
		if err := d.fill(ctx, size, nil); err != nil {
			return nil, err
		}
		f := d.rx.Buf[:size]
		reason := checkFrame(f, header, footer, minLen)
		if reason == "" && isReport {
			reason = checkReport(f[headSize : size-footSize])
		}
		if reason != "" {
			d.stats.badFrames.Add(1)
			h.Reject(&d.rx)
			continue
		}
		if isReport {
			d.stats.frames.Add(1)
		} else {
			d.stats.acks.Add(1)
		}
		if keep(f) {
			out := bytes.Clone(f)
			d.rx.Drop(size)
			return out, nil
		}
		h.Pass(&d.rx, size)
	}
}

// fill reads until the buffer holds n bytes. When idle is not nil and
// nothing is buffered, it sits out up to *idle read timeouts, counting
// them down.
func (d *Dev) fill(ctx context.Context, n int, idle *int) error {
	if err := d.rx.Fill(d.c, n, framing.SitOut(ctx, idle)); err != nil {
		return fmt.Errorf("ld2410: read: %w", err)
	}
	return nil
}
