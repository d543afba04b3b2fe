package bolt

import (
	"bytes"
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

func TestRollupHour(t *testing.T) {
	tests := []struct {
		ms     int64
		hour   int64
		minute int
	}{
		{0, 0, 0},
		{3_599_999, 0, 59},
		{3_600_000, 3600, 0},
		{3_660_000, 3600, 1},
		{-1, -3600, 59},
		{-3_600_000, -3600, 0},
		{-3_600_001, -7200, 59},
		{1772352000000 + 17*60_000 + 5, 1772352000, 17},
	}
	for _, tc := range tests {
		rs := rollupSums{}
		rs.add("d", "s", "q", tc.ms, rollupSum{count: 1})
		want := rollupStream{device: "d", sensor: "s", quantity: "q", hour: tc.hour}
		if sum, ok := rs[want]; !ok || len(rs) != 1 || sum.minutes != 1<<tc.minute {
			t.Errorf("ms %d: sums %v, want hour %d minute %d", tc.ms, rs, tc.hour, tc.minute)
		}
	}
}

func TestRollupRoundTrip(t *testing.T) {
	sums := []rollupSum{
		{count: 1, sum: -0.5, min: -0.5, max: -0.5, minutes: 1 << 59},
		{count: math.MaxUint64, sum: math.MaxFloat64, min: -math.MaxFloat64, max: math.Inf(1), minutes: math.MaxUint64},
	}
	for _, want := range sums {
		for _, hour := range []int64{0, -3600, 1772352000} {
			k := rollupKey("level", telemetry.WaterLevel, hour)
			got, err := decodeRollup(k, want.encode())
			if err != nil {
				t.Fatal(err)
			}
			w := store.Rollup{Sensor: "level", Quantity: telemetry.WaterLevel, Hour: time.Unix(hour, 0).UTC(),
				Count: want.count, Sum: want.sum, Min: want.min, Max: want.max, Minutes: want.minutes}
			if got != w {
				t.Errorf("round trip = %+v, want %+v", got, w)
			}
		}
	}
	good := rollupKey("s", "q", 0)
	for _, tc := range []struct {
		name string
		k, v []byte
	}{
		{"short value", good, make([]byte, rollupLen-1)},
		{"long value", good, make([]byte, rollupLen+1)},
		{"key without an hour", good[:len(good)-1], make([]byte, rollupLen)},
		{"key with a bad length", []byte{9, 'q'}, make([]byte, rollupLen)},
	} {
		if _, err := decodeRollup(tc.k, tc.v); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", tc.name, err)
		}
	}
}

// TestRollupKeyOrder checks that a stream's hours are one range in time
// order, even before 1970, and that a quantity's keys share a prefix that
// another quantity's do not. Sensors sort by length, then bytes: Rollups
// sorts its rows.
func TestRollupKeyOrder(t *testing.T) {
	hours := []int64{-7200, -3600, 0, 3600, 1772352000}
	var keys [][]byte
	for _, sensor := range []string{"a", "b", "ab"} {
		for _, h := range hours {
			keys = append(keys, rollupKey(sensor, "q", h))
		}
	}
	if !slices.IsSortedFunc(keys, bytes.Compare) {
		t.Errorf("keys are not in (sensor, hour) order: %x", keys)
	}
	prefix := appendString(nil, "q")
	for _, k := range keys {
		if !bytes.HasPrefix(k, prefix) {
			t.Errorf("key %x lacks its quantity's prefix %x", k, prefix)
		}
	}
	if other := rollupKey("a", "qq", 0); bytes.HasPrefix(other, prefix) {
		t.Errorf("quantity qq's key %x has quantity q's prefix %x", other, prefix)
	}
}

// TestRollupsEveryQuantity checks what the contract leaves open: an empty
// quantity selects every quantity, still ordered by device, sensor,
// quantity and hour.
func TestRollupsEveryQuantity(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	r := func(seq uint64, sensor string, q telemetry.Quantity, d time.Duration) telemetry.Record {
		return telemetry.Record{Seq: seq, Reading: telemetry.Reading{Sensor: sensor, Quantity: q, Value: 1, Time: at.Add(d)}}
	}
	b := telemetry.Batch{Device: "d", Records: []telemetry.Record{
		r(1, "dust", telemetry.PM2_5, time.Hour), r(2, "dust", telemetry.PM10, 0), r(3, "dust", telemetry.PM10, time.Hour), r(4, "air", telemetry.Humidity, 0),
	}}
	if _, err := db.Append(context.Background(), at.Add(time.Hour), b); err != nil {
		t.Fatal(err)
	}
	got, err := db.Rollups(context.Background(), store.RollupQuery{From: at, To: at.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range got {
		order = append(order, r.Sensor+"/"+string(r.Quantity)+"@"+r.Hour.Format("15"))
	}
	want := []string{"air/humidity@08", "dust/pm10@08", "dust/pm10@09", "dust/pm2_5@09"}
	if !slices.Equal(order, want) {
		t.Errorf("rollups of every quantity = %v, want %v", order, want)
	}
}

// TestNoteTimeOrder checks that due keys sort by time to the nanosecond,
// before 1970 too.
func TestNoteTimeOrder(t *testing.T) {
	base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	times := []time.Time{
		{}, time.Unix(-1, 0), time.Unix(-1, 999_999_999), time.Unix(0, 0), time.Unix(0, 1),
		base, base.Add(time.Nanosecond), base.Add(time.Millisecond), base.Add(time.Second),
	}
	for i := 1; i < len(times); i++ {
		a, b := appendNoteTime(nil, times[i-1]), appendNoteTime(nil, times[i])
		if len(a) != noteTimeLen || bytes.Compare(a, b) >= 0 {
			t.Errorf("%v encodes to %x, not before %v's %x", times[i-1], a, times[i], b)
		}
	}
}
