package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/internal/backoff"
)

func TestWebhookPostsJSONWithIdempotencyKey(t *testing.T) {
	ep := newWebhook(t)
	q := newStore(t)
	n := newNotifier(t, q, notify.Opts{Channels: []notify.Channel{{Name: "ops", Type: notify.Webhook, URL: ep.URL + "/hook"}},
		Backoff: fast, Now: newClock(t0.Add(time.Minute)).Now})
	running(t, n)
	m := message("3f2a9c:opened", "city-operations")
	m.OfficeName = "城市运行管理中心"
	m.Contacts = []notify.Contact{{Name: "王芳", Phone: "13800001111"}}
	send(t, n, m)
	settled(t, n, 1)

	got := ep.requests()
	if len(got) != 1 {
		t.Fatalf("endpoint got %d requests, want 1", len(got))
	}
	r := got[0]
	if r.Method != http.MethodPost || r.Path != "/hook" || r.ContentType != "application/json" || r.Key != "3f2a9c:opened" || r.UserAgent != "xiuhua-collector" {
		t.Errorf("request %s %s, Content-Type %q, Idempotency-Key %q, User-Agent %q; want POST /hook, application/json, %q, xiuhua-collector",
			r.Method, r.Path, r.ContentType, r.Key, "3f2a9c:opened", r.UserAgent)
	}
	var back notify.Message
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Errorf("body decodes to %+v, want %+v", back, m)
	}
	if s := n.Stats(); s != (notify.Stats{Delivered: 1}) {
		t.Errorf("stats = %+v, want 1 delivered", s)
	}
	ns := outbox(t, q, "ops")
	if len(ns) != 1 || ns[0].State != store.Delivered || ns[0].Attempts != 1 || !ns[0].Done.Equal(t0.Add(time.Minute)) {
		t.Errorf("outbox holds %s, want one message delivered at the first attempt at %v", describe(ns), t0.Add(time.Minute))
	}
}

func TestWebhookRetries(t *testing.T) {
	tests := []struct {
		name     string
		timeout  time.Duration
		statuses []int
		attempts int
		stats    notify.Stats
		state    string
		lastErr  string
	}{
		{"200 delivers at once", 0, []int{200}, 1, notify.Stats{Delivered: 1}, store.Delivered, ""},
		{"204 is success", 0, []int{204}, 1, notify.Stats{Delivered: 1}, store.Delivered, ""},
		{"503 twice then 200 is delivered once", 0, []int{503, 503, 200}, 3, notify.Stats{Delivered: 1, Retried: 2}, store.Delivered, ""},
		{"408, 429, 500, 502 are transient", 0, []int{408, 429, 500, 502, 200}, 5, notify.Stats{Delivered: 1, Retried: 4}, store.Delivered, ""},
		{"attempt timeout is retried", 20 * time.Millisecond, []int{0, 200}, 2, notify.Stats{Delivered: 1, Retried: 1}, store.Delivered, ""},
		{"400 is not retried", 0, []int{400}, 1, notify.Stats{Failed: 1}, store.Failed, "answered 400 Bad Request"},
		{"404 is not retried", 0, []int{404}, 1, notify.Stats{Failed: 1}, store.Failed, "answered 404 Not Found"},
		{"503 then 401 gives up", 0, []int{503, 401}, 2, notify.Stats{Retried: 1, Failed: 1}, store.Failed, "answered 401 Unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := newWebhook(t, tt.statuses...)
			q := newStore(t)
			n := newNotifier(t, q, notify.Opts{
				Channels: []notify.Channel{{Name: "ops", Type: notify.Webhook, URL: ep.URL, Timeout: tt.timeout}},
				Backoff:  fast, Now: newClock(t0).Now,
			})
			stop := running(t, n)
			send(t, n, message("k1:opened", "city-operations"))
			settled(t, n, 1)
			stop()
			if s := n.Stats(); s != tt.stats {
				t.Errorf("stats = %+v, want %+v", s, tt.stats)
			}
			got := ep.requests()
			if len(got) != tt.attempts {
				t.Fatalf("endpoint got %d requests, want %d", len(got), tt.attempts)
			}
			for i, r := range got {
				if r.Key != "k1:opened" || !bytes.Equal(r.Body, got[0].Body) {
					t.Errorf("attempt %d: key %q, body %s; want the same key and body on every attempt", i, r.Key, r.Body)
				}
			}
			ns := outbox(t, q, "ops")
			if len(ns) != 1 || ns[0].State != tt.state || ns[0].Attempts != tt.attempts || ns[0].LastError != tt.lastErr {
				t.Errorf("outbox holds %s, want state %s after %d attempts, last error %q", describe(ns), tt.state, tt.attempts, tt.lastErr)
			}
		})
	}
}

// TestRetryBackoff checks the waits between attempts: capped exponential
// backoff with jitter, from the message's attempts. The clock stands
// still, so each NextAttempt the notifier stores is t0 plus its wait.
func TestRetryBackoff(t *testing.T) {
	q := newStore(t)
	var waits []time.Duration
	ep := newEndpoint(t, func(i int, _ request, w http.ResponseWriter, _ *http.Request) {
		if i > 0 {
			ns := outbox(t, q, "ops")
			waits = append(waits, ns[0].NextAttempt.Sub(t0))
		}
		if i < 4 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	n := newNotifier(t, q, notify.Opts{
		Channels: []notify.Channel{{Name: "ops", Type: notify.Webhook, URL: ep.URL}},
		Backoff:  backoff.Backoff{Min: 20 * time.Millisecond, Max: 40 * time.Millisecond},
		Now:      newClock(t0).Now,
	})
	send(t, n, message("k", "x"))
	running(t, n)
	settled(t, n, 1)
	ms := time.Millisecond
	bounds := [][2]time.Duration{{10 * ms, 20 * ms}, {20 * ms, 40 * ms}, {20 * ms, 40 * ms}, {20 * ms, 40 * ms}}
	if len(waits) != len(bounds) {
		t.Fatalf("waits %v, want %d", waits, len(bounds))
	}
	for i, w := range waits {
		if w < bounds[i][0] || w > bounds[i][1] {
			t.Errorf("wait after failure %d = %v, want within %v", i+1, w, bounds[i])
		}
	}
}

// TestOrderKeptAcrossRetries checks that a message waiting behind a retried
// one is delivered after it.
func TestOrderKeptAcrossRetries(t *testing.T) {
	ep := newWebhook(t, 503, 503, 200)
	n := newNotifier(t, newStore(t), notify.Opts{Channels: []notify.Channel{{Name: "ops", Type: notify.Webhook, URL: ep.URL}},
		Backoff: fast, Now: newClock(t0).Now})
	send(t, n, message("a:opened", "x"), message("b:opened", "x"), message("c:opened", "x"))
	running(t, n)
	settled(t, n, 3)
	if got, want := strings.Join(ep.keys(), " "), "a:opened a:opened a:opened b:opened c:opened"; got != want {
		t.Fatalf("endpoint got keys %q, want %q", got, want)
	}
}

// TestFailingChannelDoesNotBlockOthers: a channel that never answers
// leaves the others' deliveries alone.
func TestFailingChannelDoesNotBlockOthers(t *testing.T) {
	dead, ok := newWebhook(t, 0), newWebhook(t)
	n := newNotifier(t, newStore(t), notify.Opts{
		Channels: []notify.Channel{
			{Name: "dead", Type: notify.Webhook, URL: dead.URL, Timeout: time.Hour},
			{Name: "ok", Type: notify.Webhook, URL: ok.URL},
		},
		Backoff: fast, Now: newClock(t0).Now,
	})
	running(t, n)
	send(t, n, message("a", "x"), message("b", "x"), message("c", "x"))
	settled(t, n, 3)
	if got := strings.Join(ok.keys(), " "); got != "a b c" {
		t.Errorf("live channel got %q, want %q", got, "a b c")
	}
	if got := dead.keys(); len(got) != 1 || got[0] != "a" {
		t.Errorf("dead channel got %q, want one request, for a", got)
	}
	if s := n.Stats(); s != (notify.Stats{Delivered: 3, Pending: 3}) {
		t.Errorf("stats = %+v, want 3 delivered, 3 pending", s)
	}
}

func TestOfficeFilter(t *testing.T) {
	river, all, two := newWebhook(t), newWebhook(t), newWebhook(t)
	n := newNotifier(t, newStore(t), notify.Opts{
		Channels: []notify.Channel{
			{Name: "river", Type: notify.Webhook, URL: river.URL, Offices: []string{"river-chief"}},
			{Name: "all", Type: notify.Webhook, URL: all.URL},
			{Name: "two", Type: notify.Webhook, URL: two.URL, Offices: []string{"elevator-safety", "city-operations"}},
		},
		Backoff: fast,
	})
	running(t, n)
	escalated := message("5", "city-operations")
	escalated.Event = notify.EventEscalated
	escalated.Alert.Office = "river-chief" // escalated from the river office to the city-operations centre
	byAlert := message("6", "")
	byAlert.Alert.Office = "river-chief" // no Office: the alert's
	send(t, n, message("1", "river-chief"), message("2", "city-operations"), message("3", "elevator-safety"),
		message("4", "unknown-office"), escalated, byAlert)
	settled(t, n, 2+6+3)
	tests := []struct {
		ep   *endpoint
		want string
	}{{river, "1 6"}, {all, "1 2 3 4 5 6"}, {two, "2 3 5"}}
	for _, tt := range tests {
		if got := strings.Join(tt.ep.keys(), " "); got != tt.want {
			t.Errorf("%s got keys %q, want %q", tt.ep.URL, got, tt.want)
		}
	}
	if s := n.Stats(); s != (notify.Stats{Delivered: 11}) {
		t.Errorf("stats = %+v, want 11 delivered", s)
	}
}

// TestIdempotentSend: the same message sent twice is enqueued and
// delivered once, and sending it after delivery changes nothing.
func TestIdempotentSend(t *testing.T) {
	ep := newWebhook(t)
	q := newStore(t)
	clk := newClock(t0)
	n := newNotifier(t, q, notify.Opts{Channels: []notify.Channel{{Name: "ops", Type: notify.Webhook, URL: ep.URL}},
		Backoff: fast, Now: clk.Now})
	m := message("3f2a9c:opened", "x")
	send(t, n, m)
	clk.Advance(time.Second)
	m.Note = "a different body under the same key"
	send(t, n, m)
	ns := outbox(t, q, "ops")
	if len(ns) != 1 || !ns[0].Created.Equal(t0) || bytes.Contains(ns[0].Body, []byte("different")) {
		t.Fatalf("outbox holds %s, want the first message only", describe(ns))
	}
	running(t, n)
	settled(t, n, 1)
	send(t, n, m)
	// The next message shows that the repeat was not queued behind it.
	send(t, n, message("next", "x"))
	settled(t, n, 2)
	if got := strings.Join(ep.keys(), " "); got != "3f2a9c:opened next" {
		t.Errorf("endpoint got %q, want each key once", got)
	}
	if ns := outbox(t, q, "ops"); len(ns) != 2 || ns[0].State != store.Delivered || ns[0].Attempts != 1 {
		t.Errorf("outbox holds %s, want the first message delivered once", describe(ns))
	}
}

// TestMaxAge: a message pending longer than MaxAge is given up, and so is
// one that waited behind it that long, unsent.
func TestMaxAge(t *testing.T) {
	clk := newClock(t0)
	ep := newEndpoint(t, func(i int, _ request, w http.ResponseWriter, _ *http.Request) {
		if i == 1 {
			clk.Advance(25 * time.Hour) // the endpoint has been down for a day
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	q := newStore(t)
	n := newNotifier(t, q, notify.Opts{Channels: []notify.Channel{{Name: "ops", Type: notify.Webhook, URL: ep.URL}},
		Backoff: fast, Now: clk.Now})
	send(t, n, message("a", "x"), message("b", "x"))
	running(t, n)
	settled(t, n, 2)
	if got := strings.Join(ep.keys(), " "); got != "a a" {
		t.Errorf("endpoint got %q, want a twice", got)
	}
	if s := n.Stats(); s != (notify.Stats{Retried: 1, Failed: 2}) {
		t.Errorf("stats = %+v, want 1 retried, 2 failed", s)
	}
	ns := outbox(t, q, "ops")
	if len(ns) != 2 {
		t.Fatalf("outbox holds %d messages, want 2", len(ns))
	}
	a, b := ns[0], ns[1]
	if a.State != store.Failed || a.Attempts != 2 || a.LastError != "answered 503 Service Unavailable (giving up: pending for 24h0m0s)" {
		t.Errorf("a: %s, want failed after 2 attempts, giving up", describe(ns[:1]))
	}
	if b.State != store.Failed || b.LastError != "not sent: pending longer than 24h0m0s" {
		t.Errorf("b: %s, want failed, not sent", describe(ns[1:]))
	}
}

func TestSendRejects(t *testing.T) {
	n := newNotifier(t, newStore(t), notify.Opts{
		Channels:  []notify.Channel{{Name: "topic", Type: notify.MQTT}},
		Publisher: publisherFunc(func(context.Context, string, []byte) error { return nil }),
	})
	noKey := message("", "x")
	badEvent := message("k", "x")
	badEvent.Event = "alert.opend"
	slash := message("k", "city/operations")
	for _, m := range []notify.Message{noKey, badEvent, slash} {
		if err := n.Send(context.Background(), m); !errors.Is(err, notify.ErrMessage) {
			t.Errorf("Send(key %q, event %q, office %q) = %v, want ErrMessage", m.Key, m.Event, m.Office, err)
		}
	}
}

// TestSendReturnsStoreError: Send is durable or it fails.
func TestSendReturnsStoreError(t *testing.T) {
	q := newStore(t)
	n := newNotifier(t, q, notify.Opts{Channels: []notify.Channel{{Name: "ops", Type: notify.Webhook, URL: "http://127.0.0.1:1/"}}})
	q.Close()
	if err := n.Send(context.Background(), message("k", "x")); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Send on a closed store = %v, want store.ErrClosed", err)
	}
}

type publisherFunc func(ctx context.Context, topic string, payload []byte) error

func (f publisherFunc) Publish(ctx context.Context, topic string, payload []byte) error {
	return f(ctx, topic, payload)
}
