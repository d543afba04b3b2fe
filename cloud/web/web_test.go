package web_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/cloud/web"
	"github.com/xiuhua/xiuhua/telemetry"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// fixture is a store with two devices, one of them with a gap, and two
// alerts.
func fixture(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	level := func(seq uint64, v float64, at time.Duration) telemetry.Record {
		return telemetry.Record{Seq: seq, Reading: telemetry.Reading{
			Sensor: "level", Quantity: telemetry.WaterLevel, Value: v, Time: t0.Add(at),
		}}
	}
	ctx := context.Background()
	_, err = db.Append(ctx, t0.Add(time.Minute),
		telemetry.Batch{Device: "river-1", Records: []telemetry.Record{
			level(1, 3.12, 0), level(2, 3.25, 10*time.Second), level(4, 3.5, 30*time.Second+500*time.Millisecond),
		}},
		telemetry.Batch{Device: "site-7", Records: []telemetry.Record{
			{Seq: 1, Reading: telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM2_5, Value: 35.5, Time: t0, Quality: telemetry.Suspect}},
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	// A re-send, so that the duplicate count shows.
	if _, err := db.Append(ctx, t0.Add(2*time.Minute), telemetry.Batch{Device: "river-1", Records: []telemetry.Record{level(2, 3.25, 10*time.Second)}}); err != nil {
		t.Fatal(err)
	}
	resolved := t0.Add(20 * time.Minute)
	for _, a := range []store.Alert{
		{ID: "a1", Rule: "warning-level", Plan: "river", Device: "river-1", Sensor: "level", Quantity: telemetry.WaterLevel,
			Office: "river-chief", Severity: "warning", State: store.Resolved, Opened: t0, Resolved: &resolved,
			Value: 3.1, Limit: 3.4, Unit: "m", Message: "water level back under the warning level"},
		{ID: "a2", Rule: "pm2_5-24h", Plan: "dust", Device: "site-7", Sensor: "dust", Quantity: telemetry.PM2_5,
			Office: "city-operations", Severity: "warning", State: store.Open, Opened: t0.Add(5 * time.Minute),
			Value: 61, Limit: 60, Unit: "ug/m3", Message: "PM2.5 over 60"},
	} {
		if err := db.PutAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

type exchange struct {
	name, method, target string
	status               int
	body                 string
}

func check(t *testing.T, h http.Handler, tests []exchange) {
	t.Helper()
	for _, tc := range tests {
		method := tc.method
		if method == "" {
			method = http.MethodGet
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, tc.target, nil))
		if rec.Code != tc.status {
			t.Errorf("%s: %s %s: status %d, want %d", tc.name, method, tc.target, rec.Code, tc.status)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", tc.name, ct)
		}
		if got := strings.TrimSuffix(rec.Body.String(), "\n"); got != tc.body {
			t.Errorf("%s: %s %s: body\n%s\nwant\n%s", tc.name, method, tc.target, got, tc.body)
		}
	}
}

func TestAPI(t *testing.T) {
	h := web.New(fixture(t), nil)
	const r1 = `{"seq":1,"sensor":"level","quantity":"water_level","value":3.12,"unit":"m","time":"2026-03-01T08:00:00Z","quality":"good"}`
	const r2 = `{"seq":2,"sensor":"level","quantity":"water_level","value":3.25,"unit":"m","time":"2026-03-01T08:00:10Z","quality":"good"}`
	const r4 = `{"seq":4,"sensor":"level","quantity":"water_level","value":3.5,"unit":"m","time":"2026-03-01T08:00:30.5Z","quality":"good"}`
	check(t, h, []exchange{
		{name: "health", target: "/healthz", status: 200, body: `{"status":"ok"}`},
		{name: "devices", target: "/api/v1/devices", status: 200, body: `[` +
			`{"id":"river-1","last_seen":"2026-03-01T08:02:00Z","seq_high":4,"missing":[{"first":3,"last":3}],"received":3,"duplicates":1},` +
			`{"id":"site-7","last_seen":"2026-03-01T08:01:00Z","seq_high":1,"missing":[],"received":1,"duplicates":0}]`},
		{name: "readings", target: "/api/v1/readings?device=river-1&from=2026-03-01T08:00:00Z&to=2026-03-01T09:00:00Z", status: 200,
			body: `{"device":"river-1","from":"2026-03-01T08:00:00Z","to":"2026-03-01T09:00:00Z","readings":[` + r1 + `,` + r2 + `,` + r4 + `]}`},
		{name: "readings, another zone, half open", target: "/api/v1/readings?device=river-1&from=2026-03-01T16:00:10%2B08:00&to=2026-03-01T08:00:30.5Z", status: 200,
			body: `{"device":"river-1","from":"2026-03-01T08:00:10Z","to":"2026-03-01T08:00:30.5Z","readings":[` + r2 + `]}`},
		{name: "readings, limit", target: "/api/v1/readings?device=river-1&from=2026-03-01T08:00:00Z&to=2026-03-01T09:00:00Z&limit=2", status: 200,
			body: `{"device":"river-1","from":"2026-03-01T08:00:00Z","to":"2026-03-01T09:00:00Z","readings":[` + r1 + `,` + r2 + `]}`},
		{name: "readings, quality and unit", target: "/api/v1/readings?device=site-7&from=2026-03-01T08:00:00Z&to=2026-03-01T08:00:00.001Z", status: 200,
			body: `{"device":"site-7","from":"2026-03-01T08:00:00Z","to":"2026-03-01T08:00:00.001Z","readings":[` +
				`{"seq":1,"sensor":"dust","quantity":"pm2_5","value":35.5,"unit":"ug/m3","time":"2026-03-01T08:00:00Z","quality":"suspect"}]}`},
		{name: "readings, none", target: "/api/v1/readings?device=nobody&from=2026-03-01T08:00:00Z&to=2026-03-01T08:00:00Z", status: 200,
			body: `{"device":"nobody","from":"2026-03-01T08:00:00Z","to":"2026-03-01T08:00:00Z","readings":[]}`},
		{name: "alerts", target: "/api/v1/alerts", status: 200, body: `{"alerts":[` +
			`{"id":"a2","rule":"pm2_5-24h","plan":"dust","device":"site-7","sensor":"dust","quantity":"pm2_5","office":"city-operations","severity":"warning","state":"open","opened":"2026-03-01T08:05:00Z","value":61,"limit":60,"unit":"ug/m3","message":"PM2.5 over 60"},` +
			`{"id":"a1","rule":"warning-level","plan":"river","device":"river-1","sensor":"level","quantity":"water_level","office":"river-chief","severity":"warning","state":"resolved","opened":"2026-03-01T08:00:00Z","resolved":"2026-03-01T08:20:00Z","value":3.1,"limit":3.4,"unit":"m","message":"water level back under the warning level"}]}`},
	})
}

func TestBadInput(t *testing.T) {
	h := web.New(fixture(t), nil)
	const from, to = "&from=2026-03-01T08:00:00Z", "&to=2026-03-01T09:00:00Z"
	check(t, h, []exchange{
		{name: "no device", target: "/api/v1/readings?" + from + to, status: 400, body: `{"error":"device: missing"}`},
		{name: "device twice", target: "/api/v1/readings?device=a&device=b" + from + to, status: 400, body: `{"error":"device: given 2 times; give it once"}`},
		{name: "bad device", target: "/api/v1/readings?device=a%2Fb" + from + to, status: 400,
			body: `{"error":"device: device id \"a/b\" has '/' at 1; only letters, digits, '.', '_' and '-' are allowed"}`},
		{name: "no from", target: "/api/v1/readings?device=a" + to, status: 400,
			body: `{"error":"from: missing; give an RFC 3339 time such as 2026-03-01T08:00:00Z"}`},
		{name: "bad to", target: "/api/v1/readings?device=a" + from + "&to=yesterday", status: 400,
			body: `{"error":"to: \"yesterday\" is not an RFC 3339 time such as 2026-03-01T08:00:00Z"}`},
		{name: "unescaped plus", target: "/api/v1/readings?device=a&from=2026-03-01T16:00:00+08:00" + to, status: 400,
			body: `{"error":"from: \"2026-03-01T16:00:00 08:00\" is not an RFC 3339 time such as 2026-03-01T08:00:00Z (write a '+' in a URL as %2B)"}`},
		{name: "from after to", target: "/api/v1/readings?device=a&from=2026-03-01T10:00:00Z" + to, status: 400,
			body: `{"error":"from: 2026-03-01T10:00:00Z is after to 2026-03-01T09:00:00Z"}`},
		{name: "limit 0", target: "/api/v1/readings?device=a" + from + to + "&limit=0", status: 400,
			body: `{"error":"limit: \"0\" is not a whole number from 1 to 100000"}`},
		{name: "limit too big", target: "/api/v1/readings?device=a" + from + to + "&limit=100001", status: 400,
			body: `{"error":"limit: \"100001\" is not a whole number from 1 to 100000"}`},
		{name: "limit not a number", target: "/api/v1/readings?device=a" + from + to + "&limit=ten", status: 400,
			body: `{"error":"limit: \"ten\" is not a whole number from 1 to 100000"}`},
		{name: "bad escape", target: "/api/v1/readings?device=%zz", status: 400, body: `{"error":"query string: invalid URL escape \"%zz\""}`},
		{name: "unknown path", target: "/api/v1/nothing", status: 404, body: `{"error":"no such path: /api/v1/nothing"}`},
		{name: "trailing slash", target: "/api/v1/devices/", status: 404, body: `{"error":"no such path: /api/v1/devices/"}`},
		{name: "method", method: http.MethodPost, target: "/api/v1/devices", status: 405, body: `{"error":"method POST is not allowed; use GET"}`},
	})
}

func TestMethodAllow(t *testing.T) {
	rec := httptest.NewRecorder()
	web.New(fixture(t), nil).ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/api/v1/alerts", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("DELETE: status %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestEmpty(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check(t, web.New(db, nil), []exchange{
		{name: "devices", target: "/api/v1/devices", status: 200, body: `[]`},
		{name: "alerts", target: "/api/v1/alerts", status: 200, body: `{"alerts":[]}`},
	})
}

func TestUnhealthy(t *testing.T) {
	h := web.New(fixture(t), &web.Opts{Health: func() error { return errors.New("broker: not connected") }})
	check(t, h, []exchange{
		{name: "health", target: "/healthz", status: 503, body: `{"status":"unhealthy","error":"broker: not connected"}`},
	})
}

// failing is a Source whose every call fails with a detail that must not
// reach the client.
type failing struct{}

var errSecret = errors.New("disk /var/lib/xiuhua/c.db: input/output error")

func (failing) Devices(context.Context) ([]store.Device, error) { return nil, errSecret }
func (failing) Readings(context.Context, store.ReadingQuery) ([]telemetry.Record, error) {
	return nil, errSecret
}
func (failing) Alerts(context.Context) ([]store.Alert, error) { return nil, errSecret }

func TestStoreErrors(t *testing.T) {
	closed := fixture(t)
	closed.Close()
	sources := []struct {
		name   string
		src    web.Source
		detail string
	}{
		{"failing", failing{}, errSecret.Error()},
		{"closed", closed, store.ErrClosed.Error()},
	}
	const internal = `{"error":"internal error"}`
	for _, s := range sources {
		var logged bytes.Buffer
		h := web.New(s.src, &web.Opts{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
		check(t, h, []exchange{
			{name: s.name + " devices", target: "/api/v1/devices", status: 500, body: internal},
			{name: s.name + " readings", target: "/api/v1/readings?device=a&from=2026-03-01T08:00:00Z&to=2026-03-01T09:00:00Z", status: 500, body: internal},
			{name: s.name + " alerts", target: "/api/v1/alerts", status: 500, body: internal},
		})
		if n := strings.Count(logged.String(), s.detail); n != 3 {
			t.Errorf("%s: the log holds the error %d times, want 3:\n%s", s.name, n, logged.String())
		}
	}
}

var _ web.Source = (*bolt.DB)(nil)
