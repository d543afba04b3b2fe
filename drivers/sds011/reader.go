package sds011

import (
	"context"
	"fmt"
	"time"

	"github.com/xiuhua/xiuhua/drivers/framing"
)

// next reads from the conn until it has assembled a frame with a good
// checksum (data or reply) that keep accepts, and returns a copy of it.
// Frames keep refuses are skipped whole; anything else that is not a frame
// is dropped a byte at a time. While nothing is buffered, read timeouts
// are sat out until the time until (none when until is zero).
//
// The caller holds d.mu.
func (d *Dev) next(ctx context.Context, keep func(f []byte) bool, until time.Time) ([]byte, error) {
	var h framing.Hunt
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := h.Err(d.maxSkip, ErrChecksum, ErrNoFrame); err != nil {
			return nil, err
		}
		if k := d.rx.Junk(dataStart, ackStart); k > 0 {
			h.Junk(&d.rx, k)
			continue
		}
		// The buffer is empty or starts with a frame's first bytes, so
		// asking for a whole frame never reads past the end of one.
		if d.rx.N < FrameSize {
			if err := d.fill(ctx, until); err != nil {
				return nil, err
			}
			continue
		}
		f := d.rx.Buf[:FrameSize]
		if !frameOK(f) {
			d.stats.badChecksums.Add(1)
			h.Reject(&d.rx)
			continue
		}
		if f[1] == kindData {
			d.stats.frames.Add(1)
		} else {
			d.stats.replies.Add(1)
		}
		if keep(f) {
			out := append([]byte(nil), f...)
			d.rx.Drop(FrameSize)
			return out, nil
		}
		h.Pass(&d.rx, FrameSize)
	}
}

// How frames begin: a data frame, a command reply.
var (
	dataStart = []byte{head, kindData}
	ackStart  = []byte{head, kindAck}
)

// fill reads until the buffer holds a whole frame. While nothing is
// buffered it sits out read timeouts until the time until.
func (d *Dev) fill(ctx context.Context, until time.Time) error {
	err := d.rx.Fill(d.c, FrameSize, func(err error) bool {
		return framing.IsTimeout(err) && ctx.Err() == nil && d.now().Before(until)
	})
	if err != nil {
		return fmt.Errorf("sds011: read: %w", err)
	}
	return nil
}
