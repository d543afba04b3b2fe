package alert_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"sync"
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
	_ alert.Store  = (*bolt.DB)(nil)
	_ alert.Sender = (*sender)(nil)
	_ alert.Store  = (*faultyStore)(nil)
)

var (
	cst = time.FixedZone("CST", 8*3600)
	// t1 is an event time as the rules give it: any zone, milliseconds.
	t1 = time.Date(2026, 7, 14, 17, 5, 0, 250_000_000, cst)
	// raised is the collector's clock when a test starts.
	raised = time.Date(2026, 7, 14, 9, 6, 0, 0, time.UTC)
)

// dust is a window rule whose own office the routing overrides.
var dust = &rules.Rule{
	Plan: "construction-dust", ID: "pm25-1h", Title: "PM2.5 hourly mean", Kind: rules.Window,
	Quantity: telemetry.PM2_5, Category: "dust", Office: "rule-office", Severity: "warning",
	Limit: 75, Clear: 60, Window: time.Hour, Aggregate: rules.Mean, MinSamples: 12,
}

// The offices: A escalates to B after 15 minutes, B to C after 10, C to
// nobody.
var (
	contactsA = []notify.Contact{{Name: "Wang Fang", Phone: "+86 21 5555 0101"}}
	contactsB = []notify.Contact{{Name: "Li Wei", Phone: "+86 21 5555 0202"}, {Name: "Zhao Min"}}
	contactsC = []notify.Contact{{Name: "Chen Jie", Phone: "+86 21 5555 0303"}}
	offices   = []alert.Office{
		{ID: "A", Name: "Xuhui dust office", Contacts: contactsA, EscalateAfter: 15 * time.Minute, EscalateTo: "B"},
		{ID: "B", Name: "Xuhui environment bureau", Contacts: contactsB, EscalateAfter: 10 * time.Minute, EscalateTo: "C"},
		{ID: "C", Name: "Shanghai environment bureau", Contacts: contactsC},
	}
)

// route sends every alert to office A, whatever the rule says.
func route(*rules.Rule, string) string { return "A" }

func place(device string) alert.Place {
	if device == "site-7" {
		return alert.Place{Site: "Longhua construction site", District: "Xuhui"}
	}
	return alert.Place{}
}

func opened(sensor string, at time.Time, v float64) rules.Transition {
	return rules.Transition{Change: rules.Opened, Rule: dust, Device: "site-7", Sensor: sensor,
		Time: at, Since: at.Add(-10 * time.Minute), Value: v, Samples: 12}
}

func cleared(sensor string, at time.Time, v float64) rules.Transition {
	return rules.Transition{Change: rules.Cleared, Rule: dust, Device: "site-7", Sensor: sensor,
		Time: at, Since: at.Add(-time.Hour), Value: v, Samples: 12}
}

func retro(tr rules.Transition) rules.Transition {
	tr.Retrospective = true
	return tr
}

// idOf is the id of the alert dust raises on site-7's sensor at t.
func idOf(sensor string, t time.Time) string {
	return alert.ID("construction-dust", "pm25-1h", "site-7", sensor, t)
}

// clock is the collector's clock, set by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// sender records the messages it queues; while err is set it queues
// nothing and fails.
type sender struct {
	mu  sync.Mutex
	got []notify.Message
	err error
	log *[]string // when set, "send <key>" is appended to it
}

func (s *sender) Send(_ context.Context, m notify.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.got = append(s.got, m)
	if s.log != nil {
		*s.log = append(*s.log, "send "+m.Key)
	}
	return nil
}

func (s *sender) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// take returns the messages queued since the last take.
func (s *sender) take() []notify.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := s.got
	s.got = nil
	return got
}

// faultyStore passes through to a real store; while putErr is set PutAlert
// fails, and log records the puts.
type faultyStore struct {
	alert.Store
	putErr error
	log    *[]string
}

func (f *faultyStore) PutAlert(ctx context.Context, a store.Alert) error {
	if f.putErr != nil {
		return f.putErr
	}
	if f.log != nil {
		*f.log = append(*f.log, "put "+a.ID+" "+a.State)
	}
	return f.Store.PutAlert(ctx, a)
}

// env is a manager over a real bbolt store.
type env struct {
	t     *testing.T
	path  string
	db    *bolt.DB
	out   *sender
	clock *clock
	opts  alert.Opts
	m     *alert.Manager
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "c.db"), out: &sender{}, clock: &clock{t: raised}}
	e.opts = alert.Opts{Offices: offices, Route: route, Place: place, Now: e.clock.Now}
	e.db = openDB(t, e.path)
	e.m = e.manager(e.db)
	return e
}

func openDB(t *testing.T, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// manager starts a manager over st with e's options.
func (e *env) manager(st alert.Store) *alert.Manager {
	e.t.Helper()
	m, err := alert.New(context.Background(), st, e.out, e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// restart closes the store and starts a new manager over it, as a
// collector restart does.
func (e *env) restart() {
	e.t.Helper()
	if err := e.db.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.db = openDB(e.t, e.path)
	e.m = e.manager(e.db)
}

func (e *env) apply(trs ...rules.Transition) {
	e.t.Helper()
	if err := e.m.Apply(context.Background(), trs); err != nil {
		e.t.Fatalf("Apply: %v", err)
	}
}

func (e *env) tick(at time.Time) {
	e.t.Helper()
	e.clock.set(at)
	if err := e.m.Tick(context.Background()); err != nil {
		e.t.Fatalf("Tick at %v: %v", at, err)
	}
}

// stored returns every stored alert, newest opened first.
func (e *env) stored() []store.Alert {
	e.t.Helper()
	all, err := e.db.Alerts(context.Background(), store.AlertQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	return all
}

func (e *env) alert(id string) store.Alert {
	e.t.Helper()
	a, err := e.db.Alert(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// openDust applies dust's Opened for site-7's sensor dust at t1, takes the
// message it queued and returns the alert's id.
func (e *env) openDust() string {
	e.t.Helper()
	e.apply(opened("dust", t1, 80.126))
	e.out.take()
	return idOf("dust", t1)
}

// act runs an operator's action (e.m.Ack, e.m.Resolve) on id for by, and
// requires it to succeed and return want, which must then be the only
// alert stored, with msgs the only messages queued.
func (e *env) act(what string, action func(context.Context, string, string) (store.Alert, error), id, by string, want store.Alert, msgs ...notify.Message) {
	e.t.Helper()
	got, err := action(context.Background(), id, by)
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
	same(e.t, what, got, want)
	e.holds("after "+what, want, msgs...)
}

// holds checks that want is the only alert stored and msgs the only
// messages queued since the last check.
func (e *env) holds(when string, want store.Alert, msgs ...notify.Message) {
	e.t.Helper()
	same(e.t, "stored "+when, e.stored(), []store.Alert{want})
	e.sent(msgs...)
}

// noAlert checks that no alert id is stored.
func (e *env) noAlert(id string) {
	e.t.Helper()
	if a, err := e.db.Alert(context.Background(), id); !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("alert %s: got %+v, %v; want store.ErrNotFound", id, a, err)
	}
}

// sent checks the messages queued since the last check.
func (e *env) sent(want ...notify.Message) {
	e.t.Helper()
	same(e.t, "messages", e.out.take(), want)
}

// keys lists the messages' keys.
func keys(ms []notify.Message) []string {
	var ks []string
	for _, m := range ms {
		ks = append(ks, m.Key)
	}
	return ks
}

func msg(key, event string, a store.Alert, office, note string) notify.Message {
	m := notify.Message{Key: key, Event: event, Alert: a, Office: office, Note: note}
	for _, o := range offices {
		if o.ID == office {
			m.OfficeName, m.Contacts = o.Name, o.Contacts
		}
	}
	return m
}

// same fails unless got equals want, showing both as JSON.
func same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("%s:\n%s\nwant\n%s", what, g, w)
	}
}

func ptr[T any](v T) *T { return &v }
