package pms5003

import (
	"context"
	"fmt"

	"github.com/xiuhua/xiuhua/drivers/framing"
)

// frameStart is how every frame, data or reply, begins.
var frameStart = []byte{start1, start2}

// next reads from the conn until it has assembled a frame with a good
// check (data or reply) that keep accepts, and returns a copy of it.
// Frames keep refuses are skipped whole; anything else that is not a frame
// is dropped a byte at a time. idle is how many read timeouts to tolerate
// while waiting for the first byte of a frame.
//
// The caller holds d.mu.
func (d *Dev) next(ctx context.Context, keep func(f []byte) bool, idle int) ([]byte, error) {
	var h framing.Hunt
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := h.Err(d.maxSkip, ErrChecksum, ErrNoFrame); err != nil {
			return nil, err
		}
		if k := d.rx.Junk(frameStart); k > 0 {
			h.Junk(&d.rx, k)
			continue
		}
		if d.rx.N < 4 {
			// Four bytes hold the start and the length field. Asking for
			// them never reads past a frame boundary: the shortest frame
			// (a command reply) is 8 bytes.
			if err := d.fill(ctx, 4, &idle); err != nil {
				return nil, err
			}
			continue
		}
		var size int
		switch be(d.rx.Buf, 2) {
		case dataLen:
			size = FrameSize
		case replyLen:
			size = replySize
		default:
			h.Junk(&d.rx, 1)
			continue
		}
		if err := d.fill(ctx, size, nil); err != nil {
			return nil, err
		}
		f := d.rx.Buf[:size]
		if !checkOK(f) {
			d.stats.badChecksums.Add(1)
			h.Reject(&d.rx)
			continue
		}
		if size == FrameSize {
			d.stats.frames.Add(1)
		} else {
			d.stats.replies.Add(1)
		}
		if keep(f) {
			out := append([]byte(nil), f...)
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
		return fmt.Errorf("pms5003: read: %w", err)
	}
	return nil
}
