package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/alert"
	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/cloud/web"
	"github.com/xiuhua/xiuhua/telemetry"
)

// alertsFixture is a store with five alerts, newest opened first:
//
//	d1  site-7   dust      city-ops (escalated to district-env, city-env)  warning   open          08:10
//	e1  lift-3   elevator  elevator-safety                                  critical  open          08:10 (retrospective)
//	d2  site-7   dust      city-ops                                         warning   acknowledged  08:05
//	w1  river-1  water     river-chief                                      critical  resolved      08:00
//	s1  river-1  sensor    river-chief                                      info      resolved      07:00
func alertsFixture(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	at := func(d time.Duration) *time.Time {
		t := t0.Add(d)
		return &t
	}
	dust := func(id string, opened time.Duration) store.Alert {
		return store.Alert{ID: id, Rule: "pm25-1h", Kind: "window", Plan: "construction-dust", Category: "dust",
			Device: "site-7", Sensor: "dust", Quantity: telemetry.PM2_5, Site: "longhua", District: "xuhui",
			Office: "city-ops", Severity: "warning", State: store.Open, Opened: t0.Add(opened),
			Raised: t0.Add(opened + 2*time.Second), Value: 80.5, Limit: 75, Unit: "ug/m3",
			Message: "PM2.5 hourly mean: site-7/dust pm2_5 mean over 1h is 80.5 ug/m3, above 75"}
	}
	d1 := dust("d1", 10*time.Minute)
	d1.Escalation, d1.Escalated, d1.EscalatedAt = 2, []string{"district-env", "city-env"}, at(40*time.Minute)
	d2 := dust("d2", 5*time.Minute)
	d2.State, d2.AckedAt, d2.AckedBy = store.Acknowledged, at(7*time.Minute), "Wang Fang"
	for _, a := range []store.Alert{
		d1, d2,
		{ID: "e1", Rule: "trapped", Kind: "event", Plan: "elevator-safety", Category: "elevator", Device: "lift-3",
			Sensor: "edge", Quantity: "event_trapped", Office: "elevator-safety", Severity: "critical", State: store.Open,
			Opened: t0.Add(10 * time.Minute), Raised: t0.Add(time.Hour), Retrospective: true, Value: 1, Limit: 1,
			Message: "Passengers trapped: lift-3/edge reported event_trapped; found in data that arrived late"},
		{ID: "w1", Rule: "warning-level", Kind: "threshold", Plan: "huangpu-flood", Category: "water", Device: "river-1",
			Sensor: "level", Quantity: telemetry.WaterLevel, Office: "river-chief", Severity: "critical",
			State: store.Resolved, Opened: t0, Resolved: at(20 * time.Minute), ResolvedBy: "auto", Raised: t0.Add(time.Second),
			Flaps: 2, Value: 3.1, Limit: 3.4, Unit: "m", Message: "water level back under the warning level"},
		{ID: "s1", Rule: "silent", Kind: "silence", Plan: "huangpu-flood", Category: "sensor", Device: "river-1",
			Sensor: "level", Quantity: telemetry.WaterLevel, Office: "river-chief", Severity: "info",
			State: store.Resolved, Opened: t0.Add(-time.Hour), Resolved: at(-30 * time.Minute), ResolvedBy: "Li Wei",
			Raised: t0.Add(-time.Hour), Value: 600, Limit: 600, Unit: "s", Message: "level sent no water_level since 06:50"},
	} {
		if err := db.PutAlert(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// listed returns the ids GET target lists, failing unless it is a 200.
func listed(t *testing.T, h http.Handler, target string) []string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", target, rec.Code, rec.Body)
	}
	var body struct {
		Alerts []struct {
			ID string `json:"id"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("GET %s: %v: %s", target, err, rec.Body)
	}
	if body.Alerts == nil {
		t.Fatalf("GET %s: no alerts list: %s", target, rec.Body)
	}
	ids := []string{}
	for _, a := range body.Alerts {
		ids = append(ids, a.ID)
	}
	return ids
}

func TestAlertFilters(t *testing.T) {
	h := web.New(alertsFixture(t), nil)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"d1", "e1", "d2", "w1", "s1"}},
		{"state=open", []string{"d1", "e1"}},
		{"state=acknowledged", []string{"d2"}},
		{"state=resolved", []string{"w1", "s1"}},
		{"active=true", []string{"d1", "e1", "d2"}},
		{"active=false", []string{"d1", "e1", "d2", "w1", "s1"}},
		{"office=city-ops", []string{"d1", "d2"}},
		{"office=district-env", []string{"d1"}}, // escalated to
		{"office=city-env", []string{"d1"}},     // escalated further
		{"office=river-chief", []string{"w1", "s1"}},
		{"office=nobody", []string{}},
		{"device=site-7", []string{"d1", "d2"}},
		{"device=river-1", []string{"w1", "s1"}},
		{"device=site-8", []string{}},
		{"plan=huangpu-flood", []string{"w1", "s1"}},
		{"plan=elevator-safety", []string{"e1"}},
		{"category=dust", []string{"d1", "d2"}},
		{"category=sensor", []string{"s1"}},
		{"category=air", []string{}},
		{"severity=critical", []string{"e1", "w1"}},
		{"severity=info", []string{"s1"}},
		{"from=2026-03-01T08:05:00Z", []string{"d1", "e1", "d2"}},                          // from ≤ opened
		{"to=2026-03-01T08:05:00Z", []string{"w1", "s1"}},                                  // opened < to
		{"from=2026-03-01T16:00:00%2B08:00&to=2026-03-01T08:10:00Z", []string{"d2", "w1"}}, // another zone
		{"from=2026-03-01T08:10:00.001Z", []string{}},
		{"limit=2", []string{"d1", "e1"}},
		{"limit=100000", []string{"d1", "e1", "d2", "w1", "s1"}},
		{"state=open&office=city-env", []string{"d1"}},
		{"active=true&severity=critical", []string{"e1"}},
		{"device=river-1&category=water&state=resolved&plan=huangpu-flood&office=river-chief&severity=critical", []string{"w1"}},
		{"office=city-ops&active=true&limit=1", []string{"d1"}},
		{"state=", []string{"d1", "e1", "d2", "w1", "s1"}}, // empty is absent
	} {
		if got := listed(t, h, "/api/v1/alerts?"+tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("?%s: %q, want %q", tc.query, got, tc.want)
		}
	}
}

func TestAlertBadFilters(t *testing.T) {
	h := web.New(alertsFixture(t), nil)
	const use = "use state, active, office, device, plan, category, severity, from, to, limit"
	check(t, h, []exchange{
		{name: "state", target: "/api/v1/alerts?state=closed", status: 400,
			body: `{"error":"state: \"closed\" is not an alert state; use open, acknowledged or resolved"}`},
		{name: "state twice", target: "/api/v1/alerts?state=open&state=resolved", status: 400,
			body: `{"error":"state: given 2 times; give it once"}`},
		{name: "active", target: "/api/v1/alerts?active=yes", status: 400, body: `{"error":"active: \"yes\" is not true or false"}`},
		{name: "active and resolved", target: "/api/v1/alerts?active=true&state=resolved", status: 400,
			body: `{"error":"active: true selects the alerts not resolved, but state is resolved; give one of them"}`},
		{name: "office twice", target: "/api/v1/alerts?office=a&office=b", status: 400, body: `{"error":"office: given 2 times; give it once"}`},
		{name: "device", target: "/api/v1/alerts?device=a%2Fb", status: 400,
			body: `{"error":"device: device id \"a/b\" has '/' at 1; only letters, digits, '.', '_' and '-' are allowed"}`},
		{name: "plan twice", target: "/api/v1/alerts?plan=a&plan=a", status: 400, body: `{"error":"plan: given 2 times; give it once"}`},
		{name: "category", target: "/api/v1/alerts?category=noise", status: 400,
			body: `{"error":"category: \"noise\" is not a category; use one of dust, air, water, elevator, sensor"}`},
		{name: "severity", target: "/api/v1/alerts?severity=high", status: 400,
			body: `{"error":"severity: \"high\" is not a severity; use one of info, warning, critical"}`},
		{name: "from", target: "/api/v1/alerts?from=yesterday", status: 400,
			body: `{"error":"from: \"yesterday\" is not an RFC 3339 time such as 2026-03-01T08:00:00Z"}`},
		{name: "to, unescaped plus", target: "/api/v1/alerts?to=2026-03-01T16:00:00+08:00", status: 400,
			body: `{"error":"to: \"2026-03-01T16:00:00 08:00\" is not an RFC 3339 time such as 2026-03-01T08:00:00Z (write a '+' in a URL as %2B)"}`},
		{name: "from after to", target: "/api/v1/alerts?from=2026-03-01T09:00:00Z&to=2026-03-01T08:00:00Z", status: 400,
			body: `{"error":"from: 2026-03-01T09:00:00Z is after to 2026-03-01T08:00:00Z"}`},
		{name: "limit 0", target: "/api/v1/alerts?limit=0", status: 400, body: `{"error":"limit: \"0\" is not a whole number from 1 to 100000"}`},
		{name: "limit negative", target: "/api/v1/alerts?limit=-1", status: 400, body: `{"error":"limit: \"-1\" is not a whole number from 1 to 100000"}`},
		{name: "limit word", target: "/api/v1/alerts?limit=ten", status: 400, body: `{"error":"limit: \"ten\" is not a whole number from 1 to 100000"}`},
		{name: "limit too big", target: "/api/v1/alerts?limit=100001", status: 400, body: `{"error":"limit: \"100001\" is not a whole number from 1 to 100000"}`},
		{name: "unknown", target: "/api/v1/alerts?offfice=city-ops", status: 400, body: `{"error":"offfice: not a parameter here; ` + use + `"}`},
		{name: "escape", target: "/api/v1/alerts?state=%zz", status: 400, body: `{"error":"query string: invalid URL escape \"%zz\""}`},
		{name: "method", method: http.MethodPost, target: "/api/v1/alerts", status: 405, body: `{"error":"method POST is not allowed; use GET"}`},
	})
}

// d1JSON is alert d1 of alertsFixture as the API shows it.
const d1JSON = `{"id":"d1","rule":"pm25-1h","kind":"window","plan":"construction-dust","category":"dust","device":"site-7","sensor":"dust",` +
	`"quantity":"pm2_5","site":"longhua","district":"xuhui","office":"city-ops","severity":"warning","state":"open",` +
	`"opened":"2026-03-01T08:10:00Z","raised":"2026-03-01T08:10:02Z","escalation":2,"escalated":["district-env","city-env"],` +
	`"escalated_at":"2026-03-01T08:40:00Z","value":80.5,"limit":75,"unit":"ug/m3",` +
	`"message":"PM2.5 hourly mean: site-7/dust pm2_5 mean over 1h is 80.5 ug/m3, above 75"}`

func TestAlertByID(t *testing.T) {
	h := web.New(alertsFixture(t), nil)
	check(t, h, []exchange{
		{name: "found", target: "/api/v1/alerts/d1", status: 200, body: d1JSON},
		{name: "resolved by hand", target: "/api/v1/alerts/s1", status: 200,
			body: `{"id":"s1","rule":"silent","kind":"silence","plan":"huangpu-flood","category":"sensor","device":"river-1","sensor":"level",` +
				`"quantity":"water_level","office":"river-chief","severity":"info","state":"resolved","opened":"2026-03-01T07:00:00Z",` +
				`"resolved":"2026-03-01T07:30:00Z","raised":"2026-03-01T07:00:00Z","resolved_by":"Li Wei","value":600,"limit":600,"unit":"s",` +
				`"message":"level sent no water_level since 06:50"}`},
		{name: "unknown", target: "/api/v1/alerts/d9", status: 404, body: `{"error":"no alert with id \"d9\""}`},
		{name: "method", method: http.MethodDelete, target: "/api/v1/alerts/d1", status: 405, body: `{"error":"method DELETE is not allowed; use GET"}`},
	})
}

// lifecycleEnv is the API over alertsFixture with the real alert manager
// and a notifier that queues into the same store. The collector's clock
// stands at 09:00.
type lifecycleEnv struct {
	db *bolt.DB
	h  http.Handler
}

var nine = t0.Add(time.Hour)

func newLifecycleEnv(t *testing.T) *lifecycleEnv {
	t.Helper()
	db := alertsFixture(t)
	now := func() time.Time { return nine }
	n, err := notify.New(db, notify.Opts{Now: now,
		Channels: []notify.Channel{{Name: "duty", Type: notify.Webhook, URL: "http://127.0.0.1:9/hook"}}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := alert.New(context.Background(), db, n, alert.Opts{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return &lifecycleEnv{db: db, h: web.New(db, &web.Opts{Lifecycle: m})}
}

// anyBody tells post not to check the body.
const anyBody = "\x00"

// post sends body (none when "") to target and checks the answer.
func (e *lifecycleEnv) post(t *testing.T, target, body string, status int, want string) {
	t.Helper()
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(http.MethodPost, target, nil)
	} else {
		r = httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	if rec.Code != status {
		t.Errorf("POST %s %s: status %d, want %d", target, body, rec.Code, status)
	}
	if got := strings.TrimSuffix(rec.Body.String(), "\n"); want != anyBody && got != want {
		t.Errorf("POST %s %s: body\n%s\nwant\n%s", target, body, got, want)
	}
}

// queued lists the keys of the messages queued for the offices, and who
// each says acted.
func (e *lifecycleEnv) queued(t *testing.T) []string {
	t.Helper()
	ns, err := e.db.Notifications(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		var m notify.Message
		if err := json.Unmarshal(n.Body, &m); err != nil {
			t.Fatalf("notification %s: %v", n.Key, err)
		}
		out = append(out, n.Key+" acked_by="+m.Alert.AckedBy+" resolved_by="+m.Alert.ResolvedBy)
	}
	return out
}

func (e *lifecycleEnv) stored(t *testing.T, id string) store.Alert {
	t.Helper()
	a, err := e.db.Alert(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAck(t *testing.T) {
	e := newLifecycleEnv(t)
	acked := strings.Replace(d1JSON, `"state":"open"`, `"state":"acknowledged"`, 1)
	acked = strings.Replace(acked, `,"escalation":2`, `,"acked_at":"2026-03-01T09:00:00Z","acked_by":"Wang Fang","escalation":2`, 1)
	e.post(t, "/api/v1/alerts/d1/ack", `{"by": "Wang Fang"}`, 200, acked)
	a := e.stored(t, "d1")
	if a.State != store.Acknowledged || a.AckedBy != "Wang Fang" || !a.AckedAt.Equal(nine) {
		t.Errorf("stored after ack: %+v", a)
	}
	// The alert's office and both it was escalated to are told.
	want := []string{
		"d1:alert.acknowledged:city-ops acked_by=Wang Fang resolved_by=",
		"d1:alert.acknowledged:district-env acked_by=Wang Fang resolved_by=",
		"d1:alert.acknowledged:city-env acked_by=Wang Fang resolved_by=",
	}
	if got := e.queued(t); !slices.Equal(got, want) {
		t.Errorf("queued %q, want %q", got, want)
	}
	// Again, by someone else: nothing changes, nothing is told.
	e.post(t, "/api/v1/alerts/d1/ack", `{"by": "Li Wei"}`, 200, acked)
	if got := e.queued(t); !slices.Equal(got, want) {
		t.Errorf("after a second ack: queued %q, want %q", got, want)
	}

	// No body: the API acts.
	e.post(t, "/api/v1/alerts/e1/ack", "", 200, anyBody)
	if a := e.stored(t, "e1"); a.AckedBy != "api" || a.State != store.Acknowledged {
		t.Errorf("e1 after an ack without a body: %+v", a)
	}
}

func TestAckRefused(t *testing.T) {
	e := newLifecycleEnv(t)
	e.post(t, "/api/v1/alerts/w1/ack", `{"by": "Wang Fang"}`, 409,
		`{"error":"alert \"w1\" is resolved; a resolved alert cannot be acknowledged"}`)
	e.post(t, "/api/v1/alerts/nope/ack", `{"by": "Wang Fang"}`, 404, `{"error":"no alert with id \"nope\""}`)
	const bad = `{"error":"by: must name who acts, in 1 to 100 bytes without control characters"}`
	for _, tc := range []struct{ body, want string }{
		{`{"by": "Wang`, `{"error":"body: not JSON such as {\"by\": \"duty officer\"}: unexpected EOF"}`},
		{`by=Wang`, `{"error":"body: not JSON such as {\"by\": \"duty officer\"}: invalid character 'b' looking for beginning of value"}`},
		{`{"by": "Wang", "when": "now"}`, `{"error":"body: not JSON such as {\"by\": \"duty officer\"}: json: unknown field \"when\""}`},
		{`{"by": "Wang"} {"by": "Li"}`, `{"error":"body: not JSON such as {\"by\": \"duty officer\"}: more after the object"}`},
		{`{"by": 7}`, `{"error":"body: not JSON such as {\"by\": \"duty officer\"}: json: cannot unmarshal number into Go struct field actor.by of type string"}`},
		{`{"by": ""}`, bad},
		{`{}`, bad},
		{`{"by": "` + strings.Repeat("x", 101) + `"}`, bad},
		{`{"by": "Wang\nFang"}`, bad},
	} {
		e.post(t, "/api/v1/alerts/d1/ack", tc.body, 400, tc.want)
	}
	e.post(t, "/api/v1/alerts/d1/ack", `{"by": "`+strings.Repeat("x", 5000)+`"}`, 413, `{"error":"body: over 4096 bytes"}`)
	if a := e.stored(t, "d1"); a.State != store.Open || a.AckedAt != nil {
		t.Errorf("d1 after refused acks: %+v", a)
	}
	if got := e.queued(t); got != nil {
		t.Errorf("refused acks queued %q", got)
	}
	check(t, e.h, []exchange{
		{name: "GET ack", target: "/api/v1/alerts/d1/ack", status: 405, body: `{"error":"method GET is not allowed; use POST"}`},
	})
}

func TestResolve(t *testing.T) {
	e := newLifecycleEnv(t)
	resolved := strings.Replace(d1JSON, `"state":"open"`, `"state":"resolved"`, 1)
	resolved = strings.Replace(resolved, `,"raised"`, `,"resolved":"2026-03-01T09:00:00Z","raised"`, 1)
	resolved = strings.Replace(resolved, `,"escalation":2`, `,"resolved_by":"Zhao Min","escalation":2`, 1)
	e.post(t, "/api/v1/alerts/d1/resolve", `{"by": "Zhao Min"}`, 200, resolved)
	want := []string{
		"d1:alert.resolved:city-ops acked_by= resolved_by=Zhao Min",
		"d1:alert.resolved:district-env acked_by= resolved_by=Zhao Min",
		"d1:alert.resolved:city-env acked_by= resolved_by=Zhao Min",
	}
	if got := e.queued(t); !slices.Equal(got, want) {
		t.Errorf("queued %q, want %q", got, want)
	}
	// Resolving again changes nothing: the first resolver stays.
	e.post(t, "/api/v1/alerts/d1/resolve", `{"by": "Li Wei"}`, 200, resolved)
	if got := e.queued(t); !slices.Equal(got, want) {
		t.Errorf("after resolving again: queued %q, want %q", got, want)
	}
	// A resolved alert cannot be acknowledged any more.
	e.post(t, "/api/v1/alerts/d1/ack", "", 409, `{"error":"alert \"d1\" is resolved; a resolved alert cannot be acknowledged"}`)
	// An acknowledged alert can be resolved; the acknowledgement stays.
	e.post(t, "/api/v1/alerts/d2/resolve", "", 200, anyBody)
	if a := e.stored(t, "d2"); a.State != store.Resolved || a.ResolvedBy != "api" || a.AckedBy != "Wang Fang" || !a.Resolved.Equal(nine) {
		t.Errorf("d2 after resolving: %+v", a)
	}
	e.post(t, "/api/v1/alerts/nope/resolve", `{"by": "Li Wei"}`, 404, `{"error":"no alert with id \"nope\""}`)
	e.post(t, "/api/v1/alerts/e1/resolve", `{"by":`, 400, `{"error":"body: not JSON such as {\"by\": \"duty officer\"}: unexpected EOF"}`)
	if a := e.stored(t, "e1"); a.State != store.Open {
		t.Errorf("e1 after a bad resolve: %+v", a)
	}
}

// Without a Lifecycle the API cannot change alerts.
func TestNoLifecycle(t *testing.T) {
	check(t, web.New(alertsFixture(t), nil), []exchange{
		{name: "ack", method: http.MethodPost, target: "/api/v1/alerts/d1/ack", status: 503, body: `{"error":"alerts cannot be changed here"}`},
		{name: "resolve", method: http.MethodPost, target: "/api/v1/alerts/d1/resolve", status: 503, body: `{"error":"alerts cannot be changed here"}`},
	})
}

// failingLifecycle fails as a store does, with a detail the client must
// not see.
type failingLifecycle struct{}

func (failingLifecycle) Ack(context.Context, string, string) (store.Alert, error) {
	return store.Alert{}, errSecret
}

func (failingLifecycle) Resolve(context.Context, string, string) (store.Alert, error) {
	return store.Alert{}, errSecret
}

func TestLifecycleErrors(t *testing.T) {
	check(t, web.New(alertsFixture(t), &web.Opts{Lifecycle: failingLifecycle{}}), []exchange{
		{name: "ack", method: http.MethodPost, target: "/api/v1/alerts/d1/ack", status: 500, body: `{"error":"internal error"}`},
		{name: "resolve", method: http.MethodPost, target: "/api/v1/alerts/d1/resolve", status: 500, body: `{"error":"internal error"}`},
	})
}
