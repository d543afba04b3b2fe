package telemetry

import (
	"errors"
	"fmt"
	"math"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
)

// Version is the payload version this package writes. Decoders accept
// every version listed in the switch of decodeEnvelope.
const Version = 1

// Payload kinds, the second byte of every payload, so that a batch can
// never be mistaken for an ack.
const (
	kindBatch byte = 'B'
	kindAck   byte = 'A'
)

// Limits on what a decoder accepts, so that a hostile or corrupt payload
// cannot make the collector allocate without bound.
const (
	MaxBatchRecords = 10000
	maxPayload      = 4 << 20
	maxStringLen    = 256
)

// Errors a decoder returns; wrapped with the detail.
var (
	ErrVersion = errors.New("telemetry: unsupported payload version")
	ErrPayload = errors.New("telemetry: malformed payload")
)

// The wire forms are CBOR arrays (toarray): compact, and field order is the
// contract. Append fields only at the end, and bump Version when a decoder
// of the old version would misread them.
//
// fxamacker/cbor refuses an array whose length differs from the struct's,
// so a field appended to a payload keeps the shorter form beside it
// (wireBatch0, wireAck0): encoders write the short form when the new field
// is zero, and decoders take either. Old collectors and agents, which know
// only the short form, thereby keep talking to new ones that have nothing
// to say in the new field; they reject (never misread) the long form.
type wireReading struct {
	_        struct{} `cbor:",toarray"`
	Seq      uint64
	Sensor   string
	Quantity string
	Value    float64
	TimeMS   int64 // Unix milliseconds
	Quality  uint8
	Flags    uint8
}

type wireAggregate struct {
	_        struct{} `cbor:",toarray"`
	Sensor   string
	Quantity string
	MinuteMS int64
	Count    uint32
	Min      float64
	Max      float64
	Mean     float64
}

type wireCondensed struct {
	_          struct{} `cbor:",toarray"`
	First      uint64
	Last       uint64
	Aggregates []wireAggregate
}

type wireBatch struct {
	_           struct{} `cbor:",toarray"`
	Device      string
	Replay      bool
	Records     []wireReading
	Condensed   []wireCondensed
	Incarnation uint64 // the sending outbox's; absent (wireBatch0) means 0
}

// wireBatch0 is wireBatch before incarnations.
type wireBatch0 struct {
	_         struct{} `cbor:",toarray"`
	Device    string
	Replay    bool
	Records   []wireReading
	Condensed []wireCondensed
}

type wireRange struct {
	_     struct{} `cbor:",toarray"`
	First uint64
	Last  uint64
}

type wireAck struct {
	_           struct{} `cbor:",toarray"`
	Device      string
	Ranges      []wireRange
	Incarnation uint64 // the acknowledged batches' outbox; absent (wireAck0) means 0
}

// wireAck0 is wireAck before incarnations.
type wireAck0 struct {
	_      struct{} `cbor:",toarray"`
	Device string
	Ranges []wireRange
}

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
	// batchMode decodes a batch's text as it comes, valid UTF-8 or not,
	// so that DecodeBatch can say which name is wrong and where rather
	// than relay the codec's bare "invalid UTF-8 string".
	batchMode cbor.DecMode
)

func init() {
	var err error
	// Shortest float keeps 24.0 as two bytes and 24.3 as eight, losslessly.
	if encMode, err = (cbor.EncOptions{ShortestFloat: cbor.ShortestFloat16}).EncMode(); err != nil {
		panic(err)
	}
	opts := cbor.DecOptions{
		MaxArrayElements: MaxBatchRecords,
		MaxNestedLevels:  8,
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
	}
	if decMode, err = opts.DecMode(); err != nil {
		panic(err)
	}
	opts.UTF8 = cbor.UTF8DecodeInvalid
	if batchMode, err = opts.DecMode(); err != nil {
		panic(err)
	}
}

// EncodeBatch returns the wire form of b.
func EncodeBatch(b Batch) ([]byte, error) {
	if err := ValidateDeviceID(b.Device); err != nil {
		return nil, err
	}
	if len(b.Records) > MaxBatchRecords {
		return nil, fmt.Errorf("telemetry: batch of %d records is over the limit of %d", len(b.Records), MaxBatchRecords)
	}
	w := wireBatch{Device: b.Device, Replay: b.Replay, Records: make([]wireReading, len(b.Records)), Incarnation: b.Incarnation}
	for i, r := range b.Records {
		w.Records[i] = toWire(r)
	}
	for _, c := range b.Condensed {
		w.Condensed = append(w.Condensed, condensedToWire(c))
	}
	if w.Incarnation == 0 {
		return encode(kindBatch, wireBatch0{Device: w.Device, Replay: w.Replay, Records: w.Records, Condensed: w.Condensed})
	}
	return encode(kindBatch, w)
}

// DecodeBatch parses a payload written by EncodeBatch and checks it: a
// valid device id, sequence numbers ≥ 1 in strictly ascending order, finite
// values, and sensor and quantity names of 1 to 256 bytes of valid UTF-8
// without control characters (a name is shown on dashboards, written to
// logs and stored as text; a NUL or an escape sequence in one is at best
// an error and at worst an attack). An error names the record or
// aggregate, the field, and the offending byte's offset.
func DecodeBatch(p []byte) (Batch, error) {
	var w wireBatch
	if n, ok := arrayLen(p); ok && n == 4 {
		var w0 wireBatch0
		if err := decodeWith(batchMode, p, kindBatch, &w0); err != nil {
			return Batch{}, err
		}
		w = wireBatch{Device: w0.Device, Replay: w0.Replay, Records: w0.Records, Condensed: w0.Condensed}
	} else if err := decodeWith(batchMode, p, kindBatch, &w); err != nil {
		return Batch{}, err
	}
	if err := ValidateDeviceID(w.Device); err != nil {
		return Batch{}, fmt.Errorf("%w: %w", ErrPayload, err)
	}
	b := Batch{Device: w.Device, Replay: w.Replay, Records: make([]Record, len(w.Records)), Incarnation: w.Incarnation}
	var prev uint64
	for i, r := range w.Records {
		switch {
		case r.Seq == 0:
			return Batch{}, fmt.Errorf("%w: record %d has sequence number 0", ErrPayload, i)
		case r.Seq <= prev:
			return Batch{}, fmt.Errorf("%w: record %d has sequence number %d after %d; they must ascend", ErrPayload, i, r.Seq, prev)
		case math.IsNaN(r.Value) || math.IsInf(r.Value, 0):
			return Batch{}, fmt.Errorf("%w: record %d (seq %d) has value %v", ErrPayload, i, r.Seq, r.Value)
		}
		if err := checkNames(r.Sensor, r.Quantity); err != nil {
			return Batch{}, fmt.Errorf("%w: record %d (seq %d): %w", ErrPayload, i, r.Seq, err)
		}
		prev = r.Seq
		b.Records[i] = r.record()
	}
	for i, w := range w.Condensed {
		c, err := w.condensed()
		if err != nil {
			return Batch{}, fmt.Errorf("%w: condensed block %d: %w", ErrPayload, i, err)
		}
		b.Condensed = append(b.Condensed, c)
	}
	if len(b.Records) == 0 && len(b.Condensed) == 0 {
		return Batch{}, fmt.Errorf("%w: batch carries no records", ErrPayload)
	}
	if seqs := b.Seqs(); seqs.Count() != uint64(len(b.Records))+condensedCount(b.Condensed) {
		return Batch{}, fmt.Errorf("%w: condensed ranges overlap each other or the records", ErrPayload)
	}
	return b, nil
}

// EncodeAck returns the wire form of a.
func EncodeAck(a Ack) ([]byte, error) {
	if err := ValidateDeviceID(a.Device); err != nil {
		return nil, err
	}
	w := wireAck{Device: a.Device, Ranges: make([]wireRange, len(a.Ranges)), Incarnation: a.Incarnation}
	for i, r := range a.Ranges {
		w.Ranges[i] = wireRange{First: r.First, Last: r.Last}
	}
	if w.Incarnation == 0 {
		return encode(kindAck, wireAck0{Device: w.Device, Ranges: w.Ranges})
	}
	return encode(kindAck, w)
}

// DecodeAck parses a payload written by EncodeAck. The ranges must be in
// canonical form (see Ranges.Valid).
func DecodeAck(p []byte) (Ack, error) {
	var w wireAck
	if n, ok := arrayLen(p); ok && n == 2 {
		var w0 wireAck0
		if err := decode(p, kindAck, &w0); err != nil {
			return Ack{}, err
		}
		w = wireAck{Device: w0.Device, Ranges: w0.Ranges}
	} else if err := decode(p, kindAck, &w); err != nil {
		return Ack{}, err
	}
	if err := ValidateDeviceID(w.Device); err != nil {
		return Ack{}, fmt.Errorf("%w: %w", ErrPayload, err)
	}
	a := Ack{Device: w.Device, Ranges: make(Ranges, len(w.Ranges)), Incarnation: w.Incarnation}
	for i, r := range w.Ranges {
		a.Ranges[i] = Range{First: r.First, Last: r.Last}
	}
	if !a.Ranges.Valid() {
		return Ack{}, fmt.Errorf("%w: ack ranges %v are not sorted, disjoint and ≥ 1", ErrPayload, a.Ranges)
	}
	return a, nil
}

// arrayLen reads the length of a payload's body when it is a CBOR array
// of fewer than 24 elements (one head byte), as every wire form is.
func arrayLen(p []byte) (int, bool) {
	if len(p) < 3 || p[2]>>5 != 4 || p[2]&0x1f >= 24 {
		return 0, false
	}
	return int(p[2] & 0x1f), true
}

func encode(kind byte, v any) ([]byte, error) {
	body, err := encMode.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("telemetry: encode: %w", err)
	}
	return append([]byte{Version, kind}, body...), nil
}

func decode(p []byte, kind byte, v any) error { return decodeWith(decMode, p, kind, v) }

func decodeWith(mode cbor.DecMode, p []byte, kind byte, v any) error {
	if len(p) < 2 {
		return fmt.Errorf("%w: %d bytes is too short for a header", ErrPayload, len(p))
	}
	if len(p) > maxPayload {
		return fmt.Errorf("%w: %d bytes is over the limit of %d", ErrPayload, len(p), maxPayload)
	}
	if p[0] != Version {
		return fmt.Errorf("%w: %d (this build reads %d)", ErrVersion, p[0], Version)
	}
	if p[1] != kind {
		return fmt.Errorf("%w: kind %q where %q was expected", ErrPayload, p[1], kind)
	}
	if err := mode.Unmarshal(p[2:], v); err != nil {
		return fmt.Errorf("%w: %w", ErrPayload, err)
	}
	return nil
}

// checkNames checks a sensor and a quantity name as DecodeBatch requires.
func checkNames(sensor, quantity string) error {
	if err := checkName("sensor", sensor); err != nil {
		return err
	}
	return checkName("quantity", quantity)
}

// checkName says what is wrong with a name, where and why.
func checkName(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%s name is empty", what)
	case len(s) > maxStringLen:
		return fmt.Errorf("%s name %.20q… is %d bytes long, more than %d", what, s, len(s), maxStringLen)
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return fmt.Errorf("%s name %q is not valid UTF-8: byte %#02x at offset %d does not start a character", what, s, s[i], i)
		case unicode.IsControl(r):
			return fmt.Errorf("%s name %q has control character %U at byte offset %d; names must be printable text", what, s, r, i)
		}
		i += size
	}
	return nil
}

// MarshalRecord returns the compact form of one record, for storing it
// (the outbox keeps one per key). It carries no version prefix: stores
// record their own schema version.
func MarshalRecord(r Record) ([]byte, error) {
	b, err := encMode.Marshal(toWire(r))
	if err != nil {
		return nil, fmt.Errorf("telemetry: encode record %d: %w", r.Seq, err)
	}
	return b, nil
}

// UnmarshalRecord parses what MarshalRecord wrote.
func UnmarshalRecord(p []byte) (Record, error) {
	var w wireReading
	if err := decMode.Unmarshal(p, &w); err != nil {
		return Record{}, fmt.Errorf("%w: record: %w", ErrPayload, err)
	}
	return w.record(), nil
}

func toWire(r Record) wireReading {
	return wireReading{
		Seq: r.Seq, Sensor: r.Sensor, Quantity: string(r.Quantity), Value: r.Value,
		TimeMS: r.Time.UnixMilli(), Quality: uint8(r.Quality), Flags: uint8(r.Flags),
	}
}

func (w wireReading) record() Record {
	return Record{Seq: w.Seq, Reading: Reading{
		Sensor: w.Sensor, Quantity: Quantity(w.Quantity), Value: w.Value,
		Time: time.UnixMilli(w.TimeMS).UTC(), Quality: Quality(w.Quality), Flags: Flags(w.Flags),
	}}
}

func condensedCount(cs []Condensed) uint64 {
	var n uint64
	for _, c := range cs {
		n += c.Range.Len()
	}
	return n
}

// MarshalCondensed returns the compact form of one condensed block, for
// the outbox.
func MarshalCondensed(c Condensed) ([]byte, error) {
	b, err := encMode.Marshal(condensedToWire(c))
	if err != nil {
		return nil, fmt.Errorf("telemetry: encode condensed %v: %w", c.Range, err)
	}
	return b, nil
}

// UnmarshalCondensed parses what MarshalCondensed wrote.
func UnmarshalCondensed(p []byte) (Condensed, error) {
	var w wireCondensed
	if err := decMode.Unmarshal(p, &w); err != nil {
		return Condensed{}, fmt.Errorf("%w: condensed: %w", ErrPayload, err)
	}
	c, err := w.condensed()
	if err != nil {
		return Condensed{}, fmt.Errorf("%w: condensed: %w", ErrPayload, err)
	}
	return c, nil
}

func condensedToWire(c Condensed) wireCondensed {
	w := wireCondensed{First: c.Range.First, Last: c.Range.Last, Aggregates: make([]wireAggregate, len(c.Aggregates))}
	for i, a := range c.Aggregates {
		w.Aggregates[i] = wireAggregate{Sensor: a.Sensor, Quantity: string(a.Quantity), MinuteMS: a.Minute.UnixMilli(),
			Count: a.Count, Min: a.Min, Max: a.Max, Mean: a.Mean}
	}
	return w
}

func (w wireCondensed) condensed() (Condensed, error) {
	if w.First == 0 || w.First > w.Last {
		return Condensed{}, fmt.Errorf("range %d-%d is empty or starts at 0", w.First, w.Last)
	}
	c := Condensed{Range: Range{w.First, w.Last}, Aggregates: make([]Aggregate, len(w.Aggregates))}
	var total uint64
	for i, a := range w.Aggregates {
		for _, v := range []float64{a.Min, a.Max, a.Mean} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return Condensed{}, fmt.Errorf("aggregate %d has value %v", i, v)
			}
		}
		if err := checkNames(a.Sensor, a.Quantity); err != nil {
			return Condensed{}, fmt.Errorf("aggregate %d: %w", i, err)
		}
		if a.Count == 0 || a.Min > a.Max {
			return Condensed{}, fmt.Errorf("aggregate %d is malformed: count %d, min %v, max %v", i, a.Count, a.Min, a.Max)
		}
		total += uint64(a.Count)
		c.Aggregates[i] = Aggregate{Sensor: a.Sensor, Quantity: Quantity(a.Quantity), Minute: time.UnixMilli(a.MinuteMS).UTC(),
			Count: a.Count, Min: a.Min, Max: a.Max, Mean: a.Mean}
	}
	if total != c.Range.Len() {
		return Condensed{}, fmt.Errorf("aggregates count %d readings but the range %v holds %d", total, c.Range, c.Range.Len())
	}
	return c, nil
}
