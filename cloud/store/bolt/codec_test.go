package bolt

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

func TestRecordRoundTrip(t *testing.T) {
	tests := []telemetry.Record{
		{Seq: 1, Reading: telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM2_5, Value: 24.3, Time: time.UnixMilli(1772352000123).UTC()}},
		{Seq: math.MaxUint64, Reading: telemetry.Reading{Sensor: "s", Quantity: "q", Value: -0.0, Time: time.UnixMilli(-1).UTC(), Quality: telemetry.Bad}},
		{Seq: 7, Reading: telemetry.Reading{Sensor: "", Quantity: "", Value: math.MaxFloat64, Time: time.UnixMilli(0).UTC(), Quality: telemetry.Warming}},
	}
	for _, want := range tests {
		buf, n := appendRecord(nil, want)
		if len(buf) > recordLen(want) {
			t.Errorf("seq %d: %d bytes, recordLen bound %d", want.Seq, len(buf), recordLen(want))
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

func TestReadingKeyOrder(t *testing.T) {
	// Ascending (time, seq), across the sign of the time.
	keys := [][2]int64{{math.MinInt64, 1}, {-1000, 1}, {-1, 5}, {0, 1}, {0, 2}, {1, 1}, {math.MaxInt64, 1}}
	for i := 1; i < len(keys); i++ {
		a := readingKey(nil, keys[i-1][0], uint64(keys[i-1][1]))
		b := readingKey(nil, keys[i][0], uint64(keys[i][1]))
		if bytes.Compare(a, b) >= 0 {
			t.Errorf("key %v does not sort before %v", keys[i-1], keys[i])
		}
	}
}

func TestCeilMilli(t *testing.T) {
	base := time.UnixMilli(1772352000123)
	tests := []struct {
		t    time.Time
		want int64
	}{
		{base, 1772352000123},
		{base.Add(1), 1772352000124},
		{base.Add(-1), 1772352000123},
		{time.UnixMilli(-5).Add(-1), -5},
		{time.UnixMilli(-5).Add(1), -4},
	}
	for _, tc := range tests {
		if got := ceilMilli(tc.t); got != tc.want {
			t.Errorf("ceilMilli(%v) = %d, want %d", tc.t, got, tc.want)
		}
	}
}

func TestDeviceStateRoundTrip(t *testing.T) {
	tests := []deviceState{
		{lastSeen: time.UnixMicro(0).UTC(), received: telemetry.Ranges{}},
		{lastSeen: time.UnixMicro(1772352000123456).UTC(), duplicates: 42, received: telemetry.Ranges{{First: 1, Last: 10}, {First: 12, Last: 12}, {First: 100, Last: math.MaxUint64}}},
		{lastSeen: time.Time{}.UTC(), received: telemetry.Ranges{{First: 3, Last: 3}}},
	}
	for _, want := range tests {
		got, err := decodeDeviceState(want.encode())
		if err != nil {
			t.Fatalf("%+v: %v", want, err)
		}
		if !got.lastSeen.Equal(want.lastSeen) || got.duplicates != want.duplicates || got.received.String() != want.received.String() {
			t.Errorf("round trip = %+v, want %+v", got, want)
		}
	}
}

func FuzzDecodeDeviceState(f *testing.F) {
	f.Add(deviceState{received: telemetry.Ranges{{First: 1, Last: 2}, {First: 5, Last: 9}}}.encode())
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 20))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeDeviceState(b)
		if err != nil {
			return
		}
		if !s.received.Valid() {
			t.Fatalf("decoded a non-canonical set %v", s.received)
		}
		if again, err := decodeDeviceState(s.encode()); err != nil || again.received.String() != s.received.String() {
			t.Fatalf("re-encoding %v: %v, %v", s.received, again.received, err)
		}
	})
}

func FuzzDecodeRecord(f *testing.F) {
	buf, n := appendRecord(nil, telemetry.Record{Seq: 3, Reading: telemetry.Reading{Sensor: "dust", Quantity: "pm10", Value: 1}})
	f.Add(buf[:n], buf[n:])
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, k, v []byte) {
		r, err := decodeRecord(k, v)
		if err != nil {
			return
		}
		b, n := appendRecord(nil, r)
		if !bytes.Equal(b[:n], k) || !bytes.Equal(b[n:], v) {
			t.Fatalf("record %+v does not re-encode to its bytes", r)
		}
	})
}
