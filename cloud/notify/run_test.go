package notify_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/internal/backoff"
)

func TestNewChecksChannels(t *testing.T) {
	pub := publisherFunc(func(context.Context, string, []byte) error { return nil })
	tests := []struct {
		name string
		opts notify.Opts
	}{
		{"unknown type", notify.Opts{Channels: []notify.Channel{{Name: "a", Type: "sms", URL: "http://x/"}}}},
		{"no type", notify.Opts{Channels: []notify.Channel{{Name: "a", URL: "http://x/"}}}},
		{"no name", notify.Opts{Channels: []notify.Channel{{Type: notify.Webhook, URL: "http://x/"}}}},
		{"name twice", notify.Opts{Channels: []notify.Channel{{Name: "a", Type: notify.Webhook, URL: "http://x/"}, {Name: "a", Type: notify.WeCom, URL: "http://y/"}}}},
		{"webhook without URL", notify.Opts{Channels: []notify.Channel{{Name: "a", Type: notify.Webhook}}}},
		{"wecom without URL", notify.Opts{Channels: []notify.Channel{{Name: "a", Type: notify.WeCom}}}},
		{"dingtalk with a relative URL", notify.Opts{Channels: []notify.Channel{{Name: "a", Type: notify.DingTalk, URL: "/robot/send"}}}},
		{"ftp URL", notify.Opts{Channels: []notify.Channel{{Name: "a", Type: notify.Webhook, URL: "ftp://x/"}}}},
		{"secret on a webhook", notify.Opts{Channels: []notify.Channel{{Name: "a", Type: notify.Webhook, URL: "http://x/", Secret: "s"}}}},
		{"mqtt without Publisher", notify.Opts{Channels: []notify.Channel{{Name: "a", Type: notify.MQTT}}}},
		{"mqtt with a URL", notify.Opts{Channels: []notify.Channel{{Name: "a", Type: notify.MQTT, URL: "tcp://x:1883"}}, Publisher: pub}},
		{"mqtt wildcard topic", notify.Opts{Channels: []notify.Channel{{Name: "a", Type: notify.MQTT, Topic: "alerts/#"}}, Publisher: pub}},
		{"mqtt topic ending in a slash", notify.Opts{Channels: []notify.Channel{{Name: "a", Type: notify.MQTT, Topic: "alerts/"}}, Publisher: pub}},
		{"negative timeout", notify.Opts{Channels: []notify.Channel{{Name: "a", Type: notify.Webhook, URL: "http://x/", Timeout: -time.Second}}}},
		{"negative max age", notify.Opts{MaxAge: -time.Hour}},
		{"backoff max below min", notify.Opts{Backoff: backoff.Backoff{Min: time.Minute, Max: time.Second}}},
		{"base URL not http", notify.Opts{BaseURL: "xiuhua.example.gov.cn"}},
	}
	q := newStore(t)
	for _, tt := range tests {
		if _, err := notify.New(q, tt.opts); !errors.Is(err, notify.ErrConfig) {
			t.Errorf("%s: New = %v, want ErrConfig", tt.name, err)
		}
	}
	if _, err := notify.New(nil, notify.Opts{}); !errors.Is(err, notify.ErrConfig) {
		t.Errorf("New without a queue = %v, want ErrConfig", err)
	}
	ok := notify.Opts{Channels: []notify.Channel{
		{Name: "hook", Type: notify.Webhook, URL: "https://ops.example.gov.cn/alerts"},
		{Name: "wecom", Type: notify.WeCom, URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
		{Name: "ding", Type: notify.DingTalk, URL: "https://oapi.dingtalk.com/robot/send?access_token=t", Secret: "SECx"},
		{Name: "screens", Type: notify.MQTT, Topic: "shanghai/alerts"},
	}, Publisher: pub, BaseURL: "https://xiuhua.example.gov.cn"}
	if _, err := notify.New(q, ok); err != nil {
		t.Errorf("New with one channel of each type: %v", err)
	}
}

// TestNoChannels: a collector without channels (alerts go to the log
// only) still has a Run that lasts until it is stopped, like every other
// part's, and a Send that succeeds.
func TestNoChannels(t *testing.T) {
	n := newNotifier(t, newStore(t), notify.Opts{})
	send(t, n, message("1", "river-chief"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	eventually(t, "running", func() bool { return len(notifierGoroutines()) > 0 })
	select {
	case err := <-done:
		t.Fatalf("Run returned %v before its context ended", err)
	default:
	}
	if err := n.Run(ctx); !errors.Is(err, notify.ErrRunning) {
		t.Errorf("a second Run = %v, want ErrRunning", err)
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
		// statuses the endpoint answers, and a wait for Run to be in the
		// state it is cancelled in.
		statuses []int
		send     bool
		busy     func(t *testing.T, n *notify.Notifier, ep *endpoint)
	}{
		{name: "idle", busy: func(*testing.T, *notify.Notifier, *endpoint) {}},
		{
			name: "request in flight", statuses: []int{0}, send: true,
			busy: func(t *testing.T, _ *notify.Notifier, ep *endpoint) {
				eventually(t, "requested", func() bool { return len(ep.requests()) > 0 })
			},
		},
		{
			name: "waiting to retry", statuses: []int{503}, send: true,
			busy: func(t *testing.T, n *notify.Notifier, _ *endpoint) {
				eventually(t, "retrying", func() bool { return n.Stats().Retried > 0 })
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := newWebhook(t, tt.statuses...)
			q := newStore(t)
			n := newNotifier(t, q, notify.Opts{
				Channels: []notify.Channel{
					{Name: "a", Type: notify.Webhook, URL: ep.URL},
					{Name: "b", Type: notify.Webhook, URL: ep.URL, Offices: []string{"none"}},
				},
				// An hour's backoff: Run must not wait it out.
				Backoff: backoff.Backoff{Min: time.Hour, Max: time.Hour},
			})
			if tt.send {
				send(t, n, message("1", "city-operations"))
			}
			stop := running(t, n)
			tt.busy(t, n, ep)
			stop() // fails the test unless Run returns nil within 5s
			// A joined goroutine may still be on its way out for a moment
			// after wg.Done; one that is not joined stays.
			eventually(t, "without notifier goroutines", func() bool { return len(notifierGoroutines()) == 0 })
			// A request cut short by the stop is not an attempt: the
			// message stays as it was, for the next Run.
			if ns := outbox(t, q, "a"); tt.name == "request in flight" && (len(ns) != 1 || ns[0].Attempts != 0) {
				t.Errorf("outbox holds %s, want the message untouched", describe(ns))
			}
		})
	}
}
