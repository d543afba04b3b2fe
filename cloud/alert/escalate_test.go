package alert_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/alert"
	"github.com/xiuhua/xiuhua/cloud/store"
)

// Office A escalates to B after 15 minutes, B to C after 10, C to nobody.
func TestEscalation(t *testing.T) {
	e := newEnv(t)
	id := e.openDust()
	after := func(d time.Duration) time.Time { return raised.Add(d) }

	e.tick(after(14*time.Minute + 59*time.Second))
	e.sent()
	same(t, "stored at 14m59s", e.stored(), []store.Alert{wantOpen()})

	e.tick(after(15 * time.Minute))
	toB := wantOpen()
	toB.Escalation, toB.Escalated, toB.EscalatedAt = 1, []string{"B"}, ptr(after(15*time.Minute))
	same(t, "stored at 15m", e.stored(), []store.Alert{toB})
	same(t, "Active at 15m", e.m.Active(), []store.Alert{toB})
	e.sent(msg(id+":alert.escalated:1:B", "alert.escalated", toB, "B", "not acknowledged by Xuhui dust office within 15m"))

	// B's 10 minutes count from the escalation.
	e.tick(after(24*time.Minute + 59*time.Second))
	e.sent()
	same(t, "stored at 24m59s", e.stored(), []store.Alert{toB})

	e.tick(after(25 * time.Minute))
	toC := toB
	toC.Escalation, toC.Escalated, toC.EscalatedAt = 2, []string{"B", "C"}, ptr(after(25*time.Minute))
	same(t, "stored at 25m", e.stored(), []store.Alert{toC})
	e.sent(msg(id+":alert.escalated:2:C", "alert.escalated", toC, "C", "not acknowledged by Xuhui environment bureau within 10m"))

	// C escalates to nobody.
	for _, d := range []time.Duration{26 * time.Minute, 2 * time.Hour, 48 * time.Hour} {
		e.tick(after(d))
	}
	e.sent()
	same(t, "stored at 48h", e.stored(), []store.Alert{toC})

	// The chain survives a restart: the alert's place in it is stored.
	e.restart()
	e.tick(after(49 * time.Hour))
	e.sent()
	same(t, "Active after a restart", e.m.Active(), []store.Alert{toC})
}

func TestEscalationSkips(t *testing.T) {
	tests := []struct {
		name    string
		offices []alert.Office
		setup   func(e *env)
		ticks   []time.Duration // after raised
		want    []string        // escalated offices
		keys    []string        // messages sent by the ticks, after the id
	}{
		{
			name:  "acknowledged",
			setup: func(e *env) { e.ack("Wang Fang") },
			ticks: []time.Duration{15 * time.Minute, time.Hour, 24 * time.Hour},
		},
		{
			name: "acknowledged after reaching B",
			setup: func(e *env) {
				e.tick(raised.Add(15 * time.Minute))
				e.ack("Li Wei")
			},
			ticks: []time.Duration{25 * time.Minute, time.Hour},
			want:  []string{"B"},
		},
		{
			name:  "resolved",
			setup: func(e *env) { e.apply(cleared("dust", t1.Add(time.Minute), 10)) },
			ticks: []time.Duration{15 * time.Minute, time.Hour},
		},
		{
			name: "a cycle A → B → A stops at B",
			offices: []alert.Office{
				{ID: "A", Name: "Xuhui dust office", EscalateAfter: 15 * time.Minute, EscalateTo: "B"},
				{ID: "B", Name: "Xuhui environment bureau", EscalateAfter: 10 * time.Minute, EscalateTo: "A"},
			},
			ticks: []time.Duration{15 * time.Minute, 25 * time.Minute, time.Hour, 24 * time.Hour},
			want:  []string{"B"},
			keys:  []string{":alert.escalated:1:B"},
		},
		{
			name: "a cycle A → B → C → B stops at C",
			offices: []alert.Office{
				{ID: "A", EscalateAfter: 15 * time.Minute, EscalateTo: "B"},
				{ID: "B", EscalateAfter: 10 * time.Minute, EscalateTo: "C"},
				{ID: "C", EscalateAfter: 5 * time.Minute, EscalateTo: "B"},
			},
			ticks: []time.Duration{15 * time.Minute, 25 * time.Minute, 30 * time.Minute, time.Hour},
			want:  []string{"B", "C"},
			keys:  []string{":alert.escalated:1:B", ":alert.escalated:2:C"},
		},
		{
			name: "an office escalating to itself",
			offices: []alert.Office{
				{ID: "A", EscalateAfter: 15 * time.Minute, EscalateTo: "A"},
			},
			ticks: []time.Duration{15 * time.Minute, time.Hour},
		},
		{
			name: "no EscalateAfter",
			offices: []alert.Office{
				{ID: "A", EscalateTo: "B"},
				{ID: "B"},
			},
			ticks: []time.Duration{15 * time.Minute, 24 * time.Hour},
		},
		{
			// A late Tick moves one step at a time: B's 10 minutes count
			// from when the alert reached B.
			name:  "one step a tick",
			ticks: []time.Duration{3 * time.Hour, 3*time.Hour + 9*time.Minute, 3*time.Hour + 10*time.Minute},
			want:  []string{"B", "C"},
			keys:  []string{":alert.escalated:1:B", ":alert.escalated:2:C"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.offices != nil {
				e.opts.Offices = tt.offices
				e.m = e.manager(e.db)
			}
			e.apply(opened("dust", t1, 80.126))
			id := idOf("dust", t1)
			if tt.setup != nil {
				tt.setup(e)
			}
			before := e.alert(id)
			e.out.take()
			for _, d := range tt.ticks {
				e.tick(raised.Add(d))
			}
			a := e.alert(id)
			same(t, "escalated", a.Escalated, tt.want)
			if a.Escalation != len(tt.want) {
				t.Errorf("Escalation %d, want %d", a.Escalation, len(tt.want))
			}
			if tt.want == nil {
				same(t, "stored", a, before)
			}
			var want []string
			for _, k := range tt.keys {
				want = append(want, id+k)
			}
			same(t, "keys", keys(e.out.take()), want)
		})
	}
}

// A retrospective alert is told, never escalated.
func TestRetrospectiveNotEscalated(t *testing.T) {
	e := newEnv(t)
	e.apply(retro(opened("dust", t1, 80.126)))
	id := idOf("dust", t1)
	before := e.alert(id)
	if !before.Retrospective {
		t.Fatalf("stored %+v, want retrospective", before)
	}
	e.out.take()
	for _, d := range []time.Duration{15 * time.Minute, 25 * time.Minute, 24 * time.Hour} {
		e.tick(raised.Add(d))
	}
	e.sent()
	same(t, "stored", e.alert(id), before)
}

// Escalation fails whole: the alert is escalated on the next Tick.
func TestEscalationQueueError(t *testing.T) {
	e := newEnv(t)
	id := e.openDust()
	errQueue := errors.New("outbox full")
	e.out.fail(errQueue)
	e.clock.set(raised.Add(15 * time.Minute))
	if err := e.m.Tick(context.Background()); !errors.Is(err, errQueue) {
		t.Fatalf("Tick = %v, want an error wrapping %v", err, errQueue)
	}
	same(t, "stored", e.stored(), []store.Alert{wantOpen()})
	same(t, "Active", e.m.Active(), []store.Alert{wantOpen()})
	e.out.fail(nil)
	e.tick(raised.Add(16 * time.Minute))
	same(t, "keys", keys(e.out.take()), []string{id + ":alert.escalated:1:B"})
}

func (e *env) ack(by string) {
	e.t.Helper()
	if _, err := e.m.Ack(context.Background(), idOf("dust", t1), by); err != nil {
		e.t.Fatal(err)
	}
}
