package bolt

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store/devstate"
	"github.com/xiuhua/xiuhua/telemetry"
)

// The encodings below are documented in doc.go; changing one means a new
// SchemaVersion.

const (
	readingKeyLen = 16
	incarnLen     = 8 // the incarnation suffix of a key (schema 3)
	signBit       = 1 << 63
)

// readingKey is the time-index key of a record: (Unix ms, seq), both
// big-endian, the time's sign bit flipped so that negative times sort
// first, then the incarnation of the outbox that numbered it unless that
// is 0 (unknown). Two outboxes of one device both number from 1, so
// (time, seq) alone could collide.
func readingKey(dst []byte, ms int64, seq, incarnation uint64) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(ms)^signBit)
	dst = binary.BigEndian.AppendUint64(dst, seq)
	if incarnation != 0 {
		dst = binary.BigEndian.AppendUint64(dst, incarnation)
	}
	return dst
}

// keyIncarnation is the incarnation a reading or aggregate key ends with,
// 0 when it has none.
func keyIncarnation(k []byte) uint64 {
	if len(k) != readingKeyLen+incarnLen && len(k) != aggregateKeyLen+incarnLen {
		return 0
	}
	return binary.BigEndian.Uint64(k[len(k)-incarnLen:])
}

// recordLen bounds the bytes appendRecord appends for r.
func recordLen(r telemetry.Record) int {
	return readingKeyLen + incarnLen + 1 + 8 + 2*binary.MaxVarintLen64 + len(r.Sensor) + len(r.Quantity) + 1
}

// appendRecord appends the key and then the value of r, numbered by the
// outbox of incarnation, to dst; keyLen is where the key ends in buf (its
// length when dst is empty). The flags byte is written only when a
// flag is set, so that schema 1 values, which have none, are the canonical
// form of unflagged records.
func appendRecord(dst []byte, r telemetry.Record, incarnation uint64) (buf []byte, keyLen int) {
	dst = readingKey(dst, r.Time.UnixMilli(), r.Seq, incarnation)
	keyLen = len(dst)
	dst = append(dst, byte(r.Quality))
	dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(r.Value))
	dst = appendString(dst, r.Sensor)
	dst = appendString(dst, string(r.Quantity))
	if r.Flags != 0 {
		dst = append(dst, byte(r.Flags))
	}
	return dst, keyLen
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// decodeRecord parses a key and value written by appendRecord.
func decodeRecord(k, v []byte) (telemetry.Record, error) {
	if len(k) != readingKeyLen && (len(k) != readingKeyLen+incarnLen || keyIncarnation(k) == 0) {
		return telemetry.Record{}, fmt.Errorf("%w: reading key %x", ErrCorrupt, k)
	}
	if len(v) < 9 {
		return telemetry.Record{}, fmt.Errorf("%w: reading value of %d bytes", ErrCorrupt, len(v))
	}
	r := telemetry.Record{Seq: binary.BigEndian.Uint64(k[8:16])}
	r.Time = time.UnixMilli(int64(binary.BigEndian.Uint64(k) ^ signBit)).UTC()
	r.Quality = telemetry.Quality(v[0])
	r.Value = math.Float64frombits(binary.BigEndian.Uint64(v[1:9]))
	rest := v[9:]
	sensor, rest, ok := cutString(rest)
	if !ok {
		return telemetry.Record{}, fmt.Errorf("%w: reading seq %d: bad sensor name", ErrCorrupt, r.Seq)
	}
	quantity, rest, ok := cutString(rest)
	if !ok {
		return telemetry.Record{}, fmt.Errorf("%w: reading seq %d: bad quantity name", ErrCorrupt, r.Seq)
	}
	switch {
	case len(rest) == 1 && rest[0] != 0:
		r.Flags = telemetry.Flags(rest[0])
	case len(rest) != 0:
		return telemetry.Record{}, fmt.Errorf("%w: reading seq %d: %d bytes after the quantity", ErrCorrupt, r.Seq, len(rest))
	}
	r.Sensor, r.Quantity = sensor, telemetry.Quantity(quantity)
	return r, nil
}

// aggregateKeyLen is the length of an aggregate key: (minute, first, last,
// index), big-endian, the minute's sign bit flipped as in readingKey; then,
// as in readingKey, the incarnation unless it is 0.
const aggregateKeyLen = 8 + 8 + 8 + 4

func aggregateKey(dst []byte, minuteMS int64, block telemetry.Range, index uint32, incarnation uint64) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(minuteMS)^signBit)
	dst = binary.BigEndian.AppendUint64(dst, block.First)
	dst = binary.BigEndian.AppendUint64(dst, block.Last)
	dst = binary.BigEndian.AppendUint32(dst, index)
	if incarnation != 0 {
		dst = binary.BigEndian.AppendUint64(dst, incarnation)
	}
	return dst
}

// aggregateLen bounds the bytes appendAggregate appends for a.
func aggregateLen(a telemetry.Aggregate) int {
	return aggregateKeyLen + incarnLen + 4 + 3*8 + 2*binary.MaxVarintLen64 + len(a.Sensor) + len(a.Quantity)
}

// appendAggregate appends the key and then the value of the index-th
// aggregate of block, condensed by the outbox of incarnation, to dst.
func appendAggregate(dst []byte, block telemetry.Range, index uint32, a telemetry.Aggregate, incarnation uint64) (buf []byte, keyLen int) {
	dst = aggregateKey(dst, a.Minute.UnixMilli(), block, index, incarnation)
	keyLen = len(dst)
	dst = binary.BigEndian.AppendUint32(dst, a.Count)
	for _, v := range []float64{a.Min, a.Max, a.Mean} {
		dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(v))
	}
	dst = appendString(dst, a.Sensor)
	dst = appendString(dst, string(a.Quantity))
	return dst, keyLen
}

// decodeAggregate parses a key and value written by appendAggregate.
func decodeAggregate(k, v []byte) (telemetry.Aggregate, error) {
	if len(k) != aggregateKeyLen && (len(k) != aggregateKeyLen+incarnLen || keyIncarnation(k) == 0) {
		return telemetry.Aggregate{}, fmt.Errorf("%w: aggregate key of %d bytes", ErrCorrupt, len(k))
	}
	if len(v) < 4+3*8 {
		return telemetry.Aggregate{}, fmt.Errorf("%w: aggregate value of %d bytes", ErrCorrupt, len(v))
	}
	a := telemetry.Aggregate{
		Minute: time.UnixMilli(int64(binary.BigEndian.Uint64(k) ^ signBit)).UTC(),
		Count:  binary.BigEndian.Uint32(v),
		Min:    math.Float64frombits(binary.BigEndian.Uint64(v[4:])),
		Max:    math.Float64frombits(binary.BigEndian.Uint64(v[12:])),
		Mean:   math.Float64frombits(binary.BigEndian.Uint64(v[20:])),
	}
	sensor, rest, ok := cutString(v[28:])
	if ok {
		var quantity string
		quantity, rest, ok = cutString(rest)
		a.Quantity = telemetry.Quantity(quantity)
	}
	if !ok || len(rest) != 0 {
		return telemetry.Aggregate{}, fmt.Errorf("%w: aggregate %x: bad sensor or quantity name", ErrCorrupt, k)
	}
	a.Sensor = sensor
	return a, nil
}

// cutString splits a uvarint-length-prefixed string off the front of b.
func cutString(b []byte) (s string, rest []byte, ok bool) {
	n, b, ok := cutUvarint(b)
	if !ok || n > uint64(len(b)) {
		return "", nil, false
	}
	return string(b[:n]), b[n:], true
}

// deviceState is what devices/<id> holds: the state both backends keep,
// and the open rollup hours only bolt keeps.
type deviceState struct {
	// Schema 1 wrote LastSeen, Duplicates and Received. Schema 2 added
	// Condensed, Replayed and FutureTime: absent in a state written by
	// schema 1, meaning zero. Schema 3 added Incarnation, Incarnations,
	// PreviousReceived, Stale and Previous: absent in a state written by
	// schema 1 or 2, meaning zero (the migration to schema 3 sets
	// Incarnations to 1).
	devstate.State
	// Schema 5: absent in a state written by schema 4 or earlier,
	// meaning none. Each stream's latest hour of rollup sums, kept here
	// rather than in the rollups bucket until a later hour of the stream
	// arrives (see rollup.go), sorted by stream.
	open []openHour
}

// openHour is a stream's latest hour of rollup sums.
type openHour struct {
	quantity telemetry.Quantity
	sensor   string
	hour     int64 // Unix seconds
	sum      rollupSum
}

func (s deviceState) encode() []byte {
	b := make([]byte, 0, 8+binary.MaxVarintLen64*(1+1+2*len(s.Received)+3)+8+binary.MaxVarintLen64*4+8*len(s.Previous))
	b = binary.BigEndian.AppendUint64(b, uint64(s.LastSeen.UnixMicro()))
	b = binary.AppendUvarint(b, s.Duplicates)
	b = binary.AppendUvarint(b, uint64(len(s.Received)))
	var prev uint64
	for _, r := range s.Received {
		b = binary.AppendUvarint(b, r.First-prev)
		b = binary.AppendUvarint(b, r.Last-r.First)
		prev = r.Last
	}
	b = binary.AppendUvarint(b, s.Condensed)
	b = binary.AppendUvarint(b, s.Replayed)
	b = binary.AppendUvarint(b, s.FutureTime)
	b = binary.BigEndian.AppendUint64(b, s.Incarnation)
	b = binary.AppendUvarint(b, s.Incarnations)
	b = binary.AppendUvarint(b, s.PreviousReceived)
	b = binary.AppendUvarint(b, s.Stale)
	b = binary.AppendUvarint(b, uint64(len(s.Previous)))
	for _, p := range s.Previous {
		b = binary.BigEndian.AppendUint64(b, p)
	}
	if len(s.open) == 0 {
		return b // the schema 4 form: no open hours
	}
	b = binary.AppendUvarint(b, uint64(len(s.open)))
	for _, o := range s.open {
		b = appendString(b, string(o.quantity))
		b = appendString(b, o.sensor)
		b = appendHour(b, o.hour)
		b = o.sum.appendTo(b)
	}
	return b
}

func decodeDeviceState(b []byte) (deviceState, error) {
	var s deviceState
	if len(b) < 8 {
		return s, fmt.Errorf("%w: device state of %d bytes", ErrCorrupt, len(b))
	}
	s.LastSeen = time.UnixMicro(int64(binary.BigEndian.Uint64(b))).UTC()
	b = b[8:]
	var n uint64
	var ok bool
	if s.Duplicates, b, ok = cutUvarint(b); !ok {
		return s, fmt.Errorf("%w: device state: bad duplicate count", ErrCorrupt)
	}
	if n, b, ok = cutUvarint(b); !ok || n > uint64(len(b))/2 {
		return s, fmt.Errorf("%w: device state: bad range count", ErrCorrupt)
	}
	s.Received = make(telemetry.Ranges, n)
	var prev uint64
	for i := range s.Received {
		var gap, span uint64
		gap, b, ok = cutUvarint(b)
		if ok {
			span, b, ok = cutUvarint(b)
		}
		first := prev + gap
		if !ok || first < prev || first+span < first {
			return s, fmt.Errorf("%w: device state: bad range %d", ErrCorrupt, i)
		}
		s.Received[i] = telemetry.Range{First: first, Last: first + span}
		prev = first + span
	}
	if len(b) != 0 {
		for _, c := range []*uint64{&s.Condensed, &s.Replayed, &s.FutureTime} {
			if *c, b, ok = cutUvarint(b); !ok {
				return s, fmt.Errorf("%w: device state: bad counters", ErrCorrupt)
			}
		}
	}
	if len(b) != 0 {
		if b, ok = s.decodeIncarnations(b); !ok {
			return s, fmt.Errorf("%w: device state: bad incarnations", ErrCorrupt)
		}
	}
	if len(b) != 0 {
		if b, ok = s.decodeOpen(b); !ok {
			return s, fmt.Errorf("%w: device state: bad open rollup hours", ErrCorrupt)
		}
	}
	if len(b) != 0 {
		return s, fmt.Errorf("%w: device state: %d bytes after the counters", ErrCorrupt, len(b))
	}
	if !s.Received.Valid() {
		return s, fmt.Errorf("%w: device state: received set %v is not canonical", ErrCorrupt, s.Received)
	}
	return s, nil
}

// decodeIncarnations parses the schema 3 part of a device state.
func (s *deviceState) decodeIncarnations(b []byte) ([]byte, bool) {
	if len(b) < 8 {
		return nil, false
	}
	s.Incarnation, b = binary.BigEndian.Uint64(b), b[8:]
	var n uint64
	var ok bool
	for _, c := range []*uint64{&s.Incarnations, &s.PreviousReceived, &s.Stale, &n} {
		if *c, b, ok = cutUvarint(b); !ok {
			return nil, false
		}
	}
	if n > devstate.MaxPrevious || n > uint64(len(b))/8 {
		return nil, false
	}
	if n > 0 {
		s.Previous = make([]uint64, n)
		for i := range s.Previous {
			s.Previous[i], b = binary.BigEndian.Uint64(b), b[8:]
		}
	}
	return b, true
}

// decodeOpen parses the schema 5 part of a device state: at least one
// open hour, the streams in ascending order.
func (s *deviceState) decodeOpen(b []byte) ([]byte, bool) {
	n, b, ok := cutUvarint(b)
	if !ok || n == 0 || n > uint64(len(b))/(2+hourLen+rollupLen) {
		return nil, false
	}
	s.open = make([]openHour, n)
	for i := range s.open {
		o := &s.open[i]
		var q string
		if q, b, ok = cutString(b); !ok {
			return nil, false
		}
		if o.sensor, b, ok = cutString(b); !ok || len(b) < hourLen+rollupLen {
			return nil, false
		}
		o.quantity = telemetry.Quantity(q)
		o.hour = hourOfKey(b[:hourLen])
		var err error
		if o.sum, err = decodeRollupSum(b[hourLen : hourLen+rollupLen]); err != nil {
			return nil, false
		}
		b = b[hourLen+rollupLen:]
		if i > 0 && streamCompare(s.open[i-1].quantity, s.open[i-1].sensor, o.quantity, o.sensor) >= 0 {
			return nil, false
		}
	}
	return b, true
}

// cutUvarint splits a uvarint off the front of b. It refuses an overlong
// encoding (a last byte of 0 after others), so that every value has one
// form and decoding then encoding gives the stored bytes back.
func cutUvarint(b []byte) (uint64, []byte, bool) {
	v, w := binary.Uvarint(b)
	if w <= 0 || w > 1 && b[w-1] == 0 {
		return 0, nil, false
	}
	return v, b[w:], true
}
