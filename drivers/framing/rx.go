package framing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"periph.io/x/conn/v3"
)

// Rx is a UART driver's receive buffer: the bytes read from its conn that
// no frame has consumed yet, Buf[:N]. Fill asks the conn for exactly the
// bytes a frame still needs, so that a read never reaches past the end of
// a frame and a read timeout means the device has nothing to send. The
// driver's mutex guards an Rx; Garbage may be read at any time.
type Rx struct {
	Buf     []byte // as long as the longest frame
	N       int
	Garbage atomic.Uint64 // bytes discarded as part of no good frame
}

// Junk returns how many leading bytes cannot begin a frame: those before
// the first that begins one of markers (a frame's first bytes), or as
// much of one as is buffered.
func (r *Rx) Junk(markers ...[]byte) int {
	for i := 0; i < r.N; i++ {
		rest := r.Buf[i:r.N]
		for _, m := range markers {
			k := min(len(rest), len(m))
			if bytes.Equal(rest[:k], m[:k]) {
				return i
			}
		}
	}
	return r.N
}

// Fill reads until Buf holds n bytes, asking c for exactly the missing
// ones. When a read fails while nothing is buffered, and wait (if not
// nil) says to sit the error out, as an idle device's read timeout, it
// reads again; otherwise it returns the conn's error.
func (r *Rx) Fill(c conn.Conn, n int, wait func(error) bool) error {
	for r.N < n {
		err := c.Tx(nil, r.Buf[r.N:n])
		if err == nil {
			r.N = n
			return nil
		}
		if r.N == 0 && wait != nil && wait(err) {
			continue
		}
		return err
	}
	return nil
}

// SitOut returns a wait for Fill that sits out up to *n read timeouts
// while ctx lasts, counting them down; with a nil n it sits out none.
func SitOut(ctx context.Context, n *int) func(error) bool {
	return func(err error) bool {
		if n == nil || *n <= 0 || !IsTimeout(err) || ctx.Err() != nil {
			return false
		}
		*n--
		return true
	}
}

// Drop consumes k bytes.
func (r *Rx) Drop(k int) {
	copy(r.Buf, r.Buf[k:r.N])
	r.N -= k
}

// Discard consumes k bytes that were part of no good frame, counting them
// as garbage.
func (r *Rx) Discard(k int) {
	r.Garbage.Add(uint64(k))
	r.Drop(k)
}

// Flush discards what the port has received but nobody has read, and
// what Buf holds, when the conn can do that (drivers/tty's can); other
// conns are left alone.
func (r *Rx) Flush(c conn.Conn) error {
	f, ok := c.(interface{ ResetInputBuffer() error })
	if !ok {
		return nil
	}
	if err := f.ResetInputBuffer(); err != nil {
		return err
	}
	r.N = 0
	return nil
}

// Hunt tallies one search for a frame in an Rx: the bytes passed over and
// the candidates that failed their check, against a budget.
type Hunt struct {
	Skipped int // bytes discarded or passed over
	Bad     int // candidate frames that failed their check
}

// Junk discards k bytes of r that cannot begin a frame.
func (h *Hunt) Junk(r *Rx, k int) {
	r.Discard(k)
	h.Skipped += k
}

// Reject discards the first byte of a candidate frame that failed its
// check, so that the hunt goes on from the next: a real frame may begin
// inside what was taken for one.
func (h *Hunt) Reject(r *Rx) {
	h.Bad++
	h.Junk(r, 1)
}

// Pass drops a good frame of size bytes that was not the one wanted.
func (h *Hunt) Pass(r *Rx, size int) {
	r.Drop(size)
	h.Skipped += size
}

// Err returns nil while the hunt has passed over at most max bytes, and
// then an error: errBad when some candidate failed its check, errNone
// when none did.
func (h *Hunt) Err(max int, errBad, errNone error) error {
	switch {
	case h.Skipped <= max:
		return nil
	case h.Bad > 0:
		return fmt.Errorf("%w: %d corrupted frames and no good one in %d bytes", errBad, h.Bad, h.Skipped)
	default:
		return fmt.Errorf("%w in %d bytes", errNone, h.Skipped)
	}
}

// IsTimeout reports whether err says a read ran out of time, in the way
// net and drivers/tty errors do.
func IsTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
