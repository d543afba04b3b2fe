package registry_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/registry"
	"github.com/xiuhua/xiuhua/telemetry"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// clock is the registry's injected clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func at(d time.Duration) time.Time { return t0.Add(d) }

const dev = "river-1"

func status(t *testing.T, state string, when time.Time) []byte {
	t.Helper()
	b, err := json.Marshal(telemetry.Status{State: state, Time: when})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func heartbeat(interval time.Duration, depth uint64) telemetry.Heartbeat {
	return telemetry.Heartbeat{Time: t0, Interval: telemetry.Duration(interval), ConfigHash: "c0ffee", Clock: "synced",
		Outbox: telemetry.OutboxState{Depth: depth, NextSeq: depth + 1}}
}

func hbPayload(t *testing.T, hb telemetry.Heartbeat) []byte {
	t.Helper()
	b, err := json.Marshal(hb)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// want is the expected state; Heartbeat is compared by its Outbox.Depth.
type want struct {
	online bool
	since  time.Time
	reason string
	depth  int64 // -1: no heartbeat
	hbAt   time.Time
}

func check(t *testing.T, step string, r *registry.Registry, w want) {
	t.Helper()
	d, ok := r.Device(dev)
	if !ok {
		t.Fatalf("%s: Device(%s) unknown", step, dev)
	}
	state := telemetry.Offline
	if w.online {
		state = telemetry.Online
	}
	depth := int64(-1)
	if d.Heartbeat != nil {
		depth = int64(d.Heartbeat.Outbox.Depth)
	}
	if d.ID != dev || d.Online != w.online || d.State != state || !d.Since.Equal(w.since) || d.Reason != w.reason ||
		depth != w.depth || !d.HeartbeatAt.Equal(w.hbAt) {
		t.Errorf("%s: %+v (heartbeat depth %d), want online=%v state=%s since=%v reason=%q depth=%d heartbeat at %v",
			step, d, depth, w.online, state, w.since, w.reason, w.depth, w.hbAt)
	}
}

// TestTransitions walks one device through its life; each step sets the
// clock, applies an event (or none) and checks the state read then.
func TestTransitions(t *testing.T) {
	c := &clock{now: t0}
	r := registry.New(&registry.Opts{Now: c.Now})
	topic, hbTopic := telemetry.StatusTopic(dev), telemetry.HeartbeatTopic(dev)
	mn := time.Minute
	steps := []struct {
		name  string
		at    time.Time
		event func()
		want  want
	}{
		{"birth: online, interval unknown", at(0),
			func() { r.HandleStatus(topic, status(t, telemetry.Online, at(-time.Second))) },
			want{online: true, since: at(0), depth: -1}},
		{"no heartbeat yet: no timeout however long", at(24 * time.Hour), nil,
			want{online: true, since: at(0), depth: -1}},
		{"first heartbeat: interval 1m", at(24*time.Hour + mn),
			func() { r.HandleHeartbeat(hbTopic, hbPayload(t, heartbeat(mn, 1))) },
			want{online: true, since: at(0), depth: 1, hbAt: at(24*time.Hour + mn)}},
		{"exactly 2.5 intervals later: still online", at(24*time.Hour + mn + 150*time.Second), nil,
			want{online: true, since: at(0), depth: 1, hbAt: at(24*time.Hour + mn)}},
		{"a nanosecond more: heartbeat timeout since the deadline", at(24*time.Hour + mn + 150*time.Second + 1), nil,
			want{since: at(24*time.Hour + mn + 150*time.Second), reason: registry.ReasonTimeout, depth: 1, hbAt: at(24*time.Hour + mn)}},
		{"heartbeat after the timeout: online again since it", at(25 * time.Hour),
			func() { r.HandleHeartbeat(hbTopic, hbPayload(t, heartbeat(mn, 2))) },
			want{online: true, since: at(25 * time.Hour), depth: 2, hbAt: at(25 * time.Hour)}},
		{"a batch keeps it online", at(25*time.Hour + 2*mn), func() { r.Seen(dev) },
			want{online: true, since: at(25 * time.Hour), depth: 2, hbAt: at(25 * time.Hour)}},
		{"2.5 intervals after the batch, not the heartbeat", at(25*time.Hour + 4*mn + 30*time.Second), nil,
			want{online: true, since: at(25 * time.Hour), depth: 2, hbAt: at(25 * time.Hour)}},
		{"timed out after the batch", at(25*time.Hour + 5*mn), nil,
			want{since: at(25*time.Hour + 4*mn + 30*time.Second), reason: registry.ReasonTimeout, depth: 2, hbAt: at(25 * time.Hour)}},
		{"a batch ends the timeout too", at(26 * time.Hour), func() { r.Seen(dev) },
			want{online: true, since: at(26 * time.Hour), depth: 2, hbAt: at(25 * time.Hour)}},
		{"last will after a timeout: offline since the timeout", at(26*time.Hour + 3*mn),
			func() { r.HandleStatus(topic, status(t, telemetry.Offline, time.Time{})) },
			want{since: at(26*time.Hour + 150*time.Second), reason: registry.ReasonLastWill, depth: 2, hbAt: at(25 * time.Hour)}},
		{"heartbeat after a last will: still offline, heartbeat kept", at(26*time.Hour + 4*mn),
			func() { r.HandleHeartbeat(hbTopic, hbPayload(t, heartbeat(mn, 3))) },
			want{since: at(26*time.Hour + 150*time.Second), reason: registry.ReasonLastWill, depth: 3, hbAt: at(26*time.Hour + 4*mn)}},
		{"birth: online since it, even long after the last heartbeat", at(27 * time.Hour),
			func() { r.HandleStatus(topic, status(t, telemetry.Online, at(27*time.Hour))) },
			want{online: true, since: at(27 * time.Hour), depth: 3, hbAt: at(26*time.Hour + 4*mn)}},
		{"a repeated birth keeps since", at(27*time.Hour + mn),
			func() { r.HandleStatus(topic, status(t, telemetry.Online, at(27*time.Hour+mn))) },
			want{online: true, since: at(27 * time.Hour), depth: 3, hbAt: at(26*time.Hour + 4*mn)}},
		{"the birth counts as an arrival", at(27*time.Hour + 3*mn + 30*time.Second), nil,
			want{online: true, since: at(27 * time.Hour), depth: 3, hbAt: at(26*time.Hour + 4*mn)}},
		{"clean disconnect while online: since it", at(27*time.Hour + 3*mn + 30*time.Second),
			func() { r.HandleStatus(topic, status(t, telemetry.Offline, at(27*time.Hour+3*mn))) },
			want{since: at(27*time.Hour + 3*mn + 30*time.Second), reason: registry.ReasonClean, depth: 3, hbAt: at(26*time.Hour + 4*mn)}},
		{"no timeout while offline", at(30 * time.Hour), nil,
			want{since: at(27*time.Hour + 3*mn + 30*time.Second), reason: registry.ReasonClean, depth: 3, hbAt: at(26*time.Hour + 4*mn)}},
		{"the will after a clean offline: reason changes, since stays", at(30 * time.Hour),
			func() { r.HandleStatus(topic, status(t, telemetry.Offline, time.Time{})) },
			want{since: at(27*time.Hour + 3*mn + 30*time.Second), reason: registry.ReasonLastWill, depth: 3, hbAt: at(26*time.Hour + 4*mn)}},
		{"birth, then a heartbeat with interval 0: interval unknown", at(31 * time.Hour),
			func() {
				r.HandleStatus(topic, status(t, telemetry.Online, at(31*time.Hour)))
				r.HandleHeartbeat(hbTopic, hbPayload(t, heartbeat(0, 4)))
			},
			want{online: true, since: at(31 * time.Hour), depth: 4, hbAt: at(31 * time.Hour)}},
		{"so no timeout", at(40 * time.Hour), nil,
			want{online: true, since: at(31 * time.Hour), depth: 4, hbAt: at(31 * time.Hour)}},
		{"last will while online: since it", at(41 * time.Hour),
			func() { r.HandleStatus(topic, status(t, telemetry.Offline, time.Time{})) },
			want{since: at(41 * time.Hour), reason: registry.ReasonLastWill, depth: 4, hbAt: at(31 * time.Hour)}},
		{"retained status cleared", at(42 * time.Hour), func() { r.HandleStatus(topic, nil) },
			want{reason: registry.ReasonNoStatus, depth: 4, hbAt: at(31 * time.Hour)}},
		{"offline as its first status: since it", at(43 * time.Hour),
			func() { r.HandleStatus(topic, status(t, telemetry.Offline, time.Time{})) },
			want{since: at(43 * time.Hour), reason: registry.ReasonLastWill, depth: 4, hbAt: at(31 * time.Hour)}},
	}
	for _, st := range steps {
		c.set(st.at)
		if st.event != nil {
			st.event()
		}
		check(t, st.name, r, st.want)
	}
	if s := r.Stats(); s != (registry.Stats{Statuses: 10, Heartbeats: 4}) {
		t.Errorf("stats = %+v", s)
	}
}

func TestHeartbeatKept(t *testing.T) {
	c := &clock{now: t0}
	r := registry.New(&registry.Opts{Now: c.Now})
	hb := heartbeat(30*time.Second, 12)
	hb.Time = time.Date(2026, 3, 1, 16, 0, 0, 0, time.FixedZone("CST", 8*3600))
	hb.Sensors = map[string]telemetry.SensorState{"dust": {Open: true, Samples: 100, Errors: 2, LastErr: "pms5003: bad checksum"}}
	hb.Outbox = telemetry.OutboxState{Depth: 12, OldestAgeS: 3.5, NextSeq: 13, BudgetBytes: 1 << 20, UsedBytes: 4096,
		Condensed: 7, AutonomyHours: 71.5, ReadingsPerMin: 60}
	p := hbPayload(t, hb)
	r.HandleHeartbeat(telemetry.HeartbeatTopic(dev), p)
	d, ok := r.Device(dev)
	if !ok || d.Heartbeat == nil {
		t.Fatalf("Device = %+v, %v", d, ok)
	}
	if got := hbPayload(t, *d.Heartbeat); !bytes.Equal(got, p) {
		t.Errorf("kept heartbeat\n%s\nwant\n%s", got, p)
	}
	// Without a status the device is offline for want of one.
	if d.Online || d.State != telemetry.Offline || d.Reason != registry.ReasonNoStatus || !d.Since.IsZero() || !d.HeartbeatAt.Equal(t0) {
		t.Errorf("device with a heartbeat and no status = %+v", d)
	}
}

func TestUnknownAndList(t *testing.T) {
	c := &clock{now: t0}
	r := registry.New(&registry.Opts{Now: c.Now})
	if d, ok := r.Device("nobody"); ok || d != registry.Unknown("nobody") ||
		d.State != telemetry.Offline || d.Reason != registry.ReasonNoStatus {
		t.Errorf("unknown device = %+v, %v", d, ok)
	}
	for _, id := range []string{"site-7", "dev-10", "dev-1"} {
		r.HandleStatus(telemetry.StatusTopic(id), status(t, telemetry.Online, t0))
	}
	r.Seen("batch-only")
	var ids []string
	for _, d := range r.Devices() {
		ids = append(ids, fmt.Sprintf("%s:%s", d.ID, d.State))
	}
	if got, want := strings.Join(ids, " "), "batch-only:offline dev-1:online dev-10:online site-7:online"; got != want {
		t.Errorf("Devices = %s, want %s", got, want)
	}
}

func TestMalformed(t *testing.T) {
	var logged bytes.Buffer
	r := registry.New(&registry.Opts{Now: func() time.Time { return t0 }, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	good := status(t, telemetry.Online, t0)
	statuses := []struct{ topic, payload string }{
		{telemetry.StatusTopic(dev), `{"state":"sleeping"}`},
		{telemetry.StatusTopic(dev), `{"state":""}`},
		{telemetry.StatusTopic(dev), `{}`},
		{telemetry.StatusTopic(dev), `not json`},
		{telemetry.StatusTopic(dev), `{"state":"online","time":"yesterday"}`},
		{telemetry.StatusTopic(dev), `{"state":"online"}` + strings.Repeat(" ", registry.MaxPayload)},
		{"xiuhua/v1/dev/bad id/status", string(good)},
		{telemetry.HeartbeatTopic(dev), string(good)},
	}
	for _, m := range statuses {
		r.HandleStatus(m.topic, []byte(m.payload))
	}
	heartbeats := []struct{ topic, payload string }{
		{telemetry.HeartbeatTopic(dev), `{"interval":"-1s"}`},
		{telemetry.HeartbeatTopic(dev), `{"interval":"often"}`},
		{telemetry.HeartbeatTopic(dev), `{"interval":60}`},
		{telemetry.HeartbeatTopic(dev), ``},
		{telemetry.HeartbeatTopic(dev), `[]`},
		{telemetry.StatusTopic(dev), `{"interval":"1m0s"}`},
	}
	for _, m := range heartbeats {
		r.HandleHeartbeat(m.topic, []byte(m.payload))
	}
	if s, n := r.Stats(), uint64(len(statuses)+len(heartbeats)); s != (registry.Stats{Malformed: n}) {
		t.Errorf("stats = %+v, want %d malformed", s, n)
	}
	if n := strings.Count(logged.String(), "malformed"); n != len(statuses)+len(heartbeats) {
		t.Errorf("%d log lines about malformed messages, want %d:\n%s", n, len(statuses)+len(heartbeats), logged.String())
	}
	if ds := r.Devices(); len(ds) != 0 {
		t.Errorf("malformed messages created devices %+v", ds)
	}
	// Unknown fields are a newer device's, not malformed.
	r.HandleStatus(telemetry.StatusTopic(dev), []byte(`{"state":"online","firmware":"2.1"}`))
	if d, _ := r.Device(dev); !d.Online {
		t.Errorf("status with an unknown field: %+v", d)
	}
}

func TestConcurrent(t *testing.T) {
	r := registry.New(nil)
	var wg sync.WaitGroup
	for i := range 8 {
		id := fmt.Sprintf("dev-%d", i)
		wg.Go(func() {
			for range 100 {
				r.HandleStatus(telemetry.StatusTopic(id), status(t, telemetry.Online, t0))
				r.HandleHeartbeat(telemetry.HeartbeatTopic(id), hbPayload(t, heartbeat(time.Minute, 1)))
				r.Seen(id)
				r.Devices()
			}
		})
	}
	wg.Wait()
	if s := r.Stats(); s != (registry.Stats{Statuses: 800, Heartbeats: 800}) {
		t.Errorf("stats = %+v", s)
	}
	for _, d := range r.Devices() {
		if !d.Online {
			t.Errorf("%+v is offline", d)
		}
	}
}

// FuzzHandle feeds outside bytes to both parsers: every message is either
// applied or counted as malformed, and nothing panics.
func FuzzHandle(f *testing.F) {
	f.Add(`{"state":"online","time":"2026-03-01T08:00:00Z"}`, `{"time":"2026-03-01T08:00:00Z","interval":"1m0s","outbox":{"depth":1},"sensors":{"dust":{"open":true}}}`)
	f.Add(`{"state":"offline"}`, `{"interval":"-1s"}`)
	f.Add(``, `null`)
	f.Add(`{"state":1}`, `{"interval":"9999999999h"}`)
	f.Fuzz(func(t *testing.T, status, heartbeat string) {
		r := registry.New(&registry.Opts{Now: func() time.Time { return t0 }})
		r.HandleStatus(telemetry.StatusTopic(dev), []byte(status))
		r.HandleHeartbeat(telemetry.HeartbeatTopic(dev), []byte(heartbeat))
		if s := r.Stats(); s.Statuses+s.Heartbeats+s.Malformed != 2 {
			t.Fatalf("stats %+v after two messages", s)
		}
		d, _ := r.Device(dev)
		if d.Online != (d.State == telemetry.Online) || d.Online != (d.Reason == "") {
			t.Fatalf("inconsistent state %+v", d)
		}
	})
}

func TestLongInterval(t *testing.T) {
	c := &clock{now: t0}
	r := registry.New(&registry.Opts{Now: c.Now})
	r.HandleStatus(telemetry.StatusTopic(dev), status(t, telemetry.Online, t0))
	for _, iv := range []time.Duration{100 * 365 * 24 * time.Hour, time.Duration(1<<63 - 1)} {
		r.HandleHeartbeat(telemetry.HeartbeatTopic(dev), hbPayload(t, heartbeat(iv, 1)))
		c.set(t0.Add(200 * 365 * 24 * time.Hour))
		if d, _ := r.Device(dev); !d.Online {
			t.Errorf("interval %v: %+v, want online", iv, d)
		}
	}
}

// The config hash is the latest any status or heartbeat carried: a birth
// after a config is applied or rolled back says which one runs.
func TestConfigHash(t *testing.T) {
	c := &clock{now: t0}
	r := registry.New(&registry.Opts{Now: c.Now})
	hash := func() string {
		d, _ := r.Device(dev)
		return d.ConfigHash
	}
	payload := func(s telemetry.Status) []byte {
		b, _ := json.Marshal(s)
		return b
	}
	topic := telemetry.StatusTopic(dev)
	for _, step := range []struct {
		name  string
		apply func()
		want  string
	}{
		{"birth without a hash", func() { r.HandleStatus(topic, status(t, telemetry.Online, t0)) }, ""},
		{"birth", func() {
			r.HandleStatus(topic, payload(telemetry.Status{State: telemetry.Online, Time: t0, ConfigHash: "aaaa"}))
		}, "aaaa"},
		{"heartbeat", func() {
			hb := heartbeat(time.Minute, 0)
			hb.ConfigHash = "bbbb"
			r.HandleHeartbeat(telemetry.HeartbeatTopic(dev), hbPayload(t, hb))
		}, "bbbb"},
		{"heartbeat without a hash", func() {
			hb := heartbeat(time.Minute, 0)
			hb.ConfigHash = ""
			r.HandleHeartbeat(telemetry.HeartbeatTopic(dev), hbPayload(t, hb))
		}, "bbbb"},
		{"goodbye", func() {
			r.HandleStatus(topic, payload(telemetry.Status{State: telemetry.Offline, Time: t0, ConfigHash: "cccc"}))
		}, "cccc"},
		{"last will without a hash", func() { r.HandleStatus(topic, payload(telemetry.Status{State: telemetry.Offline})) }, "cccc"},
		{"status cleared", func() { r.HandleStatus(topic, nil) }, "cccc"},
	} {
		step.apply()
		if got := hash(); got != step.want {
			t.Errorf("%s: config hash %q, want %q", step.name, got, step.want)
		}
	}
	if ds := r.Devices(); len(ds) != 1 || ds[0].ConfigHash != "cccc" {
		t.Errorf("Devices = %+v", ds)
	}
}
