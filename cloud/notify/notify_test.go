package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/internal/backoff"
	"github.com/xiuhua/xiuhua/telemetry"
)

var (
	opened   = time.Date(2026, 7, 14, 9, 5, 0, 0, time.UTC)
	resolved = time.Date(2026, 7, 14, 10, 15, 30, 500_000_000, time.UTC)
	fast     = backoff.Backoff{Min: time.Millisecond, Max: 5 * time.Millisecond}
)

func message(key, office string) notify.Message {
	return notify.Message{Key: key, Event: "alert.resolved", Alert: store.Alert{
		ID: "3f2a9c", Rule: "pm25-1h", Plan: "dust", Device: "site-7", Sensor: "dust", Quantity: telemetry.PM2_5,
		Office: office, Severity: "warning", State: store.Resolved, Opened: opened, Resolved: &resolved,
		Value: 55.5, Limit: 75, Unit: "ug/m3", Message: "PM2.5 back to 55.5 ug/m3",
	}}
}

// request is what an endpoint received.
type request struct {
	Method, ContentType, Key, UserAgent string
	Body                                []byte
}

// endpoint is a webhook receiver that answers with statuses in turn (the
// last one from then on); status 0 means hold the request until the
// client gives up.
type endpoint struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []request
}

func newEndpoint(t *testing.T, statuses ...int) *endpoint {
	t.Helper()
	e := &endpoint{statuses: statuses}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read request body: %v", err)
		}
		e.mu.Lock()
		status := 200
		if n := len(e.got); n < len(e.statuses) {
			status = e.statuses[n]
		} else if len(e.statuses) > 0 {
			status = e.statuses[len(e.statuses)-1]
		}
		e.got = append(e.got, request{r.Method, r.Header.Get("Content-Type"), r.Header.Get("Idempotency-Key"), r.Header.Get("User-Agent"), body})
		e.mu.Unlock()
		if status == 0 {
			<-r.Context().Done()
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) requests() []request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]request(nil), e.got...)
}

func (e *endpoint) keys() []string {
	var out []string
	for _, r := range e.requests() {
		out = append(out, r.Key)
	}
	return out
}

// client is an http.Client of the test's own, so that its idle
// connections are closed when the test ends.
func client(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// running runs n until stop or the end of the test, and checks that Run
// lasts until its context ends and then returns nil.
func running(t *testing.T, n *notify.Notifier) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			select {
			case err := <-done:
				t.Errorf("Run returned %v before its context ended", err)
				cancel()
				return
			default:
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run = %v, want nil", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return within 5s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// settled polls until n has finished with want messages (delivered or
// given up on).
func settled(t *testing.T, n *notify.Notifier, want uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := n.Stats()
		if s.Delivered+s.Failed >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5s: stats %+v, want %d delivered or failed", s, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPostIsJSONWithIdempotencyKey(t *testing.T) {
	ep := newEndpoint(t)
	n := notify.New(notify.Opts{Webhooks: []notify.Webhook{{Name: "ops", URL: ep.URL + "/hook"}}, Client: client(t), Backoff: fast})
	stop := running(t, n)
	m := message("3f2a9c:resolved", "city-operations")
	n.Send(m)
	settled(t, n, 1)
	stop()

	got := ep.requests()
	if len(got) != 1 {
		t.Fatalf("endpoint got %d requests, want 1", len(got))
	}
	r := got[0]
	if r.Method != http.MethodPost || r.ContentType != "application/json" || r.Key != "3f2a9c:resolved" || r.UserAgent != "xiuhua-collector" {
		t.Errorf("request %s, Content-Type %q, Idempotency-Key %q, User-Agent %q; want POST, application/json, %q, xiuhua-collector",
			r.Method, r.ContentType, r.Key, "3f2a9c:resolved", r.UserAgent)
	}
	// The body is the contract with the offices' receivers.
	const want = `{"key":"3f2a9c:resolved","event":"alert.resolved","alert":{"id":"3f2a9c","rule":"pm25-1h","plan":"dust",` +
		`"device":"site-7","sensor":"dust","quantity":"pm2_5","office":"city-operations","severity":"warning","state":"resolved",` +
		`"opened":"2026-07-14T09:05:00Z","resolved":"2026-07-14T10:15:30.5Z","value":55.5,"limit":75,"unit":"ug/m3",` +
		`"message":"PM2.5 back to 55.5 ug/m3"}}`
	if string(r.Body) != want {
		t.Errorf("body\n%s\nwant\n%s", r.Body, want)
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
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name     string
		timeout  time.Duration
		statuses []int
		attempts int
		stats    notify.Stats
	}{
		{"200 delivers at once", 0, []int{200}, 1, notify.Stats{Delivered: 1}},
		{"204 is success", 0, []int{204}, 1, notify.Stats{Delivered: 1}},
		{"500 then 200 is retried and delivered once", 0, []int{500, 200}, 2, notify.Stats{Delivered: 1, Retried: 1}},
		{"408, 429, 502, 503 are transient", 0, []int{408, 429, 502, 503, 200}, 5, notify.Stats{Delivered: 1, Retried: 4}},
		{"attempt timeout is retried", 20 * time.Millisecond, []int{0, 200}, 2, notify.Stats{Delivered: 1, Retried: 1}},
		{"400 is not retried", 0, []int{400}, 1, notify.Stats{Failed: 1}},
		{"404 is not retried", 0, []int{404}, 1, notify.Stats{Failed: 1}},
		{"500 then 401 gives up", 0, []int{500, 401}, 2, notify.Stats{Retried: 1, Failed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := newEndpoint(t, tt.statuses...)
			n := notify.New(notify.Opts{
				Webhooks: []notify.Webhook{{Name: "ops", URL: ep.URL, Timeout: tt.timeout}},
				Client:   client(t), Backoff: fast,
			})
			stop := running(t, n)
			n.Send(message("k1:open", "city-operations"))
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
				if r.Key != "k1:open" || !bytes.Equal(r.Body, got[0].Body) {
					t.Errorf("attempt %d: key %q, body %s; want the same key and body on every attempt", i, r.Key, r.Body)
				}
			}
		})
	}
}

// TestOrderKeptAcrossRetries checks that a message waiting behind a retried
// one is delivered after it.
func TestOrderKeptAcrossRetries(t *testing.T) {
	ep := newEndpoint(t, 503, 503, 200)
	n := notify.New(notify.Opts{Webhooks: []notify.Webhook{{Name: "ops", URL: ep.URL}}, Client: client(t), Backoff: fast})
	n.Send(message("a:open", "x"))
	n.Send(message("b:open", "x"))
	running(t, n)
	settled(t, n, 2)
	if got, want := strings.Join(ep.keys(), " "), "a:open a:open a:open b:open"; got != want {
		t.Fatalf("endpoint got keys %q, want %q", got, want)
	}
}

func TestOfficeFilter(t *testing.T) {
	river, all, two := newEndpoint(t), newEndpoint(t), newEndpoint(t)
	n := notify.New(notify.Opts{
		Webhooks: []notify.Webhook{
			{Name: "river", URL: river.URL, Offices: []string{"river-chief"}},
			{Name: "all", URL: all.URL},
			{Name: "two", URL: two.URL, Offices: []string{"elevator-safety", "city-operations"}},
		},
		Client: client(t), Backoff: fast,
	})
	running(t, n)
	n.Send(message("1", "river-chief"))
	n.Send(message("2", "city-operations"))
	n.Send(message("3", "elevator-safety"))
	n.Send(message("4", "river-chief"))
	n.Send(message("5", "unknown-office"))
	settled(t, n, 2+5+2)
	tests := []struct {
		ep   *endpoint
		want string
	}{{river, "1 4"}, {all, "1 2 3 4 5"}, {two, "2 3"}}
	for _, tt := range tests {
		if got := strings.Join(tt.ep.keys(), " "); got != tt.want {
			t.Errorf("%s got keys %q, want %q", tt.ep.URL, got, tt.want)
		}
	}
	if s := n.Stats(); s != (notify.Stats{Delivered: 9}) {
		t.Errorf("stats = %+v, want 9 delivered", s)
	}
}

func TestFullQueueDropsAndCounts(t *testing.T) {
	dust, all := newEndpoint(t), newEndpoint(t)
	n := notify.New(notify.Opts{
		Webhooks: []notify.Webhook{
			{Name: "dust", URL: dust.URL, Offices: []string{"city-operations"}},
			{Name: "all", URL: all.URL},
		},
		QueueLen: 2, Client: client(t), Backoff: fast,
	})
	// Nothing runs yet, so the queues only fill. "all" takes 1 and 2 and
	// drops 3, 4 and 5; "dust" takes 2 and 4.
	n.Send(message("1", "river-chief"))
	n.Send(message("2", "city-operations"))
	n.Send(message("3", "river-chief"))
	n.Send(message("4", "city-operations"))
	n.Send(message("5", "city-operations"))
	if s := n.Stats(); s != (notify.Stats{Dropped: 4}) {
		t.Fatalf("stats after Send = %+v, want 4 dropped", s)
	}
	running(t, n)
	settled(t, n, 4)
	if got := strings.Join(all.keys(), " "); got != "1 2" {
		t.Errorf("all got %q, want the first two: %q", got, "1 2")
	}
	if got := strings.Join(dust.keys(), " "); got != "2 4" {
		t.Errorf("dust got %q, want %q", got, "2 4")
	}
	if s := n.Stats(); s != (notify.Stats{Delivered: 4, Dropped: 4}) {
		t.Errorf("stats = %+v, want 4 delivered, 4 dropped", s)
	}
}

// TestNoWebhooks checks that a collector without webhooks (alerts go to
// the log only) still has a Run that lasts until it is stopped, like every
// other part's.
func TestNoWebhooks(t *testing.T) {
	n := notify.New(notify.Opts{})
	n.Send(message("1", "river-chief"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	// Proving that something does not happen takes a wait.
	select {
	case err := <-done:
		t.Fatalf("Run returned %v before its context ended", err)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if s := n.Stats(); s != (notify.Stats{}) {
		t.Fatalf("stats = %+v, want zero", s)
	}
}

// notifierGoroutines lists the stacks of goroutines running notify code.
func notifierGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "cloud/notify.(*Notifier)") {
			out = append(out, g)
		}
	}
	return out
}

func TestRunStopsAndJoins(t *testing.T) {
	tests := []struct {
		name string
		// busy is the state Run is in when cancelled: the statuses its
		// endpoint answers, and a wait for Run to be in that state.
		statuses []int
		send     bool
		busy     func(t *testing.T, n *notify.Notifier, ep *endpoint)
	}{
		{name: "idle", busy: func(*testing.T, *notify.Notifier, *endpoint) {}},
		{
			name: "request in flight", statuses: []int{0}, send: true,
			busy: func(t *testing.T, _ *notify.Notifier, ep *endpoint) {
				deadline := time.Now().Add(5 * time.Second)
				for len(ep.requests()) == 0 {
					if time.Now().After(deadline) {
						t.Fatal("no request within 5s")
					}
					time.Sleep(time.Millisecond)
				}
			},
		},
		{
			name: "waiting to retry", statuses: []int{503}, send: true,
			busy: func(t *testing.T, n *notify.Notifier, _ *endpoint) {
				deadline := time.Now().Add(5 * time.Second)
				for n.Stats().Retried == 0 {
					if time.Now().After(deadline) {
						t.Fatal("no retry within 5s")
					}
					time.Sleep(time.Millisecond)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := newEndpoint(t, tt.statuses...)
			n := notify.New(notify.Opts{
				Webhooks: []notify.Webhook{{Name: "a", URL: ep.URL}, {Name: "b", URL: ep.URL, Offices: []string{"none"}}},
				Client:   client(t),
				// An hour's backoff: Run must not wait it out.
				Backoff: backoff.Backoff{Min: time.Hour, Max: time.Hour},
			})
			if tt.send {
				n.Send(message("1", "city-operations"))
			}
			stop := running(t, n)
			tt.busy(t, n, ep)
			stop() // fails the test unless Run returns nil within 5s
			// A joined goroutine may still be on its way out for a moment
			// after wg.Done; one that is not joined stays.
			deadline := time.Now().Add(5 * time.Second)
			for g := notifierGoroutines(); len(g) != 0; g = notifierGoroutines() {
				if time.Now().After(deadline) {
					t.Fatalf("%d notifier goroutines left 5s after Run returned:\n%s", len(g), strings.Join(g, "\n\n"))
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
}
