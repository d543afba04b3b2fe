package postgres

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// deviceState is one row of the devices table, as Append works on it.
type deviceState struct {
	lastSeen   time.Time
	duplicates uint64
	received   telemetry.Ranges // of the current incarnation

	condensed, replayed, futureTime uint64

	incarnation      uint64   // the current outbox's; 0 until a batch names one
	incarnations     uint64   // outboxes the device has had, the current one included
	previousReceived uint64   // distinct sequence numbers received under earlier incarnations
	stale            uint64   // sequence numbers stored new from earlier incarnations' batches
	previous         []uint64 // earlier incarnations, oldest first, at most maxPrevious
}

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

func (r *deviceRow) state() (deviceState, error) {
	received, err := decodeRanges(r.received)
	if err != nil {
		return deviceState{}, fmt.Errorf("device %q: %w", r.id, err)
	}
	c := &r.counts
	return deviceState{
		lastSeen: r.lastSeen.UTC(), duplicates: u64(c[0]), received: received,
		condensed: u64(c[1]), replayed: u64(c[2]), futureTime: u64(c[3]),
		incarnation: u64(c[4]), incarnations: u64(c[5]), previousReceived: u64(c[6]), stale: u64(c[7]),
		previous: u64s(r.previous),
	}, nil
}

// maxPrevious bounds the earlier incarnations a device remembers, as the
// bolt backend does. An incarnation forgotten and then heard from again
// starts an incarnation once more (its batches are stored; completeness
// restarts).
const maxPrevious = 64

// incarnate makes the batch's incarnation inc current when it is new to
// the device and reports whether it is an earlier one (see store.Store's
// Append for the rules). restarted is true when the received set was
// emptied.
func (s *deviceState) incarnate(inc uint64) (stale, restarted bool) {
	if s.incarnations == 0 {
		s.incarnations = 1 // the device's first outbox
	}
	switch {
	case inc == 0 || inc == s.incarnation:
		return false, false
	case s.incarnation == 0:
		// The outbox whose batches had no incarnation, now upgraded: its
		// sequence numbers go on.
		s.incarnation = inc
		return false, false
	case slices.Contains(s.previous, inc):
		return true, false
	}
	s.previous = append(s.previous, s.incarnation)
	if n := len(s.previous); n > maxPrevious {
		s.previous = slices.Clone(s.previous[n-maxPrevious:])
	}
	s.previousReceived += s.received.Count()
	s.received = nil
	s.incarnation = inc
	s.incarnations++
	return false, true
}

// device is the store.Device the state describes.
func (s *deviceState) device(id string) store.Device {
	high := s.received.Max()
	missing := s.received.Gaps(high)
	if missing == nil {
		missing = telemetry.Ranges{}
	}
	return store.Device{
		ID:               id,
		LastSeen:         s.lastSeen,
		SeqHigh:          high,
		Missing:          missing,
		Received:         s.received.Count(),
		Duplicates:       s.duplicates,
		Condensed:        s.condensed,
		Replayed:         s.replayed,
		FutureTime:       s.futureTime,
		Incarnation:      s.incarnation,
		Incarnations:     s.incarnations,
		PreviousReceived: s.previousReceived,
		StaleIncarnation: s.stale,
	}
}

// overlap counts the sequence numbers of r that are in rs.
func overlap(rs telemetry.Ranges, r telemetry.Range) uint64 {
	var n uint64
	for i := sort.Search(len(rs), func(i int) bool { return rs[i].Last >= r.First }); i < len(rs) && rs[i].First <= r.Last; i++ {
		n += telemetry.Range{First: max(rs[i].First, r.First), Last: min(rs[i].Last, r.Last)}.Len()
	}
	return n
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

// ceilMilli is the smallest Unix millisecond not before t. A record at
// millisecond m is at or after t exactly when m ≥ ceilMilli(t), which makes
// both half-open bounds of a query exact for sub-millisecond times.
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli() // floors: the nanoseconds within a second are never negative
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		ms++
	}
	return ms
}
