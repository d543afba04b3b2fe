package alert_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/alert"
	"github.com/xiuhua/xiuhua/cloud/rules"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

func TestID(t *testing.T) {
	const (
		plan, rule, dev, sensor = "construction-dust", "pm25-1h", "site-7", "dust"
		// Stored ids must not change between releases: a new id for an
		// open alert would orphan it and raise it again.
		golden = "fba54337910518990637" // sha256("construction-dust\x00pm25-1h\x00site-7\x00dust\x001784019900250\x00")[:10]
	)
	base := alert.ID(plan, rule, dev, sensor, t1)
	if base != golden {
		t.Errorf("ID = %q, want %q", base, golden)
	}
	for i := range 3 {
		if again := alert.ID(plan, rule, dev, sensor, t1); again != base {
			t.Fatalf("call %d: ID = %q, want %q", i+2, again, base)
		}
	}
	if again := alert.ID(plan, rule, dev, sensor, t1.UTC()); again != base {
		t.Errorf("the same instant in UTC gives %q, want %q", again, base)
	}
	others := []struct {
		name string
		id   string
	}{
		{"plan", alert.ID("river", rule, dev, sensor, t1)},
		{"rule", alert.ID(plan, "pm10-1h", dev, sensor, t1)},
		{"device", alert.ID(plan, rule, "site-8", sensor, t1)},
		{"sensor", alert.ID(plan, rule, dev, "dust-2", t1)},
		{"opening time +1ms", alert.ID(plan, rule, dev, sensor, t1.Add(time.Millisecond))},
		{"opening time -1ms", alert.ID(plan, rule, dev, sensor, t1.Add(-time.Millisecond))},
		// The fields are delimited: moving a boundary is another alert.
		{"plan/rule boundary", alert.ID(plan+"p", rule[1:], dev, sensor, t1)},
		{"device/sensor boundary", alert.ID(plan, rule, dev+"d", sensor[1:], t1)},
	}
	seen := map[string]string{base: "base"}
	for _, o := range others {
		if prev, dup := seen[o.id]; dup {
			t.Errorf("changing the %s gives id %q, the same as %s", o.name, o.id, prev)
		}
		seen[o.id] = o.name
	}
}

// wantOpen is the alert opened("dust", t1, 80.126) raises at the clock
// raised.
func wantOpen() store.Alert {
	return store.Alert{
		ID: idOf("dust", t1), Rule: "pm25-1h", Kind: "window", Plan: "construction-dust", Category: "dust",
		Device: "site-7", Sensor: "dust", Quantity: telemetry.PM2_5,
		Site: "Longhua construction site", District: "Xuhui", Office: "A", Severity: "warning", State: store.Open,
		Opened: time.Date(2026, 7, 14, 9, 5, 0, 250_000_000, time.UTC), Raised: raised,
		Value: 80.13, Limit: 75, Unit: "ug/m3",
		Message: "PM2.5 hourly mean: site-7/dust pm2_5 mean over 1h is 80.13 ug/m3, above 75 (12 readings)",
	}
}

func TestOpen(t *testing.T) {
	e := newEnv(t)
	e.apply(opened("dust", t1, 80.126))

	want := wantOpen()
	if want.ID != "fba54337910518990637" {
		t.Fatalf("id %s", want.ID)
	}
	same(t, "stored", e.stored(), []store.Alert{want})
	same(t, "Active", e.m.Active(), []store.Alert{want})
	// One message, to the routed office only: not the rule's own office.
	e.sent(msg(want.ID+":alert.opened:0:A", "alert.opened", want, "A", ""))
}

func TestOpenRoute(t *testing.T) {
	e := newEnv(t)
	e.opts.Route, e.opts.Place = nil, nil
	e.m = e.manager(e.db)
	e.apply(opened("dust", t1, 80))
	a := e.alert(idOf("dust", t1))
	// No Route: the rule's office; no Place: no site.
	if a.Office != "rule-office" || a.Site != "" || a.District != "" {
		t.Errorf("office %q, site %q, district %q; want rule-office and no place", a.Office, a.Site, a.District)
	}
	got := e.out.take()
	// An office the manager does not know is named by its id.
	if len(got) != 1 || got[0].Key != a.ID+":alert.opened:0:rule-office" || got[0].Office != "rule-office" ||
		got[0].OfficeName != "rule-office" || got[0].Contacts != nil {
		t.Errorf("sent %+v, want one alert.opened to rule-office", got)
	}
}

// The message is queued before the alert is stored: an alert that could
// not be told is not stored, and applying its transition again raises it
// with the same id and so the same key, which the queue keeps once.
func TestOpenQueuesFirst(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var log []string
	e.out.log = &log
	st := &faultyStore{Store: e.db, log: &log}
	e.m = e.manager(st)
	want := wantOpen()
	key := want.ID + ":alert.opened:0:A"

	errQueue := errors.New("outbox full")
	e.out.fail(errQueue)
	err := e.m.Apply(ctx, []rules.Transition{opened("dust", t1, 80.126)})
	if !errors.Is(err, errQueue) || !strings.HasPrefix(err.Error(), "alert: ") {
		t.Fatalf("Apply with a failing queue = %v, want an alert: error wrapping %v", err, errQueue)
	}
	e.noAlert(want.ID)
	if n := len(e.m.Active()); n != 0 {
		t.Errorf("%d alerts active after a failed opening, want 0", n)
	}

	// The queue works again; the store fails after the message is queued.
	e.out.fail(nil)
	errDisk := errors.New("disk full")
	st.putErr = errDisk
	if err := e.m.Apply(ctx, []rules.Transition{opened("dust", t1, 80.126)}); !errors.Is(err, errDisk) {
		t.Fatalf("Apply with a failing store = %v, want an error wrapping %v", err, errDisk)
	}
	e.noAlert(want.ID)
	e.sent(msg(key, "alert.opened", want, "A", ""))

	st.putErr = nil
	e.apply(opened("dust", t1, 80.126))
	same(t, "stored", e.stored(), []store.Alert{want})
	e.sent(msg(key, "alert.opened", want, "A", ""))
	same(t, "order", log, []string{"send " + key, "send " + key, "put " + want.ID + " open"})
}

func TestNoDoubleRaise(t *testing.T) {
	t2 := t1.Add(time.Hour)
	tests := []struct {
		name  string
		steps [][]rules.Transition // one Apply each
	}{
		{"the same Opened in one Apply", [][]rules.Transition{{opened("dust", t1, 80.126), opened("dust", t1, 80.126)}}},
		{"the same Opened twice", [][]rules.Transition{{opened("dust", t1, 80.126)}, {opened("dust", t1, 80.126)}}},
		{"Opened for a stream with an active alert", [][]rules.Transition{{opened("dust", t1, 80.126)}, {opened("dust", t2, 99)}}},
		{"retrospective Opened for a stream with an active alert", [][]rules.Transition{{opened("dust", t1, 80.126)}, {retro(opened("dust", t2, 99))}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			for _, trs := range tt.steps {
				e.apply(trs...)
			}
			want := wantOpen()
			same(t, "stored", e.stored(), []store.Alert{want})
			same(t, "Active", e.m.Active(), []store.Alert{want})
			e.sent(msg(want.ID+":alert.opened:0:A", "alert.opened", want, "A", ""))
		})
	}
}

// A collector restart judges the stored readings again: the transitions
// it replays raise nothing new, resolve nothing, and tell nobody.
func TestRestartReplay(t *testing.T) {
	at := func(m int) time.Time { return t1.Add(time.Duration(m) * time.Minute) }
	tests := []struct {
		name    string
		history []rules.Transition
		// replay is what the restarted engine finds: the history, after
		// what an engine marked open finds in the older readings.
		replay []rules.Transition
		active int
	}{
		{
			name:    "resolved, then open",
			history: []rules.Transition{opened("dust", at(0), 80), cleared("dust", at(30), 50), opened("dust", at(60), 90)},
			active:  1,
		},
		{
			name:    "open, and the engine marked open clears on the readings before it",
			history: []rules.Transition{opened("dust", at(0), 80), cleared("dust", at(30), 50), opened("dust", at(60), 90)},
			replay:  []rules.Transition{cleared("dust", at(-30), 40)},
			active:  1,
		},
		{
			name: "two streams",
			history: []rules.Transition{opened("dust", at(0), 80), opened("dust-2", at(0), 90),
				cleared("dust-2", at(20), 10), opened("dust-2", at(40), 95), cleared("dust-2", at(50), 12)},
			active: 1,
		},
		{
			name: "flapping, folded and resolved",
			history: []rules.Transition{
				opened("dust", at(0), 80), cleared("dust", at(5), 50), opened("dust", at(10), 81), cleared("dust", at(15), 50),
				opened("dust", at(20), 82), cleared("dust", at(25), 50), opened("dust", at(30), 83), cleared("dust", at(35), 50),
				opened("dust", at(40), 84), cleared("dust", at(45), 50),
			},
		},
		{
			// The clearings replayed between the alert's opening (20) and
			// its last re-opening (40) are of earlier episodes: the
			// stored re-opening keeps them from resolving it.
			name: "flapping, folded and open",
			history: []rules.Transition{
				opened("dust", at(0), 80), cleared("dust", at(5), 50), opened("dust", at(10), 81), cleared("dust", at(15), 50),
				opened("dust", at(20), 82), cleared("dust", at(25), 50), opened("dust", at(30), 83), cleared("dust", at(35), 50),
				opened("dust", at(40), 84),
			},
			active: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			for _, tr := range tt.history {
				e.clock.set(raised.Add(tr.Time.Sub(t1)))
				e.apply(tr)
			}
			before := e.stored()
			sent := len(e.out.take())
			if sent == 0 {
				t.Fatal("the history sent nothing")
			}

			e.clock.set(raised.Add(2 * time.Hour))
			e.restart()
			e.apply(append(tt.replay, tt.history...)...)
			same(t, "stored after the replay", e.stored(), before)
			e.sent()
			if n := len(e.m.Active()); n != tt.active {
				t.Errorf("%d alerts active, want %d", n, tt.active)
			}
		})
	}
}

func TestNewLoadError(t *testing.T) {
	e := newEnv(t)
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := alert.New(context.Background(), e.db, e.out, e.opts); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("New over a closed store = %v, want an error wrapping store.ErrClosed", err)
	}
}
