package sds011

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// next reads from the conn until it has assembled a frame with a good
// checksum (data or reply) that keep accepts, and returns a copy of it.
// Frames keep refuses are skipped whole; anything else that is not a frame
// is dropped a byte at a time. While nothing is buffered, read timeouts
// are sat out until the time until (none when until is zero).
//
// The caller holds d.mu.
func (d *Dev) next(ctx context.Context, keep func(f []byte) bool, until time.Time) ([]byte, error) {
	skipped, bad := 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if skipped > d.maxSkip {
			if bad > 0 {
				return nil, fmt.Errorf("%w: %d corrupted frames and no good one in %d bytes", ErrChecksum, bad, skipped)
			}
			return nil, fmt.Errorf("%w in %d bytes", ErrNoFrame, skipped)
		}
		if k := d.junk(); k > 0 {
			d.discard(k)
			skipped += k
			continue
		}
		// The buffer is empty or starts with a frame's first bytes, so
		// asking for a whole frame never reads past the end of one.
		if d.n < FrameSize {
			if err := d.fill(ctx, until); err != nil {
				return nil, err
			}
			continue
		}
		f := d.buf[:]
		if !frameOK(f) {
			// Restart the hunt at the byte after this candidate's 0xAA: a
			// real frame may begin inside what we took for one.
			d.stats.badChecksums.Add(1)
			bad++
			d.discard(1)
			skipped++
			continue
		}
		if f[1] == kindData {
			d.stats.frames.Add(1)
		} else {
			d.stats.replies.Add(1)
		}
		if keep(f) {
			out := append([]byte(nil), f...)
			d.n = 0
			return out, nil
		}
		d.n = 0
		skipped += FrameSize
	}
}

// junk returns how many leading bytes of the buffer cannot begin a frame:
// those before the first 0xAA that is followed by 0xC0, 0xC5 or nothing
// yet.
func (d *Dev) junk() int {
	for i := 0; i < d.n; i++ {
		if d.buf[i] != head {
			continue
		}
		if i+1 == d.n || d.buf[i+1] == kindData || d.buf[i+1] == kindAck {
			return i
		}
	}
	return d.n
}

// fill reads until the buffer holds a whole frame, asking the conn for
// exactly the missing bytes. While nothing is buffered it retries read
// timeouts until the time until.
func (d *Dev) fill(ctx context.Context, until time.Time) error {
	for d.n < FrameSize {
		err := d.c.Tx(nil, d.buf[d.n:])
		if err == nil {
			d.n = FrameSize
			return nil
		}
		if d.n == 0 && isTimeout(err) && ctx.Err() == nil && d.now().Before(until) {
			continue
		}
		return fmt.Errorf("sds011: read: %w", err)
	}
	return nil
}

// discard drops k bytes that were not part of a good frame.
func (d *Dev) discard(k int) {
	d.stats.garbage.Add(uint64(k))
	copy(d.buf[:], d.buf[k:d.n])
	d.n -= k
}

// isTimeout reports whether err says a read ran out of time, in the way
// net and drivers/tty errors do.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
