package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// The tests here pin the corners of the contract that a backend could
// otherwise settle its own way: time precision, Due's limit, Enqueue's
// defaults, Rollups without a quantity, and rollups of a condensed block
// that overlaps raw records.

// within reports whether got is given to the millisecond: no later than
// given and not before its millisecond.
func within(got, given time.Time) bool {
	return !got.After(given) && !got.Before(given.Truncate(time.Millisecond))
}

// testPrecision: records are kept to their millisecond, alerts exactly,
// LastSeen and notification times at least to the millisecond.
func testPrecision(t *testing.T, open opener) {
	s := open(t)
	const µs = time.Microsecond
	r := rec(1)
	r.Time = t0.Add(2*time.Millisecond + 700*µs + 5) // 08:00:00.002700005
	arrived := t0.Add(time.Minute + 3*time.Millisecond + 456*µs + 789)
	res := appendOK(t, s, arrived, telemetry.Batch{Device: "fine", Records: []telemetry.Record{r}})
	want := r
	want.Time = t0.Add(2 * time.Millisecond)
	// New is what the rules see: the record as stored, not as sent.
	checkRecords(t, "New", res[0].New, []telemetry.Record{want})
	checkRecords(t, "Readings", readingsOK(t, s, all("fine")), []telemetry.Record{want})
	// Bounds compare exactly with the stored millisecond.
	for _, tc := range []struct {
		name     string
		from, to time.Duration
		want     []telemetry.Record
	}{
		{"from within the millisecond before", 1*time.Millisecond + 999*µs, time.Hour, []telemetry.Record{want}},
		{"from a nanosecond after", 2*time.Millisecond + 1, time.Hour, nil},
		{"to at the millisecond", 0, 2 * time.Millisecond, nil},
		{"to a nanosecond after", 0, 2*time.Millisecond + 1, []telemetry.Record{want}},
	} {
		got := readingsOK(t, s, store.ReadingQuery{Device: "fine", From: t0.Add(tc.from), To: t0.Add(tc.to)})
		checkRecords(t, tc.name, got, tc.want)
	}
	if d := deviceOK(t, s, "fine"); !within(d.LastSeen, arrived) {
		t.Errorf("LastSeen = %s, want %s to the millisecond at least", d.LastSeen.UTC().Format(time.RFC3339Nano),
			arrived.Format(time.RFC3339Nano))
	}

	// Alerts keep every time to the nanosecond, and bound Opened exactly.
	a := fullAlert()
	a.ID, a.Opened = "ns", t0.Add(5*time.Millisecond+1)
	putAlerts(t, s, a)
	checkAlerts(t, "alert", []store.Alert{alertOK(t, s, "ns")}, []store.Alert{a})
	checkAlerts(t, "opened after from", alertsOK(t, s, store.AlertQuery{From: a.Opened}), []store.Alert{a})
	checkAlerts(t, "opened before from", alertsOK(t, s, store.AlertQuery{From: a.Opened.Add(1)}), nil)
	checkAlerts(t, "opened before to", alertsOK(t, s, store.AlertQuery{To: a.Opened.Add(1)}), []store.Alert{a})

	// Notifications: to the millisecond at least.
	n := note("webhook", "fine", 0)
	n.Created = t0.Add(time.Millisecond + 234*µs + 567)
	n.NextAttempt = t0.Add(time.Second + 999*µs + 999)
	enqueueOK(t, s, n)
	got := notificationsOK(t, s, "", "")
	if len(got) != 1 || !within(got[0].Created, n.Created) || !within(got[0].NextAttempt, n.NextAttempt) {
		t.Fatalf("stored %d notifications %v, want one with the times given to the millisecond", len(got), noteKeys(got))
	}
	done := t0.Add(time.Minute + 7*µs + 1)
	settleOK(t, s, "webhook", "fine", store.Delivered, done, time.Time{}, "")
	if got := notificationsOK(t, s, "", ""); !within(got[0].Done, done) {
		t.Errorf("Done = %s, want %s to the millisecond at least", got[0].Done.UTC().Format(time.RFC3339Nano), done.Format(time.RFC3339Nano))
	}
}

// testDueNoLimit: a limit of 0 or less means no limit.
func testDueNoLimit(t *testing.T, open opener) {
	s := open(t)
	var want []store.Notification
	for i, k := range []string{"k1", "k2", "k3"} {
		n := note("webhook", k, time.Duration(i)*time.Second)
		enqueueOK(t, s, n)
		want = append(want, stored(n))
	}
	for _, limit := range []int{0, -1} {
		checkNotifications(t, fmt.Sprint("limit ", limit), dueOK(t, s, t0.Add(time.Hour), limit), want)
	}
	checkNotifications(t, "limit 0, nothing due", dueOK(t, s, t0.Add(-time.Second), 0), nil)
}

// testEnqueueDefaults: a zero NextAttempt means Created; a zero Created
// is kept as it is, and such a message is due at once.
func testEnqueueDefaults(t *testing.T, open opener) {
	s := open(t)
	n := note("webhook", "created", time.Minute)
	zero := store.Notification{Channel: "webhook", Key: "zero", Body: []byte("z")}
	enqueueOK(t, s, n, zero)
	// Oldest created first: the zero time.
	got := notificationsOK(t, s, "webhook", "")
	checkNotifications(t, "stored", got, []store.Notification{stored(zero), stored(n)})
	if len(got) == 2 && (!got[0].Created.Equal(time.Time{}) || !got[0].NextAttempt.Equal(time.Time{}) || !got[1].NextAttempt.Equal(n.Created)) {
		t.Errorf("times: %s and %s; want zero times, then NextAttempt = Created", fmtNotification(got[0]), fmtNotification(got[1]))
	}
	checkNotifications(t, "due before the created one", dueOK(t, s, t0, 10), []store.Notification{stored(zero)})
	checkNotifications(t, "due at Created", dueOK(t, s, n.Created, 10), []store.Notification{stored(zero), stored(n)})
}

// testRollupAnyQuantity: an empty Quantity selects every quantity, in
// the usual order: by device, sensor, quantity and hour.
func testRollupAnyQuantity(t *testing.T, open opener) {
	s := open(t)
	north, south, w := rollupFixture()
	appendOK(t, s, t0.Add(90*time.Minute), north, south)
	var want []store.Rollup
	for _, k := range []string{"north pm10 08", "north pm2.5 08", "north gauge 08", "north level 07", "north level 08",
		"north level 09", "south level 08"} {
		want = append(want, w[k])
	}
	checkRollups(t, "every quantity", rollupsOK(t, s, store.RollupQuery{From: hour(-5), To: hour(5)}), want)
	checkRollups(t, "every quantity of north's 08:00", rollupsOK(t, s, store.RollupQuery{Devices: []string{"north"}, From: hour(0), To: hour(1)}),
		[]store.Rollup{w["north pm10 08"], w["north pm2.5 08"], w["north gauge 08"], w["north level 08"]})
}

// testRollupOverlap: a condensed block whose range overlaps raw records
// stored before adds all of its aggregates to the rollups, as it keeps
// them all in Aggregates, so the overlapping readings count twice there;
// a raw record inside a block stored before is a duplicate and adds
// nothing.
func testRollupOverlap(t *testing.T, open opener) {
	s := open(t)
	lvl := telemetry.WaterLevel
	// Records 1 to 3 in minute 0, then a block 2-5 whose aggregate
	// stands for 2, 3, 4 and 5 (mean 2.25 × 4).
	appendOK(t, s, t0, telemetry.Batch{Device: "overlap", Records: []telemetry.Record{
		reading(1, "level", lvl, 1, 0), reading(2, "level", lvl, 2, time.Second), reading(3, "level", lvl, 3, 2*time.Second),
	}})
	res := appendOK(t, s, t0, telemetry.Batch{Device: "overlap", Condensed: []telemetry.Condensed{block(2, 5, agg("level", lvl, 0, 4))}})
	checkResult(t, "the overlapping block", res[0], store.AppendResult{Stored: ranges(2, 5), Condensed: 2, Duplicates: 2})
	q := store.RollupQuery{Devices: []string{"overlap"}, Quantity: lvl, From: hour(0), To: hour(1)}
	want := store.Rollup{Device: "overlap", Sensor: "level", Quantity: lvl, Hour: hour(0),
		Count: 3 + 4, Sum: 1 + 2 + 3 + 4*4.25, Min: 1, Max: 5.5, Minutes: minutes(0)}
	checkRollups(t, "raw, then a block over them", rollupsOK(t, s, q), []store.Rollup{want})

	// The other order: a raw record of a stored block's range is a
	// duplicate.
	res = appendOK(t, s, t0, telemetry.Batch{Device: "overlap", Records: []telemetry.Record{reading(4, "level", lvl, 100, 3*time.Second)}})
	checkResult(t, "a record of the block", res[0], store.AppendResult{Stored: ranges(4, 4), Duplicates: 1})
	checkRollups(t, "a block, then raw in it", rollupsOK(t, s, q), []store.Rollup{want})
}
