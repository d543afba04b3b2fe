package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// alertFixture is four alerts, two of them opened at the same instant,
// and one with every field set.
func alertFixture() []store.Alert {
	a := func(id string, opened time.Duration) store.Alert {
		return store.Alert{
			ID: id, Rule: "dust-15min", Plan: "xuhui-2026", Device: "site-7", Sensor: "dust",
			Quantity: telemetry.PM10, Office: "city-operations", Severity: "warning", State: store.Open,
			Opened: t0.Add(opened), Value: 131.5, Limit: 120, Unit: "ug/m3", Message: "PM10 over the site limit",
		}
	}
	return []store.Alert{a("a1", time.Minute), a("a2", 3*time.Minute), a("a3", 2*time.Minute), a("a0", 2*time.Minute), fullAlert()}
}

// fullAlert has every field set, its times in another zone than UTC.
func fullAlert() store.Alert {
	cst := time.FixedZone("CST", 8*3600)
	at := func(d time.Duration) *time.Time {
		t := t0.Add(d).In(cst)
		return &t
	}
	return store.Alert{
		ID: "full", Rule: "level-rise", Kind: "rate", Plan: "flood-2026", Category: "water",
		Device: "river-2", Sensor: "level", Quantity: telemetry.WaterLevel, Site: "bridge 3", District: "minhang",
		Office: "water-office", Severity: "critical", State: store.Resolved,
		Opened: t0.Add(-time.Hour).In(cst), Resolved: at(-time.Minute), Raised: t0.Add(-time.Hour + 1500*time.Millisecond),
		Retrospective: true, AckedAt: at(-50 * time.Minute), AckedBy: "li.wei", ResolvedBy: "auto",
		Escalation: 2, Escalated: []string{"district-duty", "city-operations"}, EscalatedAt: at(-55 * time.Minute),
		Flaps: 3, Reopened: at(-45 * time.Minute), Value: -0.375, Limit: 0.25, Unit: "m/h", Message: "water rising 0.375 m/h",
	}
}

func putAlerts(t *testing.T, s store.Store, as ...store.Alert) {
	t.Helper()
	for _, a := range as {
		if err := s.PutAlert(context.Background(), a); err != nil {
			t.Fatalf("PutAlert(%s): %v", a.ID, err)
		}
	}
}

func alertOK(t *testing.T, s store.Store, id string) store.Alert {
	t.Helper()
	a, err := s.Alert(context.Background(), id)
	if err != nil {
		t.Fatalf("Alert(%s): %v", id, err)
	}
	return a
}

func testAlerts(t *testing.T, open opener) {
	s := open(t)
	ctx := context.Background()
	checkAlerts(t, "empty store", alertsOK(t, s, store.AlertQuery{}), nil)
	if _, err := s.Alert(ctx, "a1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Alert in an empty store: %v, want store.ErrNotFound", err)
	}
	as := alertFixture()
	putAlerts(t, s, as...)
	for _, a := range as {
		checkAlerts(t, "Alert("+a.ID+")", []store.Alert{alertOK(t, s, a.ID)}, []store.Alert{a})
	}
	for _, id := range []string{"a", "a10", "A1", ""} {
		if _, err := s.Alert(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Alert(%q): %v, want store.ErrNotFound", id, err)
		}
	}
	// Newest opened first, a tie by id.
	checkAlerts(t, "Alerts", alertsOK(t, s, store.AlertQuery{}), []store.Alert{as[1], as[3], as[2], as[0], as[4]})

	// A replace is whole: fields the new alert leaves empty are cleared.
	acked := as[0]
	acked.State, acked.AckedAt, acked.AckedBy = store.Acknowledged, new(t0.Add(5*time.Minute)), "zhang.min"
	full := fullAlert()
	reopened := store.Alert{ID: full.ID, Rule: full.Rule, Plan: full.Plan, Device: full.Device, Sensor: full.Sensor,
		Quantity: full.Quantity, Office: full.Office, Severity: "warning", State: store.Open, Opened: t0.Add(4 * time.Minute), Value: 0.5}
	putAlerts(t, s, acked, reopened)
	checkAlerts(t, "replaced", []store.Alert{alertOK(t, s, acked.ID), alertOK(t, s, full.ID)}, []store.Alert{acked, reopened})
	checkAlerts(t, "Alerts after replacing", alertsOK(t, s, store.AlertQuery{}), []store.Alert{reopened, as[1], as[3], as[2], acked})
	checkAlerts(t, "open after replacing", alertsOK(t, s, store.AlertQuery{State: store.Open}), []store.Alert{reopened, as[1], as[3], as[2]})

	if err := s.PutAlert(ctx, store.Alert{Opened: t0}); err == nil {
		t.Error("PutAlert with an empty id succeeded")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Alerts(cctx, store.AlertQuery{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Alerts with a cancelled context: %v, want context.Canceled", err)
	}
}

// queryFixture is testAlertQuery's alerts, by id. Newest first: w2, w1,
// d3, then d2 and s1 (opened at the same instant), d1, e1.
func queryFixture() map[string]store.Alert {
	a := func(id, state, office, device, plan, category, severity string, opened time.Duration, escalated ...string) store.Alert {
		return store.Alert{ID: id, Rule: "r-" + id, Plan: plan, Category: category, Device: device, Sensor: "s",
			Quantity: telemetry.PM10, Office: office, Severity: severity, State: state, Opened: t0.Add(opened), Escalated: escalated}
	}
	m := time.Minute
	as := []store.Alert{
		a("d1", store.Open, "xuhui", "site7", "dust2026", "dust", "warning", m),
		a("d2", store.Acknowledged, "xuhui", "site7", "dust2026", "dust", "critical", 2*m, "city"),
		a("d3", store.Resolved, "xuhui", "site8", "dust2026", "dust", "warning", 3*m, "city", "province"),
		a("w1", store.Open, "water", "river1", "flood", "water", "critical", 4*m),
		a("w2", store.Resolved, "water", "river1", "flood", "water", "warning", 5*m),
		a("s1", store.Open, "city", "site8", "sensors", "sensor", "info", 2*m),
		a("e1", store.Acknowledged, "lift", "lift3", "lifts", "elevator", "critical", -time.Hour, "xuhui"),
	}
	out := map[string]store.Alert{}
	for _, a := range as {
		out[a.ID] = a
	}
	return out
}

func testAlertQuery(t *testing.T, open opener) {
	s := open(t)
	fixture := queryFixture()
	for _, id := range []string{"e1", "s1", "w2", "d1", "w1", "d3", "d2"} {
		putAlerts(t, s, fixture[id])
	}
	ms, m := time.Millisecond, time.Minute
	every := []string{"w2", "w1", "d3", "d2", "s1", "d1", "e1"}
	tests := []struct {
		name string
		q    store.AlertQuery
		want []string
	}{
		{"no filter", store.AlertQuery{}, every},
		{"open", store.AlertQuery{State: store.Open}, []string{"w1", "s1", "d1"}},
		{"acknowledged", store.AlertQuery{State: store.Acknowledged}, []string{"d2", "e1"}},
		{"resolved", store.AlertQuery{State: store.Resolved}, []string{"w2", "d3"}},
		{"active", store.AlertQuery{Active: true}, []string{"w1", "d2", "s1", "d1", "e1"}},
		{"active and resolved", store.AlertQuery{Active: true, State: store.Resolved}, nil},
		{"active and acknowledged", store.AlertQuery{Active: true, State: store.Acknowledged}, []string{"d2", "e1"}},
		{"office, and alerts escalated to it", store.AlertQuery{Office: "xuhui"}, []string{"d3", "d2", "d1", "e1"}},
		{"office reached by escalation only", store.AlertQuery{Office: "province"}, []string{"d3"}},
		{"office of its own and by escalation", store.AlertQuery{Office: "city"}, []string{"d3", "d2", "s1"}},
		{"office that has none", store.AlertQuery{Office: "nobody"}, nil},
		{"office prefix is not the office", store.AlertQuery{Office: "xu"}, nil},
		{"device", store.AlertQuery{Device: "site8"}, []string{"d3", "s1"}},
		{"plan", store.AlertQuery{Plan: "flood"}, []string{"w2", "w1"}},
		{"category", store.AlertQuery{Category: "dust"}, []string{"d3", "d2", "d1"}},
		{"severity", store.AlertQuery{Severity: "critical"}, []string{"w1", "d2", "e1"}},
		{"from is inclusive", store.AlertQuery{From: t0.Add(2 * m)}, []string{"w2", "w1", "d3", "d2", "s1"}},
		{"from just after", store.AlertQuery{From: t0.Add(2*m + ms)}, []string{"w2", "w1", "d3"}},
		{"to is exclusive", store.AlertQuery{To: t0.Add(2 * m)}, []string{"d1", "e1"}},
		{"to just after", store.AlertQuery{To: t0.Add(2*m + ms)}, []string{"d2", "s1", "d1", "e1"}},
		{"from and to", store.AlertQuery{From: t0.Add(m), To: t0.Add(3 * m)}, []string{"d2", "s1", "d1"}},
		{"empty range", store.AlertQuery{From: t0.Add(2 * m), To: t0.Add(2 * m)}, nil},
		{"from after to", store.AlertQuery{From: t0.Add(3 * m), To: t0.Add(m)}, nil},
		{"limit", store.AlertQuery{Limit: 3}, []string{"w2", "w1", "d3"}},
		{"limit inside a tie", store.AlertQuery{From: t0.Add(2 * m), To: t0.Add(3 * m), Limit: 1}, []string{"d2"}},
		{"limit after filtering", store.AlertQuery{Office: "xuhui", Limit: 2}, []string{"d3", "d2"}},
		{"limit above the count", store.AlertQuery{Limit: 100}, every},
		{"negative limit", store.AlertQuery{Limit: -1}, every},
		{"office and active", store.AlertQuery{Office: "city", Active: true}, []string{"d2", "s1"}},
		{"category and severity", store.AlertQuery{Category: "dust", Severity: "warning"}, []string{"d3", "d1"}},
		{"device and state", store.AlertQuery{Device: "site7", State: store.Acknowledged}, []string{"d2"}},
		{"every filter", store.AlertQuery{State: store.Acknowledged, Office: "city", Device: "site7", Plan: "dust2026", Category: "dust",
			Severity: "critical", Active: true, From: t0.Add(2 * m), To: t0.Add(2*m + ms), Limit: 1}, []string{"d2"}},
	}
	for _, tc := range tests {
		want := make([]store.Alert, len(tc.want))
		for i, id := range tc.want {
			want[i] = fixture[id]
			if !tc.q.Match(want[i]) {
				t.Fatalf("%s: the test is wrong: %+v does not match %s", tc.name, tc.q, id)
			}
		}
		checkAlerts(t, tc.name, alertsOK(t, s, tc.q), want)
	}

	// Filters see the replaced alert, not the first.
	d1 := fixture["d1"]
	d1.State, d1.Escalated, d1.Resolved = store.Resolved, []string{"province"}, new(t0.Add(9*m))
	putAlerts(t, s, d1)
	checkAlerts(t, "active after a replace", alertsOK(t, s, store.AlertQuery{Active: true, Office: "xuhui"}),
		[]store.Alert{fixture["d2"], fixture["e1"]})
	checkAlerts(t, "escalated after a replace", alertsOK(t, s, store.AlertQuery{Office: "province"}), []store.Alert{fixture["d3"], d1})
}

func checkAlerts(t *testing.T, what string, got, want []store.Alert) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d alerts %v, want %d %v", what, len(got), alertIDs(got), len(want), alertIDs(want))
		return
	}
	for i := range got {
		if !sameAlert(got[i], want[i]) {
			t.Errorf("%s: alert %d = %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

func alertIDs(as []store.Alert) []string {
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return ids
}

// sameAlert compares every field: times with Equal, an empty Escalated
// like a nil one.
func sameAlert(a, b store.Alert) bool {
	if !a.Opened.Equal(b.Opened) || !a.Raised.Equal(b.Raised) || !sameTime(a.Resolved, b.Resolved) ||
		!sameTime(a.AckedAt, b.AckedAt) || !sameTime(a.EscalatedAt, b.EscalatedAt) || !sameTime(a.Reopened, b.Reopened) ||
		!slices.Equal(a.Escalated, b.Escalated) {
		return false
	}
	for _, x := range []*store.Alert{&a, &b} {
		x.Opened, x.Raised, x.Resolved, x.AckedAt, x.EscalatedAt, x.Reopened, x.Escalated = time.Time{}, time.Time{}, nil, nil, nil, nil, nil
	}
	return reflect.DeepEqual(a, b)
}

func sameTime(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}
