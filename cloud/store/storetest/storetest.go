package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

type opener = func(t *testing.T) store.Store

// Run runs the conformance suite against the stores that open returns.
//
// open opens a store for test t and arranges for it to be closed when t
// ends (Close is idempotent, so the suite may close it first). Every new t
// gets an empty store; calling open again with the same t after closing
// the store it returned must give a store over the same data, which is how
// the suite checks persistence. Stores must flag future times with the
// default margin, store.DefaultMaxFuture.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(*testing.T, opener)
	}{
		{"AppendNew", testAppendNew},
		{"Duplicates", testDuplicates},
		{"Gaps", testGaps},
		{"SeveralDevices", testSeveralDevices},
		{"Invalid", testInvalid},
		{"LastSeen", testLastSeen},
		{"Readings", testReadings},
		{"Flags", testFlags},
		{"FutureTime", testFutureTime},
		{"Replayed", testReplayed},
		{"Condensed", testCondensed},
		{"Aggregates", testAggregates},
		{"Incarnations", testIncarnations},
		{"StaleIncarnation", testStaleIncarnation},
		{"Rollups", testRollups},
		{"RollupCondensed", testRollupCondensed},
		{"RollupIncarnations", testRollupIncarnations},
		{"Alerts", testAlerts},
		{"AlertQuery", testAlertQuery},
		{"Enqueue", testEnqueue},
		{"Due", testDue},
		{"Settle", testSettle},
		{"NotificationList", testNotificationList},
		{"NotificationReopen", testNotificationReopen},
		{"NotificationConcurrent", testNotificationConcurrent},
		{"Closed", testClosed},
		{"Reopen", testReopen},
		{"Concurrent", testConcurrent},
		{"Precision", testPrecision},
		{"DueNoLimit", testDueNoLimit},
		{"EnqueueDefaults", testEnqueueDefaults},
		{"RollupAnyQuantity", testRollupAnyQuantity},
		{"RollupOverlap", testRollupOverlap},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open) })
	}
}

// t0 is the suite's epoch. Times are whole milliseconds, as on the wire.
var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// rec is a record whose fields all follow from seq, so that tests can
// rebuild the record they expect.
func rec(seq uint64) telemetry.Record {
	return telemetry.Record{Seq: seq, Reading: telemetry.Reading{
		Sensor:   "level",
		Quantity: telemetry.WaterLevel,
		Value:    float64(seq) + 0.25,
		Time:     t0.Add(time.Duration(seq) * time.Second),
	}}
}

func recs(seqs ...uint64) []telemetry.Record {
	out := make([]telemetry.Record, len(seqs))
	for i, s := range seqs {
		out[i] = rec(s)
	}
	return out
}

// ranges builds a set from (first, last) pairs; with no pairs it is the
// empty, non-nil set that Device.Missing must be when complete.
func ranges(pairs ...uint64) telemetry.Ranges {
	rs := telemetry.Ranges{}
	for i := 0; i+1 < len(pairs); i += 2 {
		rs = append(rs, telemetry.Range{First: pairs[i], Last: pairs[i+1]})
	}
	return rs
}

func batch(device string, seqs ...uint64) telemetry.Batch {
	return telemetry.Batch{Device: device, Records: recs(seqs...)}
}

func appendOK(t *testing.T, s store.Store, arrived time.Time, batches ...telemetry.Batch) []store.AppendResult {
	t.Helper()
	res, err := s.Append(context.Background(), arrived, batches...)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if len(res) != len(batches) {
		t.Fatalf("Append returned %d results for %d batches", len(res), len(batches))
	}
	return res
}

func devicesOK(t *testing.T, s store.Store) []store.Device {
	t.Helper()
	ds, err := s.Devices(context.Background())
	if err != nil {
		t.Fatalf("Devices: %v", err)
	}
	for _, d := range ds {
		if d.Missing == nil {
			t.Errorf("device %s: Missing is nil; it must be empty, not nil", d.ID)
		}
	}
	return ds
}

func deviceOK(t *testing.T, s store.Store, id string) store.Device {
	t.Helper()
	for _, d := range devicesOK(t, s) {
		if d.ID == id {
			return d
		}
	}
	t.Fatalf("Devices does not list %s", id)
	return store.Device{}
}

func readingsOK(t *testing.T, s store.Store, q store.ReadingQuery) []telemetry.Record {
	t.Helper()
	rs, err := s.Readings(context.Background(), q)
	if err != nil {
		t.Fatalf("Readings(%+v): %v", q, err)
	}
	return rs
}

// all is a query for every reading the suite writes for device.
func all(device string) store.ReadingQuery {
	return store.ReadingQuery{Device: device, From: t0.Add(-time.Hour), To: t0.Add(24 * time.Hour)}
}

func alertsOK(t *testing.T, s store.Store, q store.AlertQuery) []store.Alert {
	t.Helper()
	as, err := s.Alerts(context.Background(), q)
	if err != nil {
		t.Fatalf("Alerts(%+v): %v", q, err)
	}
	return as
}

// Comparisons use time.Time.Equal: backends may return another location.

func checkResult(t *testing.T, what string, got, want store.AppendResult) {
	t.Helper()
	if got.Stored.String() != want.Stored.String() {
		t.Errorf("%s: Stored = %v, want %v", what, got.Stored, want.Stored)
	}
	if got.Duplicates != want.Duplicates {
		t.Errorf("%s: Duplicates = %d, want %d", what, got.Duplicates, want.Duplicates)
	}
	if got.Condensed != want.Condensed {
		t.Errorf("%s: Condensed = %d, want %d", what, got.Condensed, want.Condensed)
	}
	checkRecords(t, what+": New", got.New, want.New)
}

func checkRecords(t *testing.T, what string, got, want []telemetry.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d records %s, want %d %s", what, len(got), seqsOf(got), len(want), seqsOf(want))
		return
	}
	for i := range got {
		if !sameRecord(got[i], want[i]) {
			t.Errorf("%s: record %d = %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

func sameRecord(a, b telemetry.Record) bool {
	return a.Seq == b.Seq && a.Sensor == b.Sensor && a.Quantity == b.Quantity &&
		a.Value == b.Value && a.Time.Equal(b.Time) && a.Quality == b.Quality && a.Flags == b.Flags
}

func seqsOf(rs []telemetry.Record) string {
	seqs := make([]uint64, len(rs))
	for i, r := range rs {
		seqs[i] = r.Seq
	}
	return fmt.Sprint(seqs)
}

// checkDevice compares every field. A want.Incarnations of 0 stands for
// 1: every device that has sent a batch has had one outbox at least.
func checkDevice(t *testing.T, got, want store.Device) {
	t.Helper()
	if want.Incarnations == 0 {
		want.Incarnations = 1
	}
	if got.ID != want.ID || !got.LastSeen.Equal(want.LastSeen) || got.SeqHigh != want.SeqHigh ||
		got.Missing.String() != want.Missing.String() || got.Received != want.Received || got.Duplicates != want.Duplicates ||
		got.Condensed != want.Condensed || got.Replayed != want.Replayed || got.FutureTime != want.FutureTime ||
		got.Incarnation != want.Incarnation || got.Incarnations != want.Incarnations ||
		got.PreviousReceived != want.PreviousReceived || got.StaleIncarnation != want.StaleIncarnation {
		t.Errorf("device = %s, want %s", fmtDevice(got), fmtDevice(want))
	}
}

func fmtDevice(d store.Device) string {
	return fmt.Sprintf("{%s last_seen=%s high=%d missing=%v received=%d duplicates=%d condensed=%d replayed=%d future_time=%d "+
		"incarnation=%d incarnations=%d previous_received=%d stale_incarnation=%d}",
		d.ID, d.LastSeen.UTC().Format(time.RFC3339Nano), d.SeqHigh, d.Missing, d.Received, d.Duplicates,
		d.Condensed, d.Replayed, d.FutureTime, d.Incarnation, d.Incarnations, d.PreviousReceived, d.StaleIncarnation)
}

func aggregatesOK(t *testing.T, s store.Store, q store.ReadingQuery) []telemetry.Aggregate {
	t.Helper()
	as, err := s.Aggregates(context.Background(), q)
	if err != nil {
		t.Fatalf("Aggregates(%+v): %v", q, err)
	}
	return as
}

func checkAggregates(t *testing.T, what string, got, want []telemetry.Aggregate) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d aggregates %+v, want %d %+v", what, len(got), got, len(want), want)
		return
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Minute.Equal(w.Minute) {
			t.Errorf("%s: aggregate %d = %+v, want %+v", what, i, g, w)
			continue
		}
		g.Minute, w.Minute = time.Time{}, time.Time{}
		if g != w {
			t.Errorf("%s: aggregate %d = %+v, want %+v", what, i, got[i], want[i])
		}
	}
}
