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

func alertFixture() []store.Alert {
	a := func(id string, opened time.Duration) store.Alert {
		return store.Alert{
			ID: id, Rule: "dust-15min", Plan: "xuhui-2026", Device: "site-7", Sensor: "dust",
			Quantity: telemetry.PM10, Office: "city-operations", Severity: "warning", State: store.Open,
			Opened: t0.Add(opened), Value: 131.5, Limit: 120, Unit: "ug/m3", Message: "PM10 over the site limit",
		}
	}
	return []store.Alert{a("a1", time.Minute), a("a2", 3*time.Minute), a("a3", 2*time.Minute), a("a0", 2*time.Minute)}
}

func testAlerts(t *testing.T, open opener) {
	s := open(t)
	ctx := context.Background()
	checkAlerts(t, alertsOK(t, s), nil)
	as := alertFixture()
	for _, a := range as {
		if err := s.PutAlert(ctx, a); err != nil {
			t.Fatalf("PutAlert(%s): %v", a.ID, err)
		}
	}
	// Newest opened first; the order of a tie is not checked.
	got := alertsOK(t, s)
	if len(got) != len(as) {
		t.Fatalf("%d alerts, want %d", len(got), len(as))
	}
	checkAlerts(t, got[:1], as[1:2])
	checkAlerts(t, got[3:], as[:1])

	resolved := as[0]
	resolved.State, resolved.Value = store.Resolved, 80
	at := t0.Add(10 * time.Minute)
	resolved.Resolved = &at
	if err := s.PutAlert(ctx, resolved); err != nil {
		t.Fatalf("PutAlert(replace): %v", err)
	}
	got = alertsOK(t, s)
	if len(got) != len(as) {
		t.Fatalf("after a replace, %d alerts, want %d", len(got), len(as))
	}
	checkAlerts(t, got[3:], []store.Alert{resolved})
	if err := s.PutAlert(ctx, store.Alert{Opened: t0}); err == nil {
		t.Error("PutAlert with an empty id succeeded")
	}
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
	errPut := s.PutAlert(ctx, alertFixture()[0])
	_, errAlerts := s.Alerts(ctx)
	for name, err := range map[string]error{
		"Append": errAppend, "Devices": errDevices, "Readings": errReadings, "Aggregates": errAggregates,
		"PutAlert": errPut, "Alerts": errAlerts,
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
	wantAlerts := alertsOK(t, s)
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
	checkAlerts(t, alertsOK(t, s), wantAlerts)
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
