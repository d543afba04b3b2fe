package notify_test

import (
	"bytes"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/cloud/store"
)

// downURL is the URL of a port nobody listens on.
func downURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String() + "/hook"
	ln.Close()
	return u
}

// TestRestart: a message enqueued while its webhook is down survives the
// collector's restart (notifier stopped, store closed and reopened) and
// is delivered exactly once, with the key and body decided before.
func TestRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "collector.db")
	clk := newClock(t0)
	m := formatCases()[0].m

	db := openStore(t, path)
	n1 := newNotifier(t, db, notify.Opts{
		Channels: []notify.Channel{{Name: "ops", Type: notify.Webhook, URL: downURL(t)}},
		Backoff:  fast, Now: clk.Now,
	})
	stop := running(t, n1)
	send(t, n1, m)
	eventually(t, "retrying", func() bool { return n1.Stats().Retried >= 2 })
	stop()
	if s := n1.Stats(); s.Delivered != 0 || s.Failed != 0 || s.Pending != 1 {
		t.Errorf("stats before restart = %+v, want 1 pending, none delivered or failed", s)
	}
	before := outbox(t, db, "ops")
	if len(before) != 1 || before[0].State != store.Pending || before[0].Attempts < 2 {
		t.Fatalf("outbox before restart holds %s, want one message pending after at least 2 attempts", describe(before))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// The collector comes back, and so does the webhook, elsewhere. The
	// alert manager may well send the same event again as it starts.
	clk.Advance(time.Hour)
	ep := newWebhook(t)
	db = openStore(t, path)
	n2 := newNotifier(t, db, notify.Opts{
		Channels: []notify.Channel{{Name: "ops", Type: notify.Webhook, URL: ep.URL + "/hook"}},
		Backoff:  fast, Now: clk.Now,
	})
	send(t, n2, m)
	running(t, n2)
	settled(t, n2, 1)

	got := ep.requests()
	if len(got) != 1 {
		t.Fatalf("endpoint got %d requests after the restart, want 1", len(got))
	}
	if got[0].Key != m.Key || !bytes.Equal(got[0].Body, before[0].Body) {
		t.Errorf("delivered key %q, body\n%s\nwant key %q and the body enqueued before the restart\n%s", got[0].Key, got[0].Body, m.Key, before[0].Body)
	}
	after := outbox(t, db, "ops")
	if len(after) != 1 || after[0].State != store.Delivered || after[0].Attempts != before[0].Attempts+1 ||
		!after[0].Created.Equal(t0) || !after[0].Done.Equal(t0.Add(time.Hour)) {
		t.Errorf("outbox after restart holds %s, want the message created at %v delivered at %v after %d attempts",
			describe(after), t0, t0.Add(time.Hour), before[0].Attempts+1)
	}
	if s := n2.Stats(); s != (notify.Stats{Delivered: 1}) {
		t.Errorf("stats after restart = %+v, want 1 delivered", s)
	}
}
