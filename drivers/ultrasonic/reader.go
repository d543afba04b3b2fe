package ultrasonic

import (
	"context"
	"fmt"

	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/framing"
)

// next reads from the conn until it has assembled a frame with a good
// checksum and returns its distance, counting it when out of range.
// Anything else is dropped a byte at a time.
//
// The caller holds d.mu.
func (d *Dev) next(ctx context.Context) (physic.Distance, error) {
	var h framing.Hunt
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if err := h.Err(d.maxSkip, ErrChecksum, ErrNoFrame); err != nil {
			return 0, err
		}
		if k := d.rx.Junk(frameStart); k > 0 {
			h.Junk(&d.rx, k)
			continue
		}
		if d.rx.N < FrameSize {
			// The buffer is empty or starts with 0xFF, so asking for a
			// whole frame never reads past the end of one.
			if err := d.rx.Fill(d.c, FrameSize, nil); err != nil {
				return 0, fmt.Errorf("ultrasonic: read: %w", err)
			}
			continue
		}
		f := d.rx.Buf[:FrameSize]
		if f[3] != d.checksum.of(f[1], f[2]) {
			d.stats.badChecksums.Add(1)
			h.Reject(&d.rx)
			continue
		}
		d.stats.frames.Add(1)
		v := distance(f)
		if !d.inRange(v) {
			d.stats.outOfRange.Add(1)
		}
		d.rx.Drop(FrameSize)
		return v, nil
	}
}

// frameStart is how every frame begins.
var frameStart = []byte{header}
