package alert_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/alert"
	"github.com/xiuhua/xiuhua/cloud/rules"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// A Cleared resolves the alert at its event time and tells its office and
// every office it was escalated to.
func TestAutoResolve(t *testing.T) {
	e := newEnv(t)
	id := e.openDust()
	e.tick(raised.Add(15 * time.Minute)) // escalated to B
	e.out.take()

	t2 := t1.Add(75 * time.Minute)
	e.clock.set(raised.Add(80 * time.Minute))
	e.apply(cleared("dust", t2, 55.5))

	want := wantOpen()
	want.Escalation, want.Escalated, want.EscalatedAt = 1, []string{"B"}, ptr(raised.Add(15*time.Minute))
	want.State, want.Resolved, want.ResolvedBy = store.Resolved, ptr(time.Date(2026, 7, 14, 10, 20, 0, 250_000_000, time.UTC)), "auto"
	want.Value = 55.5
	want.Message = "PM2.5 hourly mean: site-7/dust pm2_5 mean over 1h is back to 55.5 ug/m3 (clears at 60)"
	e.holds("after Cleared", want,
		msg(id+":alert.resolved:A", "alert.resolved", want, "A", ""),
		msg(id+":alert.resolved:B", "alert.resolved", want, "B", ""),
	)
	if n := len(e.m.Active()); n != 0 {
		t.Errorf("%d alerts active after Cleared, want 0", n)
	}

	// Cleared again, or for a stream with no alert: nothing.
	e.apply(cleared("dust", t2.Add(time.Minute), 40), cleared("dust-2", t2, 40))
	e.holds("after more Cleared", want)

	// The stream opening again raises a new alert.
	t3 := t2.Add(10 * time.Minute)
	e.apply(opened("dust", t3, 99))
	got := e.out.take()
	same(t, "keys", keys(got), []string{idOf("dust", t3) + ":alert.opened:0:A"})
}

// A retrospective Cleared belongs to an episode in late data: it does not
// resolve the stream's live alert.
func TestRetrospectiveClearedLeavesLiveAlert(t *testing.T) {
	e := newEnv(t)
	e.openDust()
	e.apply(retro(opened("dust", t1.Add(-3*time.Hour), 90)), retro(cleared("dust", t1.Add(-2*time.Hour), 40)))
	e.holds("after a retrospective Cleared", wantOpen())
}

func TestAck(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.openDust()

	ackAt := raised.Add(7 * time.Minute)
	e.clock.set(ackAt)
	want := wantOpen()
	want.State, want.AckedAt, want.AckedBy = store.Acknowledged, ptr(ackAt), "Wang Fang"
	e.act("Ack", e.m.Ack, id, "Wang Fang", want, msg(id+":alert.acknowledged:A", "alert.acknowledged", want, "A", ""))
	same(t, "Active", e.m.Active(), []store.Alert{want})

	// Twice: not an error, no message, the first acknowledgement stands.
	e.clock.set(ackAt.Add(time.Minute))
	e.act("second Ack", e.m.Ack, id, "Li Wei", want)

	// An acknowledged alert still resolves when its rule clears.
	t2 := t1.Add(time.Hour)
	e.apply(cleared("dust", t2, 50))
	resolved := want
	resolved.State, resolved.Resolved, resolved.ResolvedBy, resolved.Value = store.Resolved, ptr(t2.UTC()), "auto", 50
	resolved.Message = "PM2.5 hourly mean: site-7/dust pm2_5 mean over 1h is back to 50 ug/m3 (clears at 60)"
	e.sent(msg(id+":alert.resolved:A", "alert.resolved", resolved, "A", ""))

	// Resolved: ErrResolved, and nothing changes.
	got, err := e.m.Ack(ctx, id, "Li Wei")
	if !errors.Is(err, alert.ErrResolved) {
		t.Fatalf("Ack of a resolved alert = %v, want ErrResolved", err)
	}
	same(t, "Ack of a resolved alert", got, resolved)
	e.holds("after Ack of a resolved alert", resolved)

	if _, err := e.m.Ack(ctx, "0123456789abcdef0123", "Li Wei"); !errors.Is(err, store.ErrNotFound) || !errors.Is(err, alert.ErrNotFound) {
		t.Fatalf("Ack of an unknown alert = %v, want store.ErrNotFound", err)
	}
	e.sent()
}

// An escalated alert's acknowledgement is told to every office it reached.
func TestAckEscalated(t *testing.T) {
	e := newEnv(t)
	id := e.openDust()
	e.tick(raised.Add(15 * time.Minute))
	e.out.take()
	a, err := e.m.Ack(context.Background(), id, "Li Wei")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "keys", keys(e.out.take()), []string{id + ":alert.acknowledged:A", id + ":alert.acknowledged:B"})
	if a.State != store.Acknowledged || a.AckedBy != "Li Wei" || !a.AckedAt.Equal(raised.Add(15*time.Minute)) {
		t.Errorf("Ack = %+v", a)
	}
}

func TestResolve(t *testing.T) {
	e := newEnv(t)
	id := e.openDust()

	at := raised.Add(20 * time.Minute)
	e.clock.set(at)
	want := wantOpen()
	want.State, want.Resolved, want.ResolvedBy = store.Resolved, ptr(at), "Li Wei"
	e.act("Resolve", e.m.Resolve, id, "Li Wei", want, msg(id+":alert.resolved:A", "alert.resolved", want, "A", "resolved by Li Wei"))
	if n := len(e.m.Active()); n != 0 {
		t.Errorf("%d alerts active after Resolve, want 0", n)
	}

	// Twice: a no-op.
	e.clock.set(at.Add(time.Minute))
	e.act("second Resolve", e.m.Resolve, id, "Wang Fang", want)

	// The rule clearing afterwards changes nothing.
	e.apply(cleared("dust", t1.Add(time.Hour), 50))
	e.holds("after Cleared", want)

	if _, err := e.m.Resolve(context.Background(), "0123456789abcdef0123", "Li Wei"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Resolve of an unknown alert = %v, want store.ErrNotFound", err)
	}
}

// A failed message leaves the alert as it was: Ack and Resolve can be
// tried again.
func TestLifecycleQueueError(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.openDust()
	errQueue := errors.New("outbox full")
	e.out.fail(errQueue)

	if _, err := e.m.Ack(ctx, id, "Wang Fang"); !errors.Is(err, errQueue) {
		t.Errorf("Ack = %v, want an error wrapping %v", err, errQueue)
	}
	if _, err := e.m.Resolve(ctx, id, "Wang Fang"); !errors.Is(err, errQueue) {
		t.Errorf("Resolve = %v, want an error wrapping %v", err, errQueue)
	}
	if err := e.m.Apply(ctx, nil); err != nil {
		t.Errorf("Apply(nil) = %v", err)
	}
	if err := e.m.Apply(ctx, []rules.Transition{cleared("dust", t1.Add(time.Hour), 50)}); !errors.Is(err, errQueue) {
		t.Errorf("Apply(Cleared) = %v, want an error wrapping %v", err, errQueue)
	}
	same(t, "stored", e.stored(), []store.Alert{wantOpen()})
	same(t, "Active", e.m.Active(), []store.Alert{wantOpen()})

	e.out.fail(nil)
	e.apply(cleared("dust", t1.Add(time.Hour), 50))
	same(t, "keys", keys(e.out.take()), []string{id + ":alert.resolved:A"})
}

// Active lists the alerts not resolved, newest opened first, and a new
// manager finds them in the store.
func TestActive(t *testing.T) {
	e := newEnv(t)
	e.apply(opened("dust", t1, 80), opened("dust-2", t1.Add(time.Minute), 90), opened("dust-3", t1.Add(2*time.Minute), 95))
	e.apply(cleared("dust-3", t1.Add(time.Hour), 10))
	if _, err := e.m.Ack(context.Background(), idOf("dust", t1), "Wang Fang"); err != nil {
		t.Fatal(err)
	}
	want := []string{idOf("dust-2", t1.Add(time.Minute)) + " open", idOf("dust", t1) + " acknowledged"}
	brief := func(as []store.Alert) []string {
		var s []string
		for _, a := range as {
			s = append(s, a.ID+" "+a.State)
		}
		return s
	}
	same(t, "Active", brief(e.m.Active()), want)
	e.restart()
	same(t, "Active after a restart", brief(e.m.Active()), want)
}

// A silence opens After past the last reading, and any later reading ends
// it, even one taken before the alert opened (the device buffered it); a
// reading from before the silence is a replay.
func TestSilenceCleared(t *testing.T) {
	silent := &rules.Rule{Plan: "construction-dust", ID: "dust-silent", Title: "Dust monitor silent",
		Kind: rules.Silence, Quantity: telemetry.PM2_5, After: 15 * time.Minute}
	last := t1
	open := rules.Transition{Change: rules.Opened, Rule: silent, Device: "site-7", Sensor: "dust",
		Time: last.Add(15 * time.Minute), Since: last, Value: 900}
	// A resolved silence's value is how long it lasted on event time,
	// in the alert's unit (s): not the value of the reading that ended it.
	tests := []struct {
		name     string
		reading  time.Time
		resolved bool
		value    float64
	}{
		{"a reading after the alert opened", last.Add(20 * time.Minute), true, 1200},
		{"a buffered reading before the alert opened", last.Add(time.Minute), true, 60},
		{"the last reading again", last, true, 0},
		{"a reading before the silence", last.Add(-time.Minute), false, 900},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.apply(open)
			id := alert.ID("construction-dust", "dust-silent", "site-7", "dust", open.Time)
			if a := e.alert(id); a.Message != "Dust monitor silent: site-7/dust sent no pm2_5 since 2026-07-14 17:05:00 CST" ||
				a.Limit != 900 || a.Unit != "s" {
				t.Fatalf("opened %+v", a)
			}
			e.out.take()
			e.restart()
			e.apply(rules.Transition{Change: rules.Cleared, Rule: silent, Device: "site-7", Sensor: "dust",
				Time: tt.reading, Since: last, Value: 31})
			a := e.alert(id)
			if got := a.State == store.Resolved; got != tt.resolved {
				t.Fatalf("state %s, want resolved %v", a.State, tt.resolved)
			}
			if a.Value != tt.value {
				t.Errorf("value %v %s, want %v", a.Value, a.Unit, tt.value)
			}
			if !tt.resolved {
				e.sent()
				return
			}
			if !a.Resolved.Equal(tt.reading) || a.Message != "Dust monitor silent: site-7/dust is sending again" {
				t.Errorf("resolved %+v", a)
			}
			same(t, "keys", keys(e.out.take()), []string{id + ":alert.resolved:A"})
		})
	}
}

// A stuck stream's alert stores how long the value has held still, in
// its unit (s) beside its limit (For, in s): its transitions carry the
// level it holds, which only the messages show.
func TestStuckValueInSeconds(t *testing.T) {
	stuck := &rules.Rule{Plan: "huangpu-flood", ID: "level-gauge-stuck", Title: "Water-level reading stuck",
		Kind: rules.Stuck, Quantity: telemetry.WaterLevel, For: 6 * time.Hour, Tolerance: 0.001}
	settled := t1.Add(-6*time.Hour - 5*time.Minute)
	e := newEnv(t)
	e.apply(rules.Transition{Change: rules.Opened, Rule: stuck, Device: "gauge-3", Sensor: "level",
		Time: t1, Since: settled, Value: 3.1, Samples: 1})
	id := alert.ID("huangpu-flood", "level-gauge-stuck", "gauge-3", "level", t1)
	if a := e.alert(id); a.Value != 21900 || a.Limit != 21600 || a.Unit != "s" ||
		a.Message != "Water-level reading stuck: gauge-3/level water_level has stayed at 3.1 m since 2026-07-14 11:00:00 CST" {
		t.Errorf("opened: value %v limit %v unit %q message %q, want 21900 s beside 21600 s", a.Value, a.Limit, a.Unit, a.Message)
	}
	e.apply(rules.Transition{Change: rules.Cleared, Rule: stuck, Device: "gauge-3", Sensor: "level",
		Time: t1.Add(time.Hour), Since: settled, Value: 3.25, Samples: 1})
	if a := e.alert(id); a.State != store.Resolved || a.Value != 25500 || a.Unit != "s" ||
		a.Message != "Water-level reading stuck: gauge-3/level water_level moves again (3.25 m)" {
		t.Errorf("resolved: state %s value %v unit %q message %q, want resolved at 25500 s", a.State, a.Value, a.Unit, a.Message)
	}
}
