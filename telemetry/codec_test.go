package telemetry

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func sampleBatch() Batch {
	t := time.Date(2026, 11, 21, 8, 30, 15, 123e6, time.UTC)
	return Batch{Device: "site-xh-001", Replay: true, Records: []Record{
		{Seq: 7, Reading: Reading{Sensor: "dust", Quantity: PM2_5, Value: 35.2, Time: t}},
		{Seq: 8, Reading: Reading{Sensor: "dust", Quantity: PM10, Value: 48, Time: t, Quality: Warming}},
	}}
}

func TestBatchRoundTrip(t *testing.T) {
	b := sampleBatch()
	p, err := EncodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	if p[0] != Version || p[1] != 'B' {
		t.Fatalf("header = % x, want version %d then 'B'", p[:2], Version)
	}
	got, err := DecodeBatch(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, b) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, b)
	}
	// Compactness: two readings must not cost more than ~40 bytes each.
	if len(p) > 90 {
		t.Errorf("batch of 2 records is %d bytes; the codec has grown", len(p))
	}
}

func TestTimeKeepsMillisecondsOnly(t *testing.T) {
	b := sampleBatch()
	b.Records = b.Records[:1]
	b.Records[0].Time = time.Date(2026, 1, 1, 0, 0, 0, 999_999_999, time.UTC)
	p, _ := EncodeBatch(b)
	got, _ := DecodeBatch(p)
	if want := time.Date(2026, 1, 1, 0, 0, 0, 999e6, time.UTC); !got.Records[0].Time.Equal(want) {
		t.Fatalf("time = %v, want %v", got.Records[0].Time, want)
	}
}

func TestDecodeBatchRejects(t *testing.T) {
	good, _ := EncodeBatch(sampleBatch())
	mutate := func(f func(*Batch)) []byte {
		b := sampleBatch()
		f(&b)
		w := wireBatch{Device: b.Device}
		for _, r := range b.Records {
			w.Records = append(w.Records, toWire(r))
		}
		p, err := encode(kindBatch, w)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		p    []byte
		want error
	}{
		{"empty", nil, ErrPayload},
		{"future version", append([]byte{9}, good[1:]...), ErrVersion},
		{"an ack", func() []byte { p, _ := EncodeAck(Ack{Device: "d", Ranges: RangesOf(1)}); return p }(), ErrPayload},
		{"truncated", good[:len(good)-3], ErrPayload},
		{"seq zero", mutate(func(b *Batch) { b.Records[0].Seq = 0 }), ErrPayload},
		{"descending seq", mutate(func(b *Batch) { b.Records[1].Seq = 7 }), ErrPayload},
		{"bad device id", mutate(func(b *Batch) { b.Device = "a/b" }), ErrPayload},
		{"empty sensor", mutate(func(b *Batch) { b.Records[0].Sensor = "" }), ErrPayload},
	}
	for _, tt := range tests {
		if _, err := DecodeBatch(tt.p); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestAckRoundTripAndCanonical(t *testing.T) {
	a := Ack{Device: "d1", Ranges: Ranges{{1, 5}, {9, 9}}}
	p, err := EncodeAck(a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeAck(p)
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("got %+v, %v", got, err)
	}
	bad, _ := EncodeAck(Ack{Device: "d1", Ranges: Ranges{{5, 9}, {1, 2}}})
	if _, err := DecodeAck(bad); !errors.Is(err, ErrPayload) {
		t.Fatalf("unsorted ranges accepted: %v", err)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	r := sampleBatch().Records[1]
	p, err := MarshalRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalRecord(p)
	if err != nil || !reflect.DeepEqual(got, r) {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func FuzzDecodeBatch(f *testing.F) {
	good, _ := EncodeBatch(sampleBatch())
	ack, _ := EncodeAck(Ack{Device: "d", Ranges: RangesOf(1, 2, 3)})
	b := sampleBatch()
	b.Incarnation = 0xdead_beef
	withInc, _ := EncodeBatch(b)
	f.Add(good)
	f.Add(withInc)
	f.Add(ack)
	f.Add([]byte{1, 'B', 0x83})
	f.Add([]byte{})
	// Names that must be refused: control characters, invalid UTF-8, in
	// records and in condensed aggregates.
	for _, bad := range badNames {
		for _, b := range []Batch{sampleBatch(), sampleBatch(), sampleBatch()} {
			b.Records[0].Sensor = bad.name
			p, _ := EncodeBatch(b)
			f.Add(p)
			b.Records[0].Sensor, b.Records[1].Quantity = "dust", Quantity(bad.name)
			p, _ = EncodeBatch(b)
			f.Add(p)
		}
	}
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for _, name := range []string{"a\x00", "\xff", "\u0085"} {
		p, _ := EncodeBatch(Batch{Device: "d", Condensed: []Condensed{{Range: Range{First: 1, Last: 1},
			Aggregates: []Aggregate{{Sensor: name, Quantity: PM10, Minute: at, Count: 1, Min: 1, Max: 1, Mean: 1}}}}})
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		b, err := DecodeBatch(p)
		if err != nil {
			return
		}
		for _, r := range b.Records {
			if err := checkNames(r.Sensor, string(r.Quantity)); err != nil {
				t.Fatalf("decoded record %d: %v", r.Seq, err)
			}
		}
		for _, c := range b.Condensed {
			for _, a := range c.Aggregates {
				if err := checkNames(a.Sensor, string(a.Quantity)); err != nil {
					t.Fatalf("decoded aggregate of %v: %v", c.Range, err)
				}
			}
		}
		// Whatever decodes must encode and decode to the same batch.
		p2, err := EncodeBatch(b)
		if err != nil {
			t.Fatalf("decoded batch does not encode: %v", err)
		}
		b2, err := DecodeBatch(p2)
		if err != nil || !reflect.DeepEqual(b, b2) {
			t.Fatalf("re-encode changed the batch: %v", err)
		}
	})
}

func FuzzDecodeAck(f *testing.F) {
	ack, _ := EncodeAck(Ack{Device: "d", Ranges: RangesOf(1, 2, 3, 7)})
	withInc, _ := EncodeAck(Ack{Device: "d", Ranges: RangesOf(1, 2, 3, 7), Incarnation: 42})
	f.Add(ack)
	f.Add(withInc)
	f.Add([]byte{1, 'A'})
	f.Fuzz(func(t *testing.T, p []byte) {
		a, err := DecodeAck(p)
		if err == nil && !a.Ranges.Valid() {
			t.Fatalf("decoded non-canonical ranges %v", a.Ranges)
		}
	})
}

func TestCondensedRoundTripAndChecks(t *testing.T) {
	minute := time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC)
	b := Batch{Device: "d1", Replay: true, Condensed: []Condensed{{
		Range: Range{First: 1, Last: 5},
		Aggregates: []Aggregate{
			{Sensor: "dust", Quantity: PM2_5, Minute: minute, Count: 3, Min: 30, Max: 40, Mean: 35},
			{Sensor: "dust", Quantity: PM10, Minute: minute, Count: 2, Min: 50, Max: 60, Mean: 55},
		},
	}}, Records: []Record{{Seq: 6, Reading: Reading{Sensor: "dust", Quantity: PM2_5, Value: 31, Time: minute, Flags: ClockCorrected}}}}
	p, err := EncodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBatch(p)
	if err != nil || !reflect.DeepEqual(got, b) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if s := got.Seqs().String(); s != "[1-6]" {
		t.Fatalf("Seqs = %s, want [1-6]", s)
	}
	bad := b
	bad.Condensed = []Condensed{{Range: Range{First: 1, Last: 6}, Aggregates: b.Condensed[0].Aggregates}}
	p, _ = EncodeBatch(bad)
	if _, err := DecodeBatch(p); !errors.Is(err, ErrPayload) {
		t.Fatalf("block whose counts do not add up to its range accepted: %v", err)
	}
	c, err := UnmarshalCondensed(must(MarshalCondensed(b.Condensed[0])))
	if err != nil || !reflect.DeepEqual(c, b.Condensed[0]) {
		t.Fatalf("condensed round trip: %+v %v", c, err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestIncarnationRoundTrip(t *testing.T) {
	for _, inc := range []uint64{0, 1, 0xdead_beef_0bad_f00d, ^uint64(0)} {
		b := sampleBatch()
		b.Incarnation = inc
		p, err := EncodeBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := DecodeBatch(p); err != nil || !reflect.DeepEqual(got, b) {
			t.Errorf("batch of incarnation %#x: got %+v, %v", inc, got, err)
		}
		a := Ack{Device: "d1", Ranges: RangesOf(1, 2, 9), Incarnation: inc}
		if p, err = EncodeAck(a); err != nil {
			t.Fatal(err)
		}
		if got, err := DecodeAck(p); err != nil || !reflect.DeepEqual(got, a) {
			t.Errorf("ack of incarnation %#x: got %+v, %v", inc, got, err)
		}
	}
}

// TestIncarnationZeroKeepsOldForm checks that a payload without an
// incarnation is byte for byte what builds before incarnations wrote and
// read, and that the long form with a zero incarnation decodes too.
func TestIncarnationZeroKeepsOldForm(t *testing.T) {
	b := sampleBatch()
	p, err := EncodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	w := wireBatch0{Device: b.Device, Replay: b.Replay}
	for _, r := range b.Records {
		w.Records = append(w.Records, toWire(r))
	}
	old, err := encode(kindBatch, w)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, old) {
		t.Errorf("batch without incarnation = % x, want the old form % x", p, old)
	}
	long, err := encode(kindBatch, wireBatch{Device: w.Device, Replay: w.Replay, Records: w.Records})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := DecodeBatch(long); err != nil || !reflect.DeepEqual(got, b) {
		t.Errorf("long form with incarnation 0: %+v, %v", got, err)
	}

	a := Ack{Device: "d1", Ranges: RangesOf(3)}
	pa, err := EncodeAck(a)
	if err != nil {
		t.Fatal(err)
	}
	oldAck, _ := encode(kindAck, wireAck0{Device: "d1", Ranges: []wireRange{{First: 3, Last: 3}}})
	if !reflect.DeepEqual(pa, oldAck) {
		t.Errorf("ack without incarnation = % x, want the old form % x", pa, oldAck)
	}
	longAck, _ := encode(kindAck, wireAck{Device: "d1", Ranges: []wireRange{{First: 3, Last: 3}}})
	if got, err := DecodeAck(longAck); err != nil || !reflect.DeepEqual(got, a) {
		t.Errorf("long ack with incarnation 0: %+v, %v", got, err)
	}
	// Neither form may pass for the other's kind or lose its fields.
	if _, err := DecodeAck(p); !errors.Is(err, ErrPayload) {
		t.Errorf("a batch decoded as an ack: %v", err)
	}
}
