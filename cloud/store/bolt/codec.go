package bolt

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// The encodings below are documented in doc.go; changing one means a new
// SchemaVersion.

const (
	readingKeyLen = 16
	signBit       = 1 << 63
)

// readingKey is the time-index key of a record: (Unix ms, seq), both
// big-endian, the time's sign bit flipped so that negative times sort first.
func readingKey(dst []byte, ms int64, seq uint64) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(ms)^signBit)
	return binary.BigEndian.AppendUint64(dst, seq)
}

// recordLen bounds the bytes appendRecord appends for r.
func recordLen(r telemetry.Record) int {
	return readingKeyLen + 1 + 8 + 2*binary.MaxVarintLen64 + len(r.Sensor) + len(r.Quantity)
}

// appendRecord appends the key and then the value of r to dst.
func appendRecord(dst []byte, r telemetry.Record) (buf []byte, keyLen int) {
	dst = readingKey(dst, r.Time.UnixMilli(), r.Seq)
	keyLen = len(dst)
	dst = append(dst, byte(r.Quality))
	dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(r.Value))
	dst = binary.AppendUvarint(dst, uint64(len(r.Sensor)))
	dst = append(dst, r.Sensor...)
	dst = binary.AppendUvarint(dst, uint64(len(r.Quantity)))
	dst = append(dst, r.Quantity...)
	return dst, keyLen
}

// decodeRecord parses a key and value written by appendRecord.
func decodeRecord(k, v []byte) (telemetry.Record, error) {
	if len(k) != readingKeyLen {
		return telemetry.Record{}, fmt.Errorf("%w: reading key of %d bytes", ErrCorrupt, len(k))
	}
	if len(v) < 9 {
		return telemetry.Record{}, fmt.Errorf("%w: reading value of %d bytes", ErrCorrupt, len(v))
	}
	r := telemetry.Record{Seq: binary.BigEndian.Uint64(k[8:])}
	r.Time = time.UnixMilli(int64(binary.BigEndian.Uint64(k) ^ signBit)).UTC()
	r.Quality = telemetry.Quality(v[0])
	r.Value = math.Float64frombits(binary.BigEndian.Uint64(v[1:9]))
	rest := v[9:]
	sensor, rest, ok := cutString(rest)
	if !ok {
		return telemetry.Record{}, fmt.Errorf("%w: reading seq %d: bad sensor name", ErrCorrupt, r.Seq)
	}
	quantity, rest, ok := cutString(rest)
	if !ok || len(rest) != 0 {
		return telemetry.Record{}, fmt.Errorf("%w: reading seq %d: bad quantity name", ErrCorrupt, r.Seq)
	}
	r.Sensor, r.Quantity = sensor, telemetry.Quantity(quantity)
	return r, nil
}

// cutString splits a uvarint-length-prefixed string off the front of b.
func cutString(b []byte) (s string, rest []byte, ok bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		return "", nil, false
	}
	return string(b[w : w+int(n)]), b[w+int(n):], true
}

// deviceState is what devices/<id> holds.
type deviceState struct {
	lastSeen   time.Time
	duplicates uint64
	received   telemetry.Ranges
}

func (s deviceState) encode() []byte {
	b := make([]byte, 0, 8+binary.MaxVarintLen64*(1+1+2*len(s.received)))
	b = binary.BigEndian.AppendUint64(b, uint64(s.lastSeen.UnixMicro()))
	b = binary.AppendUvarint(b, s.duplicates)
	b = binary.AppendUvarint(b, uint64(len(s.received)))
	var prev uint64
	for _, r := range s.received {
		b = binary.AppendUvarint(b, r.First-prev)
		b = binary.AppendUvarint(b, r.Last-r.First)
		prev = r.Last
	}
	return b
}

func decodeDeviceState(b []byte) (deviceState, error) {
	var s deviceState
	if len(b) < 8 {
		return s, fmt.Errorf("%w: device state of %d bytes", ErrCorrupt, len(b))
	}
	s.lastSeen = time.UnixMicro(int64(binary.BigEndian.Uint64(b))).UTC()
	b = b[8:]
	var n uint64
	var ok bool
	if s.duplicates, b, ok = cutUvarint(b); !ok {
		return s, fmt.Errorf("%w: device state: bad duplicate count", ErrCorrupt)
	}
	if n, b, ok = cutUvarint(b); !ok || n > uint64(len(b))/2 {
		return s, fmt.Errorf("%w: device state: bad range count", ErrCorrupt)
	}
	s.received = make(telemetry.Ranges, n)
	var prev uint64
	for i := range s.received {
		var gap, span uint64
		gap, b, ok = cutUvarint(b)
		if ok {
			span, b, ok = cutUvarint(b)
		}
		first := prev + gap
		if !ok || first < prev || first+span < first {
			return s, fmt.Errorf("%w: device state: bad range %d", ErrCorrupt, i)
		}
		s.received[i] = telemetry.Range{First: first, Last: first + span}
		prev = first + span
	}
	if len(b) != 0 || !s.received.Valid() {
		return s, fmt.Errorf("%w: device state: received set %v is not canonical", ErrCorrupt, s.received)
	}
	return s, nil
}

func cutUvarint(b []byte) (uint64, []byte, bool) {
	v, w := binary.Uvarint(b)
	if w <= 0 {
		return 0, nil, false
	}
	return v, b[w:], true
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
