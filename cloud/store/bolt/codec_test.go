package bolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store/devstate"
	"github.com/xiuhua/xiuhua/telemetry"
)

func TestRecordRoundTrip(t *testing.T) {
	tests := []telemetry.Record{
		{Seq: 1, Reading: telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM2_5, Value: 24.3, Time: time.UnixMilli(1772352000123).UTC()}},
		{Seq: math.MaxUint64, Reading: telemetry.Reading{Sensor: "s", Quantity: "q", Value: -0.0, Time: time.UnixMilli(-1).UTC(), Quality: telemetry.Bad}},
		{Seq: 7, Reading: telemetry.Reading{Sensor: "", Quantity: "", Value: math.MaxFloat64, Time: time.UnixMilli(0).UTC(), Quality: telemetry.Warming}},
		{Seq: 8, Reading: telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM10, Value: 7, Time: time.UnixMilli(1).UTC(),
			Flags: telemetry.ClockCorrected | telemetry.FutureTime}},
		{Seq: 9, Reading: telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM10, Value: 7, Time: time.UnixMilli(1).UTC(), Flags: 0xff}},
	}
	for _, inc := range []uint64{0, 1, math.MaxUint64} {
		for _, want := range tests {
			buf, n := appendRecord(nil, want, inc)
			if len(buf) > recordLen(want) {
				t.Errorf("seq %d: %d bytes, recordLen bound %d", want.Seq, len(buf), recordLen(want))
			}
			if got := keyIncarnation(buf[:n]); got != inc {
				t.Errorf("seq %d: key incarnation %d, want %d", want.Seq, got, inc)
			}
			got, err := decodeRecord(buf[:n], buf[n:])
			if err != nil {
				t.Fatalf("seq %d: %v", want.Seq, err)
			}
			if got != want {
				t.Errorf("round trip = %+v, want %+v", got, want)
			}
		}
	}
	// An incarnation of 0 is written as none, so a key that spells it out
	// is not canonical.
	buf, n := appendRecord(nil, tests[0], 0)
	if _, err := decodeRecord(binary.BigEndian.AppendUint64(buf[:n:n], 0), buf[n:]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("key with incarnation 0 spelt out: %v, want ErrCorrupt", err)
	}
}

// TestRecordSchema1 pins the schema 1 value, which schema 2 still reads:
// no flags byte means no flags, and an explicit 0 is not canonical.
func TestRecordSchema1(t *testing.T) {
	r := telemetry.Record{Seq: 3, Reading: telemetry.Reading{Sensor: "s", Quantity: "q", Value: 1, Time: time.UnixMilli(5).UTC(), Quality: telemetry.Suspect}}
	k := readingKey(nil, 5, 3, 0)
	v := []byte{2, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 1, 's', 1, 'q'}
	got, err := decodeRecord(k, v)
	if err != nil || got != r {
		t.Fatalf("schema 1 value = %+v, %v; want %+v", got, err, r)
	}
	if buf, n := appendRecord(nil, r, 0); !bytes.Equal(buf[n:], v) {
		t.Errorf("unflagged record encodes as %x, want the schema 1 form %x", buf[n:], v)
	}
	for _, extra := range [][]byte{{0}, {1, 1}} {
		if _, err := decodeRecord(k, append(v[:len(v):len(v)], extra...)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("value with %x after the quantity: %v, want ErrCorrupt", extra, err)
		}
	}
}

func TestAggregateRoundTrip(t *testing.T) {
	tests := []struct {
		block telemetry.Range
		index uint32
		a     telemetry.Aggregate
	}{
		{telemetry.Range{First: 1, Last: 60}, 0, telemetry.Aggregate{Sensor: "dust", Quantity: telemetry.PM2_5,
			Minute: time.UnixMilli(1772352000000).UTC(), Count: 60, Min: 1.5, Max: 80, Mean: 24.25}},
		{telemetry.Range{First: math.MaxUint64, Last: math.MaxUint64}, math.MaxUint32, telemetry.Aggregate{Sensor: "s", Quantity: "q",
			Minute: time.UnixMilli(-60000).UTC(), Count: math.MaxUint32, Min: -math.MaxFloat64, Max: math.MaxFloat64, Mean: -0.0}},
	}
	for _, inc := range []uint64{0, 7} {
		for _, tc := range tests {
			buf, n := appendAggregate(nil, tc.block, tc.index, tc.a, inc)
			wantKey := aggregateKeyLen
			if inc != 0 {
				wantKey += incarnLen
			}
			if len(buf) > aggregateLen(tc.a) || n != wantKey {
				t.Errorf("%v: %d bytes (key %d), bound %d", tc.block, len(buf), n, aggregateLen(tc.a))
			}
			got, err := decodeAggregate(buf[:n], buf[n:])
			if err != nil {
				t.Fatalf("%v: %v", tc.block, err)
			}
			if got != tc.a {
				t.Errorf("round trip = %+v, want %+v", got, tc.a)
			}
		}
	}
	// Keys sort by minute, then block, then index, then incarnation.
	keys := [][]byte{
		aggregateKey(nil, -60000, telemetry.Range{First: 9, Last: 9}, 0, 0),
		aggregateKey(nil, 0, telemetry.Range{}, 0, 0),
		aggregateKey(nil, 0, telemetry.Range{First: 1, Last: 5}, 1, 0),
		aggregateKey(nil, 0, telemetry.Range{First: 1, Last: 5}, 1, 3),
		aggregateKey(nil, 0, telemetry.Range{First: 1, Last: 6}, 0, 0),
		aggregateKey(nil, 0, telemetry.Range{First: 2, Last: 2}, 0, 0),
		aggregateKey(nil, 60000, telemetry.Range{First: 1, Last: 1}, 0, 9),
	}
	for i := 1; i < len(keys); i++ {
		if bytes.Compare(keys[i-1], keys[i]) >= 0 {
			t.Errorf("aggregate key %d does not sort before key %d", i-1, i)
		}
	}
}

func FuzzDecodeAggregate(f *testing.F) {
	buf, n := appendAggregate(nil, telemetry.Range{First: 1, Last: 2}, 0, telemetry.Aggregate{Sensor: "dust", Quantity: "pm10", Count: 2, Max: 1}, 0)
	f.Add(buf[:n], buf[n:])
	buf, n = appendAggregate(nil, telemetry.Range{First: 1, Last: 2}, 0, telemetry.Aggregate{Sensor: "dust", Quantity: "pm10", Count: 2, Max: 1}, 5)
	f.Add(buf[:n], buf[n:])
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, k, v []byte) {
		a, err := decodeAggregate(k, v)
		if err != nil {
			return
		}
		b, n := appendAggregate(nil, telemetry.Range{First: binary.BigEndian.Uint64(k[8:]), Last: binary.BigEndian.Uint64(k[16:])},
			binary.BigEndian.Uint32(k[24:]), a, keyIncarnation(k))
		if !bytes.Equal(b[:n], k) || !bytes.Equal(b[n:], v) {
			t.Fatalf("aggregate %+v does not re-encode to its bytes", a)
		}
	})
}

func TestReadingKeyOrder(t *testing.T) {
	// Ascending (time, seq, incarnation), across the sign of the time.
	keys := [][3]int64{{math.MinInt64, 1, 0}, {-1000, 1, 0}, {-1, 5, 0}, {0, 1, 0}, {0, 1, 1}, {0, 1, 2}, {0, 2, 0}, {1, 1, 9}, {math.MaxInt64, 1, 0}}
	for i := 1; i < len(keys); i++ {
		a := readingKey(nil, keys[i-1][0], uint64(keys[i-1][1]), uint64(keys[i-1][2]))
		b := readingKey(nil, keys[i][0], uint64(keys[i][1]), uint64(keys[i][2]))
		if bytes.Compare(a, b) >= 0 {
			t.Errorf("key %v does not sort before %v", keys[i-1], keys[i])
		}
	}
}

func TestDeviceStateRoundTrip(t *testing.T) {
	tests := []deviceState{
		{State: devstate.State{LastSeen: time.UnixMicro(0).UTC(), Received: telemetry.Ranges{}}},
		{State: devstate.State{LastSeen: time.UnixMicro(1772352000123456).UTC(), Duplicates: 42, Received: telemetry.Ranges{{First: 1, Last: 10}, {First: 12, Last: 12}, {First: 100, Last: math.MaxUint64}}}},
		{State: devstate.State{LastSeen: time.Time{}.UTC(), Received: telemetry.Ranges{{First: 3, Last: 3}}}},
		{State: devstate.State{LastSeen: time.UnixMicro(5).UTC(), Received: telemetry.Ranges{{First: 1, Last: 90}}, Condensed: 60, Replayed: 20, FutureTime: math.MaxUint64}},
		{State: devstate.State{LastSeen: time.UnixMicro(5).UTC(), Received: telemetry.Ranges{{First: 1, Last: 9}}, Incarnation: math.MaxUint64, Incarnations: 3,
			PreviousReceived: 1000, Stale: 4, Previous: []uint64{0, 17}}},
		// Schema 5: open hours, with and without earlier incarnations.
		{State: devstate.State{LastSeen: time.UnixMicro(5).UTC(), Received: telemetry.Ranges{{First: 1, Last: 9}}}, open: []openHour{
			{quantity: telemetry.PM10, sensor: "dust", hour: 1772352000, sum: rollupSum{count: 3, sum: 7.5, min: 1, max: 4.5, minutes: 1<<59 | 1}},
			{quantity: telemetry.PM10, sensor: "dust2", hour: -3600, sum: rollupSum{count: 1, sum: -2, min: -2, max: -2, minutes: 1 << 30}},
			{quantity: telemetry.WaterLevel, sensor: "", hour: 0, sum: rollupSum{count: math.MaxUint64, sum: math.Inf(1), min: math.Inf(-1), max: 0}},
		}},
		{State: devstate.State{LastSeen: time.UnixMicro(5).UTC(), Received: telemetry.Ranges{{First: 1, Last: 9}}, Incarnation: 3, Incarnations: 2, Previous: []uint64{7}},
			open: []openHour{{quantity: "q", sensor: "s", hour: 7200, sum: rollupSum{count: 1, sum: 1, min: 1, max: 1, minutes: 2}}}},
	}
	for _, want := range tests {
		got, err := decodeDeviceState(want.encode())
		if err != nil {
			t.Fatalf("%+v: %v", want, err)
		}
		if !sameState(got, want) {
			t.Errorf("round trip = %+v, want %+v", got, want)
		}
	}
}

func sameState(a, b deviceState) bool {
	return a.LastSeen.Equal(b.LastSeen) && a.Duplicates == b.Duplicates && a.Received.String() == b.Received.String() &&
		a.Condensed == b.Condensed && a.Replayed == b.Replayed && a.FutureTime == b.FutureTime &&
		a.Incarnation == b.Incarnation && a.Incarnations == b.Incarnations && a.PreviousReceived == b.PreviousReceived &&
		a.Stale == b.Stale && slices.Equal(a.Previous, b.Previous) &&
		slices.EqualFunc(a.open, b.open, func(x, y openHour) bool {
			// Bits, not ==: a fuzzed sum may be NaN.
			return x.quantity == y.quantity && x.sensor == y.sensor && x.hour == y.hour && bytes.Equal(x.sum.encode(), y.sum.encode())
		})
}

// TestDeviceStateOpenRefused checks that open hours are canonical: none
// is written as no section, and streams ascend.
func TestDeviceStateOpenRefused(t *testing.T) {
	base := deviceState{State: devstate.State{LastSeen: time.UnixMicro(5).UTC(), Received: telemetry.Ranges{{First: 1, Last: 2}}}}
	one := openHour{quantity: telemetry.PM10, sensor: "a", hour: 3600, sum: rollupSum{count: 1, sum: 1, min: 1, max: 1, minutes: 1}}
	two := one
	two.sensor = "b"
	plain := base.encode()
	withOpen := func(os ...openHour) []byte {
		s := base
		s.open = os
		return s.encode()
	}
	tests := map[string][]byte{
		"an empty section":         append(slices.Clone(plain), 0), // a count of 0
		"streams out of order":     withOpen(two, one),
		"a stream twice":           withOpen(one, one),
		"a rollup value cut short": withOpen(one)[:len(withOpen(one))-1],
	}
	for name, b := range tests {
		if _, err := decodeDeviceState(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	if got, err := decodeDeviceState(withOpen(one, two)); err != nil || len(got.open) != 2 {
		t.Fatalf("two ascending streams: %+v, %v", got.open, err)
	}
}

// TestDeviceStateSchema1 pins the schema 1 state, which schema 2 reads with
// zero counts.
func TestDeviceStateSchema1(t *testing.T) {
	v1 := []byte{0, 0, 0, 0, 0, 0, 0, 7, 4, 2, 1, 2, 4, 0} // last seen 7 µs, 4 duplicates, {1-3, 7}
	want := deviceState{State: devstate.State{LastSeen: time.UnixMicro(7).UTC(), Duplicates: 4, Received: telemetry.Ranges{{First: 1, Last: 3}, {First: 7, Last: 7}}}}
	got, err := decodeDeviceState(v1)
	if err != nil || !sameState(got, want) {
		t.Fatalf("schema 1 state = %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range [][]byte{append(v1[:len(v1):len(v1)], 1), append(v1[:len(v1):len(v1)], 1, 2, 3, 4)} {
		if _, err := decodeDeviceState(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("state %x: %v, want ErrCorrupt", bad, err)
		}
	}
}

func FuzzDecodeDeviceState(f *testing.F) {
	f.Add(deviceState{State: devstate.State{Received: telemetry.Ranges{{First: 1, Last: 2}, {First: 5, Last: 9}}}}.encode())
	f.Add(deviceState{State: devstate.State{Received: telemetry.Ranges{{First: 1, Last: 2}}, Incarnation: 9, Incarnations: 2, Previous: []uint64{4}}}.encode())
	f.Add(deviceState{State: devstate.State{Received: telemetry.Ranges{{First: 1, Last: 2}}}, open: []openHour{{quantity: "q", sensor: "s", hour: 3600,
		sum: rollupSum{count: 1, sum: 2, min: 2, max: 2, minutes: 4}}}}.encode())
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 20))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeDeviceState(b)
		if err != nil {
			return
		}
		if !s.Received.Valid() {
			t.Fatalf("decoded a non-canonical set %v", s.Received)
		}
		if again, err := decodeDeviceState(s.encode()); err != nil || !sameState(again, s) {
			t.Fatalf("re-encoding %v: %v, %v", s.Received, again.Received, err)
		}
	})
}

func FuzzDecodeRecord(f *testing.F) {
	buf, n := appendRecord(nil, telemetry.Record{Seq: 3, Reading: telemetry.Reading{Sensor: "dust", Quantity: "pm10", Value: 1}}, 0)
	f.Add(buf[:n], buf[n:])
	buf, n = appendRecord(nil, telemetry.Record{Seq: 3, Reading: telemetry.Reading{Sensor: "dust", Quantity: "pm10", Value: 1}}, 42)
	f.Add(buf[:n], buf[n:])
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, k, v []byte) {
		r, err := decodeRecord(k, v)
		if err != nil {
			return
		}
		b, n := appendRecord(nil, r, keyIncarnation(k))
		if !bytes.Equal(b[:n], k) || !bytes.Equal(b[n:], v) {
			t.Fatalf("record %+v does not re-encode to its bytes", r)
		}
	})
}
