package postgres

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store/devstate"
	"github.com/xiuhua/xiuhua/telemetry"
)

// deviceColumns are the devices table's columns that deviceRow scans.
const deviceColumns = `id, last_seen, received, duplicates, condensed, replayed, future_time,
	incarnation, incarnations, previous_received, stale_incarnation, previous`

// deviceRow is a row of deviceColumns as scanned.
type deviceRow struct {
	id       string
	lastSeen time.Time
	received []byte
	counts   [8]int64
	previous []int64
}

func (r *deviceRow) targets() []any {
	c := &r.counts
	return []any{&r.id, &r.lastSeen, &r.received, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &r.previous}
}

// state is the device state the row holds, as Append works on it.
func (r *deviceRow) state() (devstate.State, error) {
	received, err := decodeRanges(r.received)
	if err != nil {
		return devstate.State{}, fmt.Errorf("device %q: %w", r.id, err)
	}
	c := &r.counts
	return devstate.State{
		LastSeen: r.lastSeen.UTC(), Duplicates: u64(c[0]), Received: received,
		Condensed: u64(c[1]), Replayed: u64(c[2]), FutureTime: u64(c[3]),
		Incarnation: u64(c[4]), Incarnations: u64(c[5]), PreviousReceived: u64(c[6]), Stale: u64(c[7]),
		Previous: u64s(r.previous),
	}, nil
}

// encodeRanges is the devices.received column: for each range, First
// minus the previous range's Last (the previous Last being 0 for the
// first range) and Last minus First, as uvarints. The empty set is the
// empty string. A device whose readings arrive in order has one range: a
// few bytes however many readings it sent.
func encodeRanges(rs telemetry.Ranges) []byte {
	b := make([]byte, 0, 2*binary.MaxVarintLen64*len(rs))
	var prev uint64
	for _, r := range rs {
		b = binary.AppendUvarint(b, r.First-prev)
		b = binary.AppendUvarint(b, r.Last-r.First)
		prev = r.Last
	}
	return b
}

// decodeRanges parses what encodeRanges wrote and checks that the set is
// canonical (telemetry.Ranges.Valid), so that a damaged column is an error
// rather than a wrong Missing list.
func decodeRanges(b []byte) (telemetry.Ranges, error) {
	var rs telemetry.Ranges
	var prev uint64
	for len(b) > 0 {
		gap, w := binary.Uvarint(b)
		if w <= 0 || w > 1 && b[w-1] == 0 {
			return nil, fmt.Errorf("%w: received set: bad range start at range %d", ErrCorrupt, len(rs))
		}
		b = b[w:]
		span, w := binary.Uvarint(b)
		if w <= 0 || w > 1 && b[w-1] == 0 {
			return nil, fmt.Errorf("%w: received set: bad range length at range %d", ErrCorrupt, len(rs))
		}
		b = b[w:]
		first := prev + gap
		if first < prev || first+span < first {
			return nil, fmt.Errorf("%w: received set: range %d overflows", ErrCorrupt, len(rs))
		}
		rs = append(rs, telemetry.Range{First: first, Last: first + span})
		prev = first + span
	}
	if !rs.Valid() {
		return nil, fmt.Errorf("%w: received set %v is not canonical", ErrCorrupt, rs)
	}
	return rs, nil
}

// Sequence numbers and incarnations are uint64s kept in bigint columns as
// the same 64 bits: lossless, and readable for every value below 2^63.

func i64(u uint64) int64 { return int64(u) }
func u64(i int64) uint64 { return uint64(i) }

func i64s(us []uint64) []int64 {
	out := make([]int64, len(us))
	for i, u := range us {
		out[i] = int64(u)
	}
	return out
}

func u64s(is []int64) []uint64 {
	if len(is) == 0 {
		return nil
	}
	out := make([]uint64, len(is))
	for i, v := range is {
		out[i] = uint64(v)
	}
	return out
}
