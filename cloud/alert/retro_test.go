package alert_test

import (
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/rules"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// An alert found in late data is raised unless an alert of its stream
// already covers the episode.
func TestRetrospective(t *testing.T) {
	// The live alert: opened at t1, cleared at t1 + 1 h.
	live := []rules.Transition{opened("dust", at(0), 80), cleared("dust", at(60), 50)}
	episode := func(since, open, clear int) []rules.Transition {
		o := retro(opened("dust", at(open), 88))
		o.Since = at(since)
		c := retro(cleared("dust", at(clear), 44))
		c.Since = at(since)
		return []rules.Transition{o, c}
	}
	tests := []struct {
		name   string
		live   []rules.Transition
		late   []rules.Transition
		raised bool
	}{
		{"within the live alert", live, episode(10, 20, 30), false},
		{"began before the live alert", live, episode(-30, -20, 10), false},
		{"began before the live alert cleared", live, episode(59, 70, 80), false},
		{"the live alert still open", live[:1], episode(-120, -110, -100), false},
		{"began when the live alert cleared", live, episode(60, 70, 80), true},
		{"after the live alert", live, episode(90, 100, 110), true},
		{"no live alert", nil, episode(-120, -110, -100), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			for _, tr := range tt.live {
				e.step(tr)
			}
			before := e.stored()
			e.out.take()

			e.clock.set(raised.Add(3 * time.Hour))
			e.apply(tt.late...)
			id := idOf("dust", tt.late[0].Time)
			if !tt.raised {
				e.noAlert(id)
				same(t, "stored", e.stored(), before)
				e.sent()
				return
			}
			want := store.Alert{
				ID: id, Rule: "pm25-1h", Kind: "window", Plan: "construction-dust", Category: "dust",
				Device: "site-7", Sensor: "dust", Quantity: telemetry.PM2_5,
				Site: "Longhua construction site", District: "Xuhui", Office: "A", Severity: "warning", State: store.Open,
				Opened: tt.late[0].Time.UTC(), Raised: raised.Add(3 * time.Hour), Retrospective: true,
				Value: 88, Limit: 75, Unit: "ug/m3",
				Message: "PM2.5 hourly mean: site-7/dust pm2_5 mean over 1h is 88 ug/m3, above 75 (12 readings); found in data that arrived late",
			}
			done := want
			done.State, done.Resolved, done.ResolvedBy, done.Value = store.Resolved, ptr(tt.late[1].Time.UTC()), "auto", 44
			done.Message = "PM2.5 hourly mean: site-7/dust pm2_5 mean over 1h is back to 44 ug/m3 (clears at 60)"
			same(t, "the retrospective alert", e.alert(id), done)
			if n := len(e.stored()); n != len(before)+1 {
				t.Errorf("stored %d alerts, want %d", n, len(before)+1)
			}
			e.sent(
				msg(id+":alert.opened:0:A", "alert.opened", want, "A", ""),
				msg(id+":alert.resolved:A", "alert.resolved", done, "A", ""),
			)

			// Found again (another late span of the same stream): nothing.
			e.apply(tt.late...)
			e.sent()
		})
	}
}

// A retrospective episode still open at the end of its span is left for
// the live state to clear.
func TestRetrospectiveLeftOpen(t *testing.T) {
	e := newEnv(t)
	o := retro(opened("dust", at(-120), 88))
	e.apply(o)
	id := idOf("dust", o.Time)
	if a := e.alert(id); a.State != store.Open || !a.Retrospective {
		t.Fatalf("stored %+v, want an open retrospective alert", a)
	}
	e.out.take()
	e.apply(opened("dust", at(0), 90)) // the live state, marked open, raises nothing
	e.apply(cleared("dust", at(10), 40))
	same(t, "keys", keys(e.out.take()), []string{id + ":alert.resolved:A"})
	if a := e.alert(id); a.State != store.Resolved || !a.Resolved.Equal(at(10)) || a.ResolvedBy != "auto" {
		t.Errorf("after the live Cleared: %+v", a)
	}
	e.noAlert(idOf("dust", at(0)))
}
