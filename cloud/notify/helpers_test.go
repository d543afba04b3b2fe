package notify_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/internal/backoff"
	"github.com/xiuhua/xiuhua/telemetry"
)

var (
	t0       = time.Date(2026, 7, 14, 9, 5, 0, 0, time.UTC) // 17:05 in Shanghai
	resolved = t0.Add(70*time.Minute + 30*time.Second)
	// fast retries keep the tests short; the clock stands still unless a
	// test moves it, and waits are timed by timers.
	fast = backoff.Backoff{Min: time.Millisecond, Max: 5 * time.Millisecond}
)

// alert is an open dust alert of the city-operations centre.
func alert() store.Alert {
	return store.Alert{
		ID: "3f2a9c", Rule: "pm25-1h", Kind: "window", Plan: "dust", Category: "dust", Device: "site-7", Sensor: "dust",
		Quantity: telemetry.PM2_5, Site: "静安寺地铁站工地", District: "静安区", Office: "city-operations",
		Severity: "critical", State: store.Open, Opened: t0, Raised: t0.Add(40 * time.Second),
		Value: 85.23, Limit: 75, Unit: "ug/m3", Message: "PM2.5 一小时均值 85.2 ug/m3，超过 75 ug/m3",
	}
}

// message is the alert's opening, for office.
func message(key, office string) notify.Message {
	a := alert()
	a.Office = office
	return notify.Message{Key: key, Event: notify.EventOpened, Alert: a, Office: office}
}

// clock is a wall clock that stands still until a test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openStore opens a bbolt store at path, closed at the end of the test
// unless the test closes it first.
func openStore(t *testing.T, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newStore opens a store of the test's own.
func newStore(t *testing.T) *bolt.DB {
	return openStore(t, filepath.Join(t.TempDir(), "collector.db"))
}

func newNotifier(t *testing.T, q notify.Queue, opts notify.Opts) *notify.Notifier {
	t.Helper()
	if opts.Client == nil {
		opts.Client = client(t)
	}
	n, err := notify.New(q, opts)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func send(t *testing.T, n *notify.Notifier, ms ...notify.Message) {
	t.Helper()
	for _, m := range ms {
		if err := n.Send(context.Background(), m); err != nil {
			t.Fatalf("Send(%s): %v", m.Key, err)
		}
	}
}

// outbox lists what q holds for channel (every channel when empty).
func outbox(t *testing.T, q store.Notifications, channel string) []store.Notification {
	t.Helper()
	ns, err := q.Notifications(context.Background(), channel, "")
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// request is what an endpoint received.
type request struct {
	Method, Path, RawQuery, ContentType, Key, UserAgent string
	Body                                                []byte
}

// answer answers the i-th request an endpoint received (from 0), which
// is r as read from hr.
type answer func(i int, r request, w http.ResponseWriter, hr *http.Request)

// endpoint is an HTTP receiver that records its requests.
type endpoint struct {
	*httptest.Server
	mu  sync.Mutex
	got []request
}

func newEndpoint(t *testing.T, answer answer) *endpoint {
	t.Helper()
	e := &endpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read request body: %v", err)
		}
		req := request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("Idempotency-Key"),
			r.Header.Get("User-Agent"), body}
		e.mu.Lock()
		i := len(e.got)
		e.got = append(e.got, req)
		e.mu.Unlock()
		answer(i, req, w, r)
	}))
	t.Cleanup(e.Close)
	return e
}

// statuses answers with the statuses in turn, the last one from then on;
// status 0 holds the request until the client gives up.
func statuses(codes ...int) answer {
	return func(i int, _ request, w http.ResponseWriter, hr *http.Request) {
		code := 200
		if len(codes) > 0 {
			code = codes[min(i, len(codes)-1)]
		}
		if code == 0 {
			<-hr.Context().Done()
			return
		}
		w.WriteHeader(code)
	}
}

func newWebhook(t *testing.T, codes ...int) *endpoint {
	t.Helper()
	return newEndpoint(t, statuses(codes...))
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

// eventually polls cond until it holds, failing the test after 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 5s: still not %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// settled waits until n has finished with want messages (delivered or
// given up on).
func settled(t *testing.T, n *notify.Notifier, want uint64) {
	t.Helper()
	eventually(t, "settled", func() bool {
		s := n.Stats()
		return s.Delivered+s.Failed >= want
	})
}

// describe shows messages of the outbox without their bodies.
func describe(ns []store.Notification) string {
	var b strings.Builder
	for _, n := range ns {
		fmt.Fprintf(&b, "[%s/%s %s attempts=%d created=%s next=%s done=%s error=%q] ", n.Channel, n.Key, n.State, n.Attempts,
			n.Created.Format(time.RFC3339Nano), n.NextAttempt.Format(time.RFC3339Nano), n.Done.Format(time.RFC3339Nano), n.LastError)
	}
	return fmt.Sprintf("%d messages %s", len(ns), b.String())
}
