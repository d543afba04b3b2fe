package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// clockRecords are records whose times do not follow their sequence
// numbers, as when a device's clock is stepped back, with two of them in
// the same millisecond.
func clockRecords() []telemetry.Record {
	at := map[uint64]time.Duration{
		1: 3 * time.Second,
		2: 1*time.Second + 250*time.Millisecond,
		3: 1*time.Second + 250*time.Millisecond,
		4: 2 * time.Second,
		5: 5 * time.Second,
		6: -1 * time.Second,
	}
	rs := recs(1, 2, 3, 4, 5, 6)
	for i := range rs {
		rs[i].Time = t0.Add(at[rs[i].Seq])
	}
	return rs
}

func testReadings(t *testing.T, open opener) {
	s := open(t)
	const dev = "clock"
	appendOK(t, s, t0, telemetry.Batch{Device: dev, Records: clockRecords()}, batch("other", 1, 2, 3))
	byseq := map[uint64]telemetry.Record{}
	for _, r := range clockRecords() {
		byseq[r.Seq] = r
	}
	ms := time.Millisecond
	tests := []struct {
		name     string
		from, to time.Time
		limit    int
		want     []uint64
	}{
		{"all, by time then seq", t0.Add(-time.Hour), t0.Add(time.Hour), 0, []uint64{6, 2, 3, 4, 1, 5}},
		{"from is inclusive", t0.Add(1250 * ms), t0.Add(time.Hour), 0, []uint64{2, 3, 4, 1, 5}},
		{"from just after", t0.Add(1250*ms + 1), t0.Add(time.Hour), 0, []uint64{4, 1, 5}},
		{"to is exclusive", t0.Add(-time.Hour), t0.Add(3 * time.Second), 0, []uint64{6, 2, 3, 4}},
		{"to just after", t0.Add(-time.Hour), t0.Add(3*time.Second + 1), 0, []uint64{6, 2, 3, 4, 1}},
		{"one millisecond", t0.Add(1250 * ms), t0.Add(1251 * ms), 0, []uint64{2, 3}},
		{"limit", t0.Add(-time.Hour), t0.Add(time.Hour), 3, []uint64{6, 2, 3}},
		{"limit inside a millisecond", t0.Add(1250 * ms), t0.Add(time.Hour), 1, []uint64{2}},
		{"limit above the count", t0.Add(-time.Hour), t0.Add(time.Hour), store.MaxLimit, []uint64{6, 2, 3, 4, 1, 5}},
		{"empty range", t0.Add(1250 * ms), t0.Add(1250 * ms), 0, nil},
		{"from after to", t0.Add(time.Hour), t0.Add(-time.Hour), 0, nil},
		{"before everything", t0.Add(-2 * time.Hour), t0.Add(-time.Hour), 0, nil},
	}
	for _, tc := range tests {
		got := readingsOK(t, s, store.ReadingQuery{Device: dev, From: tc.from, To: tc.to, Limit: tc.limit})
		want := make([]telemetry.Record, len(tc.want))
		for i, q := range tc.want {
			want[i] = byseq[q]
		}
		checkRecords(t, tc.name, got, want)
	}
	checkRecords(t, "unknown device", readingsOK(t, s, all("nobody")), nil)
}

func testClosed(t *testing.T, open opener) {
	s := open(t)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	_, errAppend := s.Append(ctx, t0, batch("x", 1))
	_, errDevices := s.Devices(ctx)
	_, errReadings := s.Readings(ctx, all("x"))
	_, errAggregates := s.Aggregates(ctx, all("x"))
	_, errRollups := s.Rollups(ctx, store.RollupQuery{Quantity: telemetry.WaterLevel, From: t0, To: t0.Add(time.Hour)})
	errPut := s.PutAlert(ctx, alertFixture()[0])
	_, errAlert := s.Alert(ctx, "a1")
	_, errAlerts := s.Alerts(ctx, store.AlertQuery{})
	errEnqueue := s.Enqueue(ctx, note("webhook", "k1", 0))
	_, errDue := s.Due(ctx, t0, 10)
	errSettle := s.Settle(ctx, "webhook", "k1", store.Delivered, t0, time.Time{}, "")
	_, errNotifications := s.Notifications(ctx, "", "")
	for name, err := range map[string]error{
		"Append": errAppend, "Devices": errDevices, "Readings": errReadings, "Aggregates": errAggregates,
		"Rollups": errRollups, "PutAlert": errPut, "Alert": errAlert, "Alerts": errAlerts,
		"Enqueue": errEnqueue, "Due": errDue, "Settle": errSettle, "Notifications": errNotifications,
	} {
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: %v, want store.ErrClosed", name, err)
		}
	}
}

func testReopen(t *testing.T, open opener) {
	s := open(t)
	arrived := t0.Add(time.Hour)
	appendOK(t, s, arrived, batch("keep", 1, 2, 5), batch("keep", 2), batch("other", 1))
	// Flags, counts and aggregates survive too.
	ahead := flagged(4, telemetry.ClockCorrected)
	ahead.Time = arrived.Add(time.Hour)
	more := telemetry.Batch{Device: "more", Replay: true, Records: []telemetry.Record{flagged(3, telemetry.ClockUnsynced), ahead},
		Condensed: []telemetry.Condensed{block(1, 2, aggA1)}}
	appendOK(t, s, arrived, more)
	as := alertFixture()
	for _, a := range as {
		if err := s.PutAlert(context.Background(), a); err != nil {
			t.Fatalf("PutAlert: %v", err)
		}
	}
	wantDevices := devicesOK(t, s)
	wantAlerts := alertsOK(t, s, store.AlertQuery{})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t)
	got := devicesOK(t, s)
	if len(got) != len(wantDevices) {
		t.Fatalf("after reopen, %d devices, want %d", len(got), len(wantDevices))
	}
	for i := range got {
		checkDevice(t, got[i], wantDevices[i])
	}
	checkDevice(t, got[0], store.Device{
		ID: "keep", LastSeen: arrived, SeqHigh: 5, Missing: ranges(3, 4), Received: 3, Duplicates: 1,
	})
	checkRecords(t, "after reopen", readingsOK(t, s, all("keep")), recs(1, 2, 5))
	checkAlerts(t, "after reopen", alertsOK(t, s, store.AlertQuery{}), wantAlerts)
	ahead.Flags |= telemetry.FutureTime
	checkRecords(t, "flags after reopen", readingsOK(t, s, all("more")), []telemetry.Record{flagged(3, telemetry.ClockUnsynced), ahead})
	checkAggregates(t, "after reopen", aggregatesOK(t, s, all("more")), []telemetry.Aggregate{aggA1})
	checkDevice(t, got[1], store.Device{
		ID: "more", LastSeen: arrived, SeqHigh: 4, Missing: ranges(), Received: 4, Condensed: 2, Replayed: 2, FutureTime: 1,
	})
	res := appendOK(t, s, arrived, more)
	checkResult(t, "block after reopen", res[0], store.AppendResult{Stored: ranges(1, 4), Duplicates: 4})

	// The received set survived: old records are duplicates, gaps fill.
	res = appendOK(t, s, arrived, batch("keep", 2, 3, 4, 5))
	checkResult(t, "append after reopen", res[0], store.AppendResult{Stored: telemetry.RangesOf(2, 3, 4, 5), New: recs(3, 4), Duplicates: 2})
	checkDevice(t, deviceOK(t, s, "keep"), store.Device{
		ID: "keep", LastSeen: arrived, SeqHigh: 5, Missing: ranges(), Received: 5, Duplicates: 3,
	})
}
