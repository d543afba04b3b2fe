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

	"github.com/xiuhua/xiuhua/cloud/registry"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/cloud/web"
	"github.com/xiuhua/xiuhua/telemetry"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// fixture is a store with three devices, one of them with a gap, one
// with flagged readings and a condensed block, and two alerts.
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
		// Backlog: a reading timed after a clock correction, a block
		// condensed two hours back, and a reading nine minutes ahead of
		// its arrival.
		telemetry.Batch{Device: "site-9", Replay: true, Incarnation: 1 << 63, Records: []telemetry.Record{
			{Seq: 1, Reading: telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM10, Value: 40, Time: t0, Flags: telemetry.ClockCorrected}},
			{Seq: 4, Reading: telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM10, Value: 41, Time: t0.Add(10 * time.Minute)}},
		}, Condensed: []telemetry.Condensed{{Range: telemetry.Range{First: 2, Last: 3}, Aggregates: []telemetry.Aggregate{
			{Sensor: "dust", Quantity: telemetry.PM10, Minute: t0.Add(-2 * time.Hour), Count: 2, Min: 30, Max: 50, Mean: 40},
		}}}},
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

// states is a registry that has heard: river-1's birth and heartbeat,
// site-9's birth and last will, and lift-3's birth (it has sent no batch);
// nothing from site-7. It is read at 08:03.
func states(t *testing.T) *registry.Registry {
	t.Helper()
	now := t0
	r := registry.New(&registry.Opts{Now: func() time.Time { return now }})
	status := func(id, state string, at time.Duration) {
		now = t0.Add(at)
		if err := r.SetStatus(id, telemetry.Status{State: state}); err != nil {
			t.Fatal(err)
		}
	}
	status("lift-3", telemetry.Online, 30*time.Second)
	status("river-1", telemetry.Online, time.Minute)
	status("site-9", telemetry.Online, time.Minute)
	now = t0.Add(90 * time.Second)
	err := r.SetHeartbeat("river-1", telemetry.Heartbeat{
		Time:     t0.Add(90 * time.Second).In(time.FixedZone("CST", 8*3600)),
		Interval: telemetry.Duration(time.Minute), ConfigHash: "c0ffee", Clock: "synced",
		Outbox: telemetry.OutboxState{Depth: 2, OldestAgeS: 1.5, NextSeq: 5, BudgetBytes: 1 << 20, UsedBytes: 2048,
			AutonomyHours: 96, ReadingsPerMin: 6},
		Sensors: map[string]telemetry.SensorState{"level": {Open: true, Samples: 4}},
	})
	if err != nil {
		t.Fatal(err)
	}
	status("site-9", telemetry.Offline, 150*time.Second)
	now = t0.Add(3 * time.Minute)
	return r
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

// The device objects of the fixture and states.
const (
	devLift3 = `{"id":"lift-3","last_seen":null,"seq_high":0,"missing":[],"received":0,"duplicates":0,"condensed":0,"replayed":0,"future_time":0,` +
		`"incarnation":"0","incarnations":0,"previous_received":0,"stale_incarnation":0,` +
		`"online":true,"state":"online","state_since":"2026-03-01T08:00:30Z","state_reason":"","config_hash":"","last_heartbeat":null`
	devRiver1 = `{"id":"river-1","last_seen":"2026-03-01T08:02:00Z","seq_high":4,"missing":[{"first":3,"last":3}],"received":3,"duplicates":1,` +
		`"condensed":0,"replayed":0,"future_time":0,` +
		`"incarnation":"0","incarnations":1,"previous_received":0,"stale_incarnation":0,` +
		`"online":true,"state":"online","state_since":"2026-03-01T08:01:00Z","state_reason":"","config_hash":"c0ffee",` +
		`"last_heartbeat":{"time":"2026-03-01T08:01:30Z","interval":"1m0s","config_hash":"c0ffee","clock":"synced",` +
		`"outbox":{"depth":2,"oldest_age_s":1.5,"next_seq":5,"budget_bytes":1048576,"used_bytes":2048,"condensed":0,"autonomy_hours":96,"readings_per_min":6},` +
		`"sensors":{"level":{"open":true,"samples":4,"errors":0}}}`
	devSite7 = `{"id":"site-7","last_seen":"2026-03-01T08:01:00Z","seq_high":1,"missing":[],"received":1,"duplicates":0,"condensed":0,"replayed":0,"future_time":0,` +
		`"incarnation":"0","incarnations":1,"previous_received":0,"stale_incarnation":0,` +
		`"online":false,"state":"offline","state_since":null,"state_reason":"no status","config_hash":"","last_heartbeat":null`
	devSite9 = `{"id":"site-9","last_seen":"2026-03-01T08:01:00Z","seq_high":4,"missing":[],"received":4,"duplicates":0,"condensed":2,"replayed":2,"future_time":1,` +
		`"incarnation":"9223372036854775808","incarnations":1,"previous_received":0,"stale_incarnation":0,` +
		`"online":false,"state":"offline","state_since":"2026-03-01T08:02:30Z","state_reason":"last will","config_hash":"","last_heartbeat":null`
	aggSite9 = `{"sensor":"dust","quantity":"pm10","unit":"ug/m3","minute":"2026-03-01T06:00:00Z","count":2,"min":30,"max":50,"mean":40}`
)

func TestAPI(t *testing.T) {
	h := web.New(fixture(t), &web.Opts{States: states(t)})
	const r1 = `{"seq":1,"sensor":"level","quantity":"water_level","value":3.12,"unit":"m","time":"2026-03-01T08:00:00Z","quality":"good","flags":[]}`
	const r2 = `{"seq":2,"sensor":"level","quantity":"water_level","value":3.25,"unit":"m","time":"2026-03-01T08:00:10Z","quality":"good","flags":[]}`
	const r4 = `{"seq":4,"sensor":"level","quantity":"water_level","value":3.5,"unit":"m","time":"2026-03-01T08:00:30.5Z","quality":"good","flags":[]}`
	check(t, h, []exchange{
		{name: "health", target: "/healthz", status: 200, body: `{"status":"ok"}`},
		{name: "devices", target: "/api/v1/devices", status: 200,
			body: `[` + devLift3 + `},` + devRiver1 + `},` + devSite7 + `},` + devSite9 + `}]`},
		{name: "device with a batch and a status", target: "/api/v1/devices/site-9", status: 200,
			body: devSite9 + `,"aggregates_url":"/api/v1/aggregates?device=site-9"}`},
		{name: "device with a heartbeat", target: "/api/v1/devices/river-1", status: 200,
			body: devRiver1 + `,"aggregates_url":"/api/v1/aggregates?device=river-1"}`},
		{name: "device with a batch only", target: "/api/v1/devices/site-7", status: 200,
			body: devSite7 + `,"aggregates_url":"/api/v1/aggregates?device=site-7"}`},
		{name: "device with a status only", target: "/api/v1/devices/lift-3", status: 200,
			body: devLift3 + `,"aggregates_url":"/api/v1/aggregates?device=lift-3"}`},
		{name: "readings, flags", target: "/api/v1/readings?device=site-9&from=2026-03-01T06:00:00Z&to=2026-03-01T09:00:00Z", status: 200,
			body: `{"device":"site-9","from":"2026-03-01T06:00:00Z","to":"2026-03-01T09:00:00Z","readings":[` +
				`{"seq":1,"sensor":"dust","quantity":"pm10","value":40,"unit":"ug/m3","time":"2026-03-01T08:00:00Z","quality":"good","flags":["clock_corrected"]},` +
				`{"seq":4,"sensor":"dust","quantity":"pm10","value":41,"unit":"ug/m3","time":"2026-03-01T08:10:00Z","quality":"good","flags":["future_time"]}]}`},
		{name: "aggregates, all", target: "/api/v1/aggregates?device=site-9", status: 200,
			body: `{"device":"site-9","from":null,"to":null,"aggregates":[` + aggSite9 + `]}`},
		{name: "aggregates, half open", target: "/api/v1/aggregates?device=site-9&from=2026-03-01T14:00:00%2B08:00&to=2026-03-01T06:00:00.001Z", status: 200,
			body: `{"device":"site-9","from":"2026-03-01T06:00:00Z","to":"2026-03-01T06:00:00.001Z","aggregates":[` + aggSite9 + `]}`},
		{name: "aggregates, from only", target: "/api/v1/aggregates?device=site-9&from=2026-03-01T06:00:00.001Z", status: 200,
			body: `{"device":"site-9","from":"2026-03-01T06:00:00.001Z","to":null,"aggregates":[]}`},
		{name: "aggregates, to only, exclusive", target: "/api/v1/aggregates?device=site-9&to=2026-03-01T06:00:00Z&limit=5", status: 200,
			body: `{"device":"site-9","from":null,"to":"2026-03-01T06:00:00Z","aggregates":[]}`},
		{name: "aggregates, none", target: "/api/v1/aggregates?device=river-1", status: 200,
			body: `{"device":"river-1","from":null,"to":null,"aggregates":[]}`},
		{name: "readings", target: "/api/v1/readings?device=river-1&from=2026-03-01T08:00:00Z&to=2026-03-01T09:00:00Z", status: 200,
			body: `{"device":"river-1","from":"2026-03-01T08:00:00Z","to":"2026-03-01T09:00:00Z","readings":[` + r1 + `,` + r2 + `,` + r4 + `]}`},
		{name: "readings, another zone, half open", target: "/api/v1/readings?device=river-1&from=2026-03-01T16:00:10%2B08:00&to=2026-03-01T08:00:30.5Z", status: 200,
			body: `{"device":"river-1","from":"2026-03-01T08:00:10Z","to":"2026-03-01T08:00:30.5Z","readings":[` + r2 + `]}`},
		{name: "readings, limit", target: "/api/v1/readings?device=river-1&from=2026-03-01T08:00:00Z&to=2026-03-01T09:00:00Z&limit=2", status: 200,
			body: `{"device":"river-1","from":"2026-03-01T08:00:00Z","to":"2026-03-01T09:00:00Z","readings":[` + r1 + `,` + r2 + `]}`},
		{name: "readings, quality and unit", target: "/api/v1/readings?device=site-7&from=2026-03-01T08:00:00Z&to=2026-03-01T08:00:00.001Z", status: 200,
			body: `{"device":"site-7","from":"2026-03-01T08:00:00Z","to":"2026-03-01T08:00:00.001Z","readings":[` +
				`{"seq":1,"sensor":"dust","quantity":"pm2_5","value":35.5,"unit":"ug/m3","time":"2026-03-01T08:00:00Z","quality":"suspect","flags":[]}]}`},
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
		{name: "aggregates, no device", target: "/api/v1/aggregates?from=2026-03-01T08:00:00Z", status: 400, body: `{"error":"device: missing"}`},
		{name: "aggregates, bad from", target: "/api/v1/aggregates?device=a&from=now", status: 400,
			body: `{"error":"from: \"now\" is not an RFC 3339 time such as 2026-03-01T08:00:00Z"}`},
		{name: "aggregates, from after to", target: "/api/v1/aggregates?device=a&from=2026-03-01T10:00:00Z" + to, status: 400,
			body: `{"error":"from: 2026-03-01T10:00:00Z is after to 2026-03-01T09:00:00Z"}`},
		{name: "aggregates, to twice", target: "/api/v1/aggregates?device=a" + to + to, status: 400,
			body: `{"error":"to: given 2 times; give it once; give an RFC 3339 time such as 2026-03-01T08:00:00Z"}`},
		{name: "aggregates, limit", target: "/api/v1/aggregates?device=a&limit=0", status: 400,
			body: `{"error":"limit: \"0\" is not a whole number from 1 to 100000"}`},
		{name: "unknown device", target: "/api/v1/devices/nobody", status: 404, body: `{"error":"no such device: nobody"}`},
		{name: "invalid device", target: "/api/v1/devices/a%20b", status: 400,
			body: `{"error":"device: device id \"a b\" has ' ' at 1; only letters, digits, '.', '_' and '-' are allowed"}`},
		{name: "device with a slash", target: "/api/v1/devices/a%2Fb", status: 400,
			body: `{"error":"device: device id \"a/b\" has '/' at 1; only letters, digits, '.', '_' and '-' are allowed"}`},
		{name: "device starting with a dot", target: "/api/v1/devices/.x", status: 400,
			body: `{"error":"device: device id \".x\" must not start with '.'"}`},
		{name: "device path too deep", target: "/api/v1/devices/a/b", status: 404, body: `{"error":"no such path: /api/v1/devices/a/b"}`},
		{name: "unknown path", target: "/api/v1/nothing", status: 404, body: `{"error":"no such path: /api/v1/nothing"}`},
		{name: "trailing slash", target: "/api/v1/devices/", status: 404, body: `{"error":"no such path: /api/v1/devices/"}`},
		{name: "method", method: http.MethodPost, target: "/api/v1/devices", status: 405, body: `{"error":"method POST is not allowed; use GET"}`},
		{name: "method on a device", method: http.MethodDelete, target: "/api/v1/devices/site-7", status: 405, body: `{"error":"method DELETE is not allowed; use GET"}`},
		{name: "method on aggregates", method: http.MethodPost, target: "/api/v1/aggregates?device=a", status: 405, body: `{"error":"method POST is not allowed; use GET"}`},
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
		{name: "device", target: "/api/v1/devices/site-7", status: 404, body: `{"error":"no such device: site-7"}`},
		{name: "alerts", target: "/api/v1/alerts", status: 200, body: `{"alerts":[]}`},
	})
	// Without a registry every stored device is offline for want of a status.
	check(t, web.New(fixture(t), nil), []exchange{
		{name: "device without registry", target: "/api/v1/devices/river-1", status: 200,
			body: `{"id":"river-1","last_seen":"2026-03-01T08:02:00Z","seq_high":4,"missing":[{"first":3,"last":3}],"received":3,"duplicates":1,` +
				`"condensed":0,"replayed":0,"future_time":0,"incarnation":"0","incarnations":1,"previous_received":0,"stale_incarnation":0,"online":false,"state":"offline","state_since":null,"state_reason":"no status","config_hash":"","last_heartbeat":null,` +
				`"aggregates_url":"/api/v1/aggregates?device=river-1"}`},
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
func (failing) Aggregates(context.Context, store.ReadingQuery) ([]telemetry.Aggregate, error) {
	return nil, errSecret
}
func (failing) Alerts(context.Context, store.AlertQuery) ([]store.Alert, error) {
	return nil, errSecret
}
func (failing) Alert(context.Context, string) (store.Alert, error) { return store.Alert{}, errSecret }

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
			{name: s.name + " device", target: "/api/v1/devices/a", status: 500, body: internal},
			{name: s.name + " aggregates", target: "/api/v1/aggregates?device=a", status: 500, body: internal},
		})
		if n := strings.Count(logged.String(), s.detail); n != 5 {
			t.Errorf("%s: the log holds the error %d times, want 5:\n%s", s.name, n, logged.String())
		}
	}
}

var _ web.Source = (*bolt.DB)(nil)
