package pms5003

import (
	"context"
	"errors"
	"fmt"
)

// next reads from the conn until it has assembled a frame with a good
// check (data or reply) that keep accepts, and returns a copy of it.
// Frames keep refuses are skipped whole; anything else that is not a frame
// is dropped a byte at a time. idle is how many read timeouts to tolerate
// while waiting for the first byte of a frame.
//
// The caller holds d.mu.
func (d *Dev) next(ctx context.Context, keep func(f []byte) bool, idle int) ([]byte, error) {
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
		if d.n < 4 {
			// Four bytes hold the start and the length field. Asking for
			// them never reads past a frame boundary: the shortest frame
			// (a command reply) is 8 bytes.
			if err := d.fill(ctx, 4, &idle); err != nil {
				return nil, err
			}
			continue
		}
		var size int
		switch be(d.buf[:], 2) {
		case dataLen:
			size = FrameSize
		case replyLen:
			size = replySize
		default:
			d.discard(1)
			skipped++
			continue
		}
		if err := d.fill(ctx, size, nil); err != nil {
			return nil, err
		}
		f := d.buf[:size]
		if !checkOK(f) {
			// Restart the hunt at the byte after this candidate's 0x42: a
			// real frame may begin inside what we took for one.
			d.stats.badChecksums.Add(1)
			bad++
			d.discard(1)
			skipped++
			continue
		}
		if size == FrameSize {
			d.stats.frames.Add(1)
		} else {
			d.stats.replies.Add(1)
		}
		if keep(f) {
			out := append([]byte(nil), f...)
			d.drop(size)
			return out, nil
		}
		d.drop(size)
		skipped += size
	}
}

// junk returns how many leading bytes of the buffer cannot begin a frame:
// those before the first 0x42 that is followed by 0x4D or by nothing yet.
func (d *Dev) junk() int {
	for i := 0; i < d.n; i++ {
		if d.buf[i] == start1 && (i+1 == d.n || d.buf[i+1] == start2) {
			return i
		}
	}
	return d.n
}

// fill reads until the buffer holds n bytes, asking the conn for exactly
// the missing ones. When idle is not nil and nothing is buffered, it
// retries up to *idle read timeouts, counting them down.
func (d *Dev) fill(ctx context.Context, n int, idle *int) error {
	for d.n < n {
		err := d.c.Tx(nil, d.buf[d.n:n])
		if err == nil {
			d.n = n
			return nil
		}
		if idle != nil && *idle > 0 && d.n == 0 && isTimeout(err) && ctx.Err() == nil {
			*idle--
			continue
		}
		return fmt.Errorf("pms5003: read: %w", err)
	}
	return nil
}

// discard drops k bytes that were not part of a good frame.
func (d *Dev) discard(k int) {
	d.stats.garbage.Add(uint64(k))
	d.drop(k)
}

func (d *Dev) drop(k int) {
	copy(d.buf[:], d.buf[k:d.n])
	d.n -= k
}

// isTimeout reports whether err says a read ran out of time, in the way
// net and drivers/tty errors do.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
