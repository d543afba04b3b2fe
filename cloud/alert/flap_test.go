package alert_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/alert"
	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/cloud/rules"
	"github.com/xiuhua/xiuhua/cloud/store"
)

// flapEnv is a manager with FlapOpens 3 and FlapWindow 1 h; each step
// happens at event time t1 + m minutes and at the same offset on the
// collector's clock.
func flapEnv(t *testing.T) *env {
	e := newEnv(t)
	e.opts.FlapOpens, e.opts.FlapWindow = 3, time.Hour
	e.m = e.manager(e.db)
	return e
}

func at(m int) time.Time { return t1.Add(time.Duration(m) * time.Minute) }

func (e *env) step(tr rules.Transition) {
	e.t.Helper()
	e.clock.set(raised.Add(tr.Time.Sub(t1)))
	e.apply(tr)
}

func TestFlapSuppression(t *testing.T) {
	e := flapEnv(t)
	var ids []string
	for i, m := range []int{0, 10, 20} {
		e.step(opened("dust", at(m), float64(80+i)))
		e.step(cleared("dust", at(m+5), 50))
		ids = append(ids, idOf("dust", at(m)))
	}
	if all := e.stored(); len(all) != 3 {
		t.Fatalf("stored %d alerts after three openings, want 3", len(all))
	}
	third := e.alert(ids[2])
	var want []string
	for _, id := range ids {
		want = append(want, id+":alert.opened:0:A", id+":alert.resolved:A")
	}
	same(t, "keys", keys(e.out.take()), want)

	// The fourth opening within the hour re-opens the third alert and is
	// told once, as a summary.
	e.step(opened("dust", at(30), 83.456))
	folded := third
	folded.Flaps, folded.State, folded.Resolved, folded.ResolvedBy, folded.Reopened = 1, store.Open, nil, "", ptr(at(30).UTC())
	folded.Value = 83.46
	folded.Message = "PM2.5 hourly mean: site-7/dust pm2_5 mean over 1h is 83.46 ug/m3, above 75 (12 readings)"
	same(t, "the third alert re-opened", e.alert(ids[2]), folded)
	same(t, "Active", e.m.Active(), []store.Alert{folded})
	e.sent(msg(ids[2]+":alert.flapping:1:A", "alert.flapping", folded, "A",
		"flapping: opened 4 times within 1h; further openings are folded into this alert"))
	if all := e.stored(); len(all) != 3 {
		t.Fatalf("stored %d alerts after the fold, want 3", len(all))
	}

	// It clears again: the office, told it was open again, is told it
	// resolved again, under a key of its own (the first resolution's key
	// would be dropped by the queue as already carried).
	e.step(cleared("dust", at(35), 51))
	same(t, "keys after clearing the folded alert", keys(e.out.take()), []string{ids[2] + ":alert.resolved:1:A"})
	if a := e.alert(ids[2]); a.State != store.Resolved || a.Flaps != 1 || !a.Resolved.Equal(at(35)) {
		t.Errorf("after clearing: %+v", a)
	}

	// A fifth opening folds too, and each of its changes is told.
	e.step(opened("dust", at(40), 84))
	if a := e.alert(ids[2]); a.State != store.Open || a.Flaps != 2 || a.Resolved != nil || a.Value != 84 || !a.Reopened.Equal(at(40)) {
		t.Errorf("after the fifth opening: %+v, want open with 2 flaps", a)
	}
	got := e.out.take()
	same(t, "keys after the fifth opening", keys(got), []string{ids[2] + ":alert.flapping:2:A"})
	if len(got) == 1 && got[0].Note != "flapping: re-opened 2 times since it was raised; each re-opening is folded into this alert" {
		t.Errorf("note of the second fold: %q", got[0].Note)
	}
	e.step(cleared("dust", at(45), 50))
	same(t, "keys after clearing again", keys(e.out.take()), []string{ids[2] + ":alert.resolved:2:A"})

	// An hour after the last opening, the next one raises a new alert.
	e.step(opened("dust", at(100), 90))
	id := idOf("dust", at(100))
	same(t, "keys after the window", keys(e.out.take()), []string{id + ":alert.opened:0:A"})
	if a := e.alert(id); a.Flaps != 0 || a.State != store.Open {
		t.Errorf("the new alert: %+v", a)
	}
	if all := e.stored(); len(all) != 4 {
		t.Fatalf("stored %d alerts, want 4", len(all))
	}
	if a := e.alert(ids[2]); a.State != store.Resolved || a.Flaps != 2 {
		t.Errorf("the folded alert: %+v, want resolved with 2 flaps", a)
	}
}

// Openings spread wider than the window are not flapping.
func TestFlapWindow(t *testing.T) {
	e := flapEnv(t)
	for _, m := range []int{0, 30, 60, 90, 120} {
		e.step(opened("dust", at(m), 80))
		e.step(cleared("dust", at(m+5), 50))
	}
	if all := e.stored(); len(all) != 5 {
		t.Fatalf("stored %d alerts, want 5", len(all))
	}
	for _, a := range e.stored() {
		if a.Flaps != 0 {
			t.Errorf("alert %s has %d flaps", a.ID, a.Flaps)
		}
	}
}

// Streams flap apart, and retrospective openings are not counted.
func TestFlapPerStream(t *testing.T) {
	e := flapEnv(t)
	for _, m := range []int{0, 10, 20} {
		e.step(opened("dust", at(m), 80))
		e.step(cleared("dust", at(m+5), 50))
	}
	for _, m := range []int{-300, -290, -280} {
		e.apply(retro(opened("dust-2", at(m), 80)), retro(cleared("dust-2", at(m+5), 50)))
	}
	e.out.take()
	e.step(opened("dust-2", at(30), 80))
	same(t, "keys", keys(e.out.take()), []string{idOf("dust-2", at(30)) + ":alert.opened:0:A"})
	e.step(opened("dust", at(30), 80))
	same(t, "keys", keys(e.out.take()), []string{idOf("dust", at(20)) + ":alert.flapping:1:A"})
}

// An opening that could not be told is not counted: applied again, it is
// raised, not folded.
func TestFlapFailedOpening(t *testing.T) {
	ctx := context.Background()
	e := flapEnv(t)
	e.step(opened("dust", at(0), 80))
	e.step(cleared("dust", at(5), 50))
	errQueue := errors.New("outbox full")
	e.out.fail(errQueue)
	e.clock.set(raised.Add(10 * time.Minute))
	for range 3 {
		if err := e.m.Apply(ctx, []rules.Transition{opened("dust", at(10), 81)}); !errors.Is(err, errQueue) {
			t.Fatalf("Apply = %v, want an error wrapping %v", err, errQueue)
		}
	}
	e.out.fail(nil)
	e.out.take()
	e.step(opened("dust", at(10), 81))
	same(t, "keys", keys(e.out.take()), []string{idOf("dust", at(10)) + ":alert.opened:0:A"})
	if all := e.stored(); len(all) != 2 {
		t.Fatalf("stored %d alerts, want 2", len(all))
	}
}

// Every message of a flapping alert has a key of its own, so that the
// durable queue delivers each: the office's last message always says
// what state the alert is in.
func TestFlapKeysDistinct(t *testing.T) {
	ctx := context.Background()
	e := flapEnv(t)
	for _, m := range []int{0, 5, 10} {
		e.step(opened("dust", at(m), 80))
		e.step(cleared("dust", at(m+2), 50))
	}
	for _, m := range []int{15, 20, 25} {
		e.step(opened("dust", at(m), 80))
		e.step(cleared("dust", at(m+2), 50))
	}
	// Through a real outbox: what the queue keeps is what is delivered.
	var enqueued []string
	for _, msg := range e.out.take() {
		if err := e.db.Enqueue(ctx, store.Notification{Channel: "duty", Key: msg.Key, Created: raised}); err != nil {
			t.Fatal(err)
		}
		enqueued = append(enqueued, msg.Key)
	}
	ns, err := e.db.Notifications(ctx, "duty", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != len(enqueued) || len(ns) != 12 {
		t.Errorf("the queue holds %d messages of the %d told, want 12: %q", len(ns), len(enqueued), enqueued)
	}
	third := idOf("dust", at(10))
	same(t, "keys of the folded alert", enqueued[6:], []string{
		third + ":alert.flapping:1:A", third + ":alert.resolved:1:A",
		third + ":alert.flapping:2:A", third + ":alert.resolved:2:A",
		third + ":alert.flapping:3:A", third + ":alert.resolved:3:A",
	})
}

// A re-opening keeps the acknowledgement, so the alert is not escalated
// again and the acknowledgement is told once; offices the alert was
// escalated to hear of the re-opening and the resolution.
func TestFlapAcknowledgedEscalated(t *testing.T) {
	ctx := context.Background()
	e := flapEnv(t)
	for _, m := range []int{0, 5} {
		e.step(opened("dust", at(m), 80))
		e.step(cleared("dust", at(m+2), 50))
	}
	e.step(opened("dust", at(10), 80))
	id := idOf("dust", at(10))
	e.tick(raised.Add(26 * time.Minute)) // 16 minutes unacknowledged: on to B
	if _, err := e.m.Ack(ctx, id, "Li Wei"); err != nil {
		t.Fatal(err)
	}
	e.step(cleared("dust", at(30), 50))
	e.out.take()

	e.step(opened("dust", at(35), 81))
	a := e.alert(id)
	if a.State != store.Acknowledged || a.AckedBy != "Li Wei" || a.Flaps != 1 || a.Escalation != 1 {
		t.Errorf("re-opened: %+v, want acknowledged by Li Wei with 1 flap and 1 escalation", a)
	}
	same(t, "keys of the re-opening", keys(e.out.take()), []string{id + ":alert.flapping:1:A", id + ":alert.flapping:1:B"})
	e.tick(raised.Add(5 * time.Hour)) // acknowledged: never escalated again
	e.sent()
	if _, err := e.m.Ack(ctx, id, "Zhao Min"); err != nil {
		t.Fatal(err)
	}
	e.sent()
	e.step(cleared("dust", at(40), 50))
	same(t, "keys of the resolution", keys(e.out.take()), []string{id + ":alert.resolved:1:A", id + ":alert.resolved:1:B"})
}

func TestKey(t *testing.T) {
	a := store.Alert{ID: "9c41", Flaps: 2, Escalation: 3}
	for _, tc := range []struct{ event, want string }{
		{notify.EventOpened, "9c41:alert.opened:2:B"},
		{notify.EventFlapping, "9c41:alert.flapping:2:B"},
		{notify.EventResolved, "9c41:alert.resolved:2:B"},
		{notify.EventEscalated, "9c41:alert.escalated:3:B"},
		{notify.EventAcknowledged, "9c41:alert.acknowledged:B"},
	} {
		if got := alert.Key(a, tc.event, "B"); got != tc.want {
			t.Errorf("Key(%s) = %q, want %q", tc.event, got, tc.want)
		}
	}
	a.Flaps = 0
	if got := alert.Key(a, notify.EventResolved, "A"); got != "9c41:alert.resolved:A" {
		t.Errorf("Key of the first resolution = %q", got)
	}
}
