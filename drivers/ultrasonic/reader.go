package ultrasonic

import (
	"context"
	"fmt"

	"periph.io/x/conn/v3/physic"
)

// next reads from the conn until it has assembled a frame with a good
// checksum and returns its distance, counting it when out of range.
// Anything else is dropped a byte at a time.
//
// The caller holds d.mu.
func (d *Dev) next(ctx context.Context) (physic.Distance, error) {
	skipped, bad := 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if skipped > d.maxSkip {
			if bad > 0 {
				return 0, fmt.Errorf("%w: %d corrupted frames and no good one in %d bytes", ErrChecksum, bad, skipped)
			}
			return 0, fmt.Errorf("%w in %d bytes", ErrNoFrame, skipped)
		}
		if k := d.junk(); k > 0 {
			d.discard(k)
			skipped += k
			continue
		}
		if d.n < FrameSize {
			// The buffer is empty or starts with 0xFF, so asking for a
			// whole frame never reads past the end of one.
			if err := d.c.Tx(nil, d.buf[d.n:]); err != nil {
				return 0, fmt.Errorf("ultrasonic: read: %w", err)
			}
			d.n = FrameSize
			continue
		}
		f := d.buf[:]
		if f[3] != d.checksum.of(f[1], f[2]) {
			// Restart the hunt at the byte after this candidate's 0xFF.
			d.stats.badChecksums.Add(1)
			bad++
			d.discard(1)
			skipped++
			continue
		}
		d.stats.frames.Add(1)
		v := distance(f)
		if !d.inRange(v) {
			d.stats.outOfRange.Add(1)
		}
		d.n = 0
		return v, nil
	}
}

// junk returns how many leading bytes of the buffer cannot begin a frame:
// those before the first 0xFF.
func (d *Dev) junk() int {
	for i := 0; i < d.n; i++ {
		if d.buf[i] == header {
			return i
		}
	}
	return d.n
}

// discard drops k bytes that were not part of a good frame.
func (d *Dev) discard(k int) {
	d.stats.garbage.Add(uint64(k))
	copy(d.buf[:], d.buf[k:d.n])
	d.n -= k
}
