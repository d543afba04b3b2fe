package alert_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/alert"
	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/cloud/rules"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/telemetry"
)

var (
	cst = time.FixedZone("CST", 8*3600)
	// Event times as the rules give them: in any zone, milliseconds.
	t1 = time.Date(2026, 7, 14, 17, 5, 0, 250_000_000, cst)
	t2 = time.Date(2026, 7, 14, 18, 20, 30, 0, cst)
)

var dust = &rules.Rule{
	Plan: "construction-dust", ID: "pm25-1h", Title: "PM2.5 hourly mean", Quantity: telemetry.PM2_5,
	Window: time.Hour, Above: 75, ClearBelow: 60, MinSamples: 12, Office: "city-operations", Severity: "warning",
}

func opened(sensor string, at time.Time, v float64) rules.Transition {
	return rules.Transition{Kind: rules.Opened, Rule: dust, Device: "site-7", Sensor: sensor, Time: at, Value: v, Samples: 12}
}

func cleared(sensor string, at time.Time, v float64) rules.Transition {
	return rules.Transition{Kind: rules.Cleared, Rule: dust, Device: "site-7", Sensor: sensor, Time: at, Value: v, Samples: 60}
}

func TestID(t *testing.T) {
	const (
		plan, rule, dev, sensor = "construction-dust", "pm25-1h", "site-7", "dust"
		// Stored ids must not change between releases: a new id for an
		// open alert would orphan it.
		golden = "fba54337910518990637" // sha256("construction-dust\x00pm25-1h\x00site-7\x00dust\x001784019900250\x00")[:10]
	)
	base := alert.ID(plan, rule, dev, sensor, t1)
	if len(base) != 20 || strings.Trim(base, "0123456789abcdef") != "" {
		t.Fatalf("ID = %q, want 20 lowercase hex digits", base)
	}
	if base != golden {
		t.Errorf("ID = %q, want %q", base, golden)
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

// sender records what the manager sends.
type sender struct{ got []notify.Message }

func (s *sender) Send(m notify.Message) { s.got = append(s.got, m) }

func openDB(t *testing.T, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func alerts(t *testing.T, st alert.Store) []store.Alert {
	t.Helper()
	all, err := st.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestOpenedThenCleared(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "c.db"))
	out := &sender{}
	m, err := alert.New(ctx, db, out)
	if err != nil {
		t.Fatal(err)
	}
	id := alert.ID("construction-dust", "pm25-1h", "site-7", "dust", t1)
	open := store.Alert{
		ID: id, Rule: "pm25-1h", Plan: "construction-dust", Device: "site-7", Sensor: "dust", Quantity: telemetry.PM2_5,
		Office: "city-operations", Severity: "warning", State: store.Open,
		Opened: time.Date(2026, 7, 14, 9, 5, 0, 250_000_000, time.UTC),
		Value:  80.13, Limit: 75, Unit: "ug/m3",
		Message: "PM2.5 hourly mean: site-7 pm2_5 mean over 1h is 80.1 ug/m3, above 75.0 (12 readings)",
	}

	if err := m.Apply(ctx, []rules.Transition{opened("dust", t1, 80.126)}); err != nil {
		t.Fatal(err)
	}
	if got := alerts(t, db); !reflect.DeepEqual(got, []store.Alert{open}) {
		t.Fatalf("stored after Opened:\n%+v\nwant\n%+v", got, []store.Alert{open})
	}
	if got := m.Open(); !reflect.DeepEqual(got, []store.Alert{open}) {
		t.Fatalf("Open() after Opened = %+v, want %+v", got, []store.Alert{open})
	}

	if err := m.Apply(ctx, []rules.Transition{cleared("dust", t2, 55.5)}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 7, 14, 10, 20, 30, 0, time.UTC)
	done := open
	done.State, done.Resolved, done.Value = store.Resolved, &at, 55.5
	done.Message = "PM2.5 hourly mean: site-7 pm2_5 mean over 1h is back to 55.5 ug/m3 (clears at 60.0)"
	if got := alerts(t, db); !reflect.DeepEqual(got, []store.Alert{done}) {
		t.Fatalf("stored after Cleared:\n%+v\nwant\n%+v", got, []store.Alert{done})
	}
	if got := m.Open(); len(got) != 0 {
		t.Fatalf("Open() after Cleared = %+v, want none", got)
	}

	want := []notify.Message{
		{Key: id + ":open", Event: "alert.opened", Alert: open},
		{Key: id + ":resolved", Event: "alert.resolved", Alert: done},
	}
	if !reflect.DeepEqual(out.got, want) {
		t.Fatalf("sent\n%+v\nwant\n%+v", out.got, want)
	}
}

// brief is an alert or a message in one comparable line.
func brief(a store.Alert) string {
	s := fmt.Sprintf("%s %s %s opened=%s value=%v", a.ID, a.Sensor, a.State, a.Opened.Format(time.RFC3339Nano), a.Value)
	if a.Resolved != nil {
		s += " resolved=" + a.Resolved.Format(time.RFC3339Nano)
	}
	return s
}

func TestApply(t *testing.T) {
	t3 := t2.Add(10 * time.Minute)
	id1 := alert.ID("construction-dust", "pm25-1h", "site-7", "dust", t1)
	id2 := alert.ID("construction-dust", "pm25-1h", "site-7", "dust-2", t1)
	id3 := alert.ID("construction-dust", "pm25-1h", "site-7", "dust", t3)
	tests := []struct {
		name   string
		steps  [][]rules.Transition // one Apply each
		stored []string             // newest opened first, then by id
		sent   []string
		open   int
	}{
		{
			name:   "opened and cleared in one Apply",
			steps:  [][]rules.Transition{{opened("dust", t1, 80), cleared("dust", t2, 50)}},
			stored: []string{id1 + " dust resolved opened=2026-07-14T09:05:00.25Z value=50 resolved=2026-07-14T10:20:30Z"},
			sent:   []string{"alert.opened " + id1 + ":open", "alert.resolved " + id1 + ":resolved"},
		},
		{
			name:   "second Opened for an open stream is ignored",
			steps:  [][]rules.Transition{{opened("dust", t1, 80)}, {opened("dust", t2, 90)}},
			stored: []string{id1 + " dust open opened=2026-07-14T09:05:00.25Z value=80"},
			sent:   []string{"alert.opened " + id1 + ":open"},
			open:   1,
		},
		{
			name:  "Cleared with no open alert does nothing",
			steps: [][]rules.Transition{{cleared("dust", t2, 50)}},
		},
		{
			name:   "Cleared for another stream does not resolve",
			steps:  [][]rules.Transition{{opened("dust", t1, 80), cleared("dust-2", t2, 50)}},
			stored: []string{id1 + " dust open opened=2026-07-14T09:05:00.25Z value=80"},
			sent:   []string{"alert.opened " + id1 + ":open"},
			open:   1,
		},
		{
			name:  "streams are separate",
			steps: [][]rules.Transition{{opened("dust", t1, 80), opened("dust-2", t1, 90)}, {cleared("dust", t2, 50)}},
			// Opened at the same instant: in id order (174d… < fba5…).
			stored: []string{
				id2 + " dust-2 open opened=2026-07-14T09:05:00.25Z value=90",
				id1 + " dust resolved opened=2026-07-14T09:05:00.25Z value=50 resolved=2026-07-14T10:20:30Z",
			},
			sent: []string{"alert.opened " + id1 + ":open", "alert.opened " + id2 + ":open", "alert.resolved " + id1 + ":resolved"},
			open: 1,
		},
		{
			name:  "opening again after resolving is a new alert",
			steps: [][]rules.Transition{{opened("dust", t1, 80)}, {cleared("dust", t2, 50)}, {opened("dust", t3, 99)}},
			stored: []string{
				id3 + " dust open opened=2026-07-14T10:30:30Z value=99",
				id1 + " dust resolved opened=2026-07-14T09:05:00.25Z value=50 resolved=2026-07-14T10:20:30Z",
			},
			sent: []string{"alert.opened " + id1 + ":open", "alert.resolved " + id1 + ":resolved", "alert.opened " + id3 + ":open"},
			open: 1,
		},
		{
			name:  "unknown kind is ignored",
			steps: [][]rules.Transition{{{Kind: 0, Rule: dust, Device: "site-7", Sensor: "dust", Time: t1, Value: 80}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if id1 == id2 || id1 == id3 {
				t.Fatal("test ids collide")
			}
			ctx := context.Background()
			db := openDB(t, filepath.Join(t.TempDir(), "c.db"))
			out := &sender{}
			m, err := alert.New(ctx, db, out)
			if err != nil {
				t.Fatal(err)
			}
			for _, trs := range tt.steps {
				if err := m.Apply(ctx, trs); err != nil {
					t.Fatal(err)
				}
			}
			var stored, sent []string
			for _, a := range alerts(t, db) {
				stored = append(stored, brief(a))
			}
			for _, msg := range out.got {
				sent = append(sent, msg.Event+" "+msg.Key)
				if msg.Key != msg.Alert.ID+":"+msg.Alert.State {
					t.Errorf("message key %q for alert %s in state %s", msg.Key, msg.Alert.ID, msg.Alert.State)
				}
			}
			if !reflect.DeepEqual(stored, tt.stored) {
				t.Errorf("stored\n%s\nwant\n%s", strings.Join(stored, "\n"), strings.Join(tt.stored, "\n"))
			}
			if !reflect.DeepEqual(sent, tt.sent) {
				t.Errorf("sent %q, want %q", sent, tt.sent)
			}
			if got := len(m.Open()); got != tt.open {
				t.Errorf("%d alerts open, want %d", got, tt.open)
			}
		})
	}
}

func TestRestartResolvesLoadedAlert(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	db := openDB(t, path)
	first, err := alert.New(ctx, db, &sender{})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Apply(ctx, []rules.Transition{opened("dust", t1, 80), opened("dust-2", t1, 90), cleared("dust-2", t2, 10)}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// The collector restarts.
	db = openDB(t, path)
	out := &sender{}
	m, err := alert.New(ctx, db, out)
	if err != nil {
		t.Fatal(err)
	}
	id := alert.ID("construction-dust", "pm25-1h", "site-7", "dust", t1)
	open := m.Open()
	if len(open) != 1 || open[0].ID != id || open[0].State != store.Open {
		t.Fatalf("after restart Open() = %+v, want only %s open", open, id)
	}
	// Still open: the rules re-raising it after the restart mints nothing.
	if err := m.Apply(ctx, []rules.Transition{opened("dust", t2, 95)}); err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(ctx, []rules.Transition{cleared("dust", t2, 55.5)}); err != nil {
		t.Fatal(err)
	}
	if len(out.got) != 1 {
		t.Fatalf("sent %d messages, want 1: %+v", len(out.got), out.got)
	}
	msg := out.got[0]
	wantResolved := time.Date(2026, 7, 14, 10, 20, 30, 0, time.UTC)
	if msg.Key != id+":resolved" || msg.Event != "alert.resolved" || msg.Alert.ID != id ||
		msg.Alert.Resolved == nil || !msg.Alert.Resolved.Equal(wantResolved) {
		t.Fatalf("sent %+v, want alert.resolved of %s resolved at %v", msg, id, wantResolved)
	}
	got := alerts(t, db)
	if len(got) != 2 {
		t.Fatalf("stored %d alerts, want 2", len(got))
	}
	for _, a := range got {
		if a.State != store.Resolved {
			t.Errorf("alert %s (%s) is %s, want resolved", a.ID, a.Sensor, a.State)
		}
	}
	if len(m.Open()) != 0 {
		t.Fatalf("Open() = %+v, want none", m.Open())
	}
}

// faultyStore fails PutAlert from call failFrom on, or Alerts.
type faultyStore struct {
	err       error
	failFrom  int
	failList  bool
	puts      int
	delegated alert.Store
}

func (f *faultyStore) PutAlert(ctx context.Context, a store.Alert) error {
	f.puts++
	if f.puts >= f.failFrom {
		return f.err
	}
	return f.delegated.PutAlert(ctx, a)
}

func (f *faultyStore) Alerts(ctx context.Context) ([]store.Alert, error) {
	if f.failList {
		return nil, f.err
	}
	return f.delegated.Alerts(ctx)
}

func TestStoreErrors(t *testing.T) {
	ctx := context.Background()
	errDisk := errors.New("disk full")

	t.Run("New", func(t *testing.T) {
		st := &faultyStore{err: errDisk, failList: true, delegated: openDB(t, filepath.Join(t.TempDir(), "c.db"))}
		if _, err := alert.New(ctx, st, &sender{}); !errors.Is(err, errDisk) {
			t.Fatalf("New = %v, want an error wrapping %v", err, errDisk)
		}
	})

	t.Run("closed bolt store", func(t *testing.T) {
		db := openDB(t, filepath.Join(t.TempDir(), "c.db"))
		m, err := alert.New(ctx, db, &sender{})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if err := m.Apply(ctx, []rules.Transition{opened("dust", t1, 80)}); !errors.Is(err, store.ErrClosed) {
			t.Fatalf("Apply = %v, want an error wrapping %v", err, store.ErrClosed)
		}
	})

	tests := []struct {
		name     string
		failFrom int
		trs      []rules.Transition
		puts     int      // PutAlert calls: none after the failing one
		sent     []string // events sent before the failure
		open     int
	}{
		{"Opened", 1, []rules.Transition{opened("dust", t1, 80), opened("dust-2", t1, 80)}, 1, nil, 0},
		{"Cleared keeps the alert open", 2, []rules.Transition{opened("dust", t1, 80), cleared("dust", t2, 50), opened("dust-2", t1, 80)}, 2, []string{"alert.opened"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &faultyStore{err: errDisk, failFrom: tt.failFrom, delegated: openDB(t, filepath.Join(t.TempDir(), "c.db"))}
			out := &sender{}
			m, err := alert.New(ctx, st, out)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Apply(ctx, tt.trs); !errors.Is(err, errDisk) {
				t.Fatalf("Apply = %v, want an error wrapping %v", err, errDisk)
			}
			var sent []string
			for _, msg := range out.got {
				sent = append(sent, msg.Event)
			}
			if st.puts != tt.puts || !reflect.DeepEqual(sent, tt.sent) || len(m.Open()) != tt.open {
				t.Fatalf("PutAlert called %d times, sent %q, %d open; want %d, %q, %d", st.puts, sent, len(m.Open()), tt.puts, tt.sent, tt.open)
			}
		})
	}
}
