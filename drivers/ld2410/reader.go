package ld2410

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
)

// next reads from the conn until it has assembled a well-formed frame
// (report or ACK) that keep accepts, and returns a copy of it. Frames
// keep refuses are skipped whole; anything else is dropped a byte at a
// time. idle is how many read timeouts to sit out while nothing is
// buffered.
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
				return nil, fmt.Errorf("%w: %d corrupted frames and no good one in %d bytes", ErrFrame, bad, skipped)
			}
			return nil, fmt.Errorf("%w in %d bytes", ErrNoFrame, skipped)
		}
		if k := d.junk(); k > 0 {
			d.discard(k)
			skipped += k
			continue
		}
		if d.n < headSize {
			// A header and length never reach past a frame's end: the
			// shortest frame, an ACK, is 14 bytes.
			if err := d.fill(ctx, headSize, &idle); err != nil {
				return nil, err
			}
			continue
		}
		isReport := [4]byte(d.buf[:4]) == reportHeader
		header, footer, minLen := cmdHeader, cmdFooter, ackLen
		if isReport {
			header, footer, minLen = reportHeader, reportFooter, reportLen
		}
		size := headSize + int(binary.LittleEndian.Uint16(d.buf[4:])) + footSize
		if size-headSize-footSize < minLen || size > maxFrame {
			d.drop1(&bad, &skipped)
			continue
		}
		if err := d.fill(ctx, size, nil); err != nil {
			return nil, err
		}
		f := d.buf[:size]
		reason := checkFrame(f, header, footer, minLen)
		if reason == "" && isReport {
			reason = checkReport(f[headSize : size-footSize])
		}
		if reason != "" {
			// Restart the hunt at the byte after this candidate's first:
			// a real frame may begin inside what we took for one.
			d.drop1(&bad, &skipped)
			continue
		}
		if isReport {
			d.stats.frames.Add(1)
		} else {
			d.stats.acks.Add(1)
		}
		if keep(f) {
			out := bytes.Clone(f)
			d.drop(size)
			return out, nil
		}
		d.drop(size)
		skipped += size
	}
}

// drop1 counts a bad frame and drops its first byte.
func (d *Dev) drop1(bad, skipped *int) {
	d.stats.badFrames.Add(1)
	*bad++
	d.discard(1)
	*skipped++
}

// junk returns how many leading bytes of the buffer cannot begin a frame:
// those before the first that starts a report or command header, or as
// much of one as the buffer holds.
func (d *Dev) junk() int {
	for i := 0; i < d.n; i++ {
		rest := d.buf[i:d.n]
		k := min(len(rest), 4)
		if bytes.Equal(rest[:k], reportHeader[:k]) || bytes.Equal(rest[:k], cmdHeader[:k]) {
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
		return fmt.Errorf("ld2410: read: %w", err)
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
