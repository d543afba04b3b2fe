package postgres

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

func TestRangesRoundTrip(t *testing.T) {
	for _, rs := range []telemetry.Ranges{
		nil,
		{{First: 1, Last: 1}},
		{{First: 1, Last: 100000}},
		{{First: 3, Last: 4}, {First: 7, Last: 7}, {First: 9, Last: 1 << 40}},
		{{First: 1, Last: 1}, {First: math.MaxUint64, Last: math.MaxUint64}},
		{{First: 1, Last: math.MaxUint64}},
	} {
		b := encodeRanges(rs)
		got, err := decodeRanges(b)
		if err != nil {
			t.Errorf("decode(encode(%v)): %v", rs, err)
			continue
		}
		if got.String() != rs.String() {
			t.Errorf("decode(encode(%v)) = %v", rs, got)
		}
	}
	if n := len(encodeRanges(telemetry.Ranges{{First: 1, Last: 1_000_000}})); n > 4 {
		t.Errorf("one range of a million takes %d bytes", n)
	}
}

func TestRangesCorrupt(t *testing.T) {
	for _, b := range [][]byte{
		{0x00, 0x00},             // starts at 0
		{0x01},                   // no length
		{0x80},                   // truncated uvarint
		{0x81, 0x00, 0x00},       // overlong uvarint
		{0x01, 0x00, 0x00, 0x00}, // touches the previous range
		{0x01, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // overflows
	} {
		if rs, err := decodeRanges(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("decodeRanges(%x) = %v, %v; want ErrCorrupt", b, rs, err)
		}
	}
}

// FuzzDecodeRanges: whatever the column holds, decoding either fails with
// ErrCorrupt or gives a canonical set that encodes back to the same bytes.
func FuzzDecodeRanges(f *testing.F) {
	f.Add([]byte{})
	f.Add(encodeRanges(telemetry.Ranges{{First: 3, Last: 4}, {First: 7, Last: 9}}))
	f.Add([]byte{0x81, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := decodeRanges(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decodeRanges(%x): %v, not ErrCorrupt", b, err)
			}
			return
		}
		if !rs.Valid() {
			t.Fatalf("decodeRanges(%x) = %v, not canonical", b, rs)
		}
		if again := encodeRanges(rs); !bytes.Equal(again, b) {
			t.Fatalf("decodeRanges(%x) = %v, which encodes as %x", b, rs, again)
		}
	})
}

func TestHourOf(t *testing.T) {
	for _, tc := range []struct {
		at     time.Time
		hour   time.Time
		minute uint
	}{
		{t0, t0, 0},
		{t0.Add(59*time.Minute + 59*time.Second), t0, 59},
		{t0.Add(-time.Millisecond), t0.Add(-time.Hour), 59},
		{time.UnixMilli(-1), time.UnixMilli(-3600_000), 59},
		{time.UnixMilli(-3600_000), time.UnixMilli(-3600_000), 0},
		{time.Time{}, time.Time{}, 0},
	} {
		hour, minute := hourOf(tc.at.UnixMilli())
		if hour != tc.hour.UnixMilli() || minute != tc.minute {
			t.Errorf("hourOf(%v) = %v, %d; want %v, %d", tc.at, time.UnixMilli(hour).UTC(), minute, tc.hour, tc.minute)
		}
	}
}
