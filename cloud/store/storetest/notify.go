package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
)

// note is a new message for channel whose body names key. Channel and key
// names in the suite are lowercase letters and digits, so that any
// collation orders them as bytes do.
func note(channel, key string, created time.Duration) store.Notification {
	return store.Notification{Channel: channel, Key: key, Body: []byte(`{"alert":"` + key + `"}`), Created: t0.Add(created)}
}

// stored is n as Enqueue stores it: pending, no attempt yet, due at its
// NextAttempt or else when it was created.
func stored(n store.Notification) store.Notification {
	n.State = store.Pending
	if n.NextAttempt.IsZero() {
		n.NextAttempt = n.Created
	}
	return n
}

func enqueueOK(t *testing.T, s store.Store, ns ...store.Notification) {
	t.Helper()
	if err := s.Enqueue(context.Background(), ns...); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
}

func dueOK(t *testing.T, s store.Store, now time.Time, limit int) []store.Notification {
	t.Helper()
	ns, err := s.Due(context.Background(), now, limit)
	if err != nil {
		t.Fatalf("Due(%v, %d): %v", now, limit, err)
	}
	return ns
}

func notificationsOK(t *testing.T, s store.Store, channel, state string) []store.Notification {
	t.Helper()
	ns, err := s.Notifications(context.Background(), channel, state)
	if err != nil {
		t.Fatalf("Notifications(%q, %q): %v", channel, state, err)
	}
	return ns
}

func settleOK(t *testing.T, s store.Store, channel, key, state string, now, next time.Time, errText string) {
	t.Helper()
	if err := s.Settle(context.Background(), channel, key, state, now, next, errText); err != nil {
		t.Fatalf("Settle(%s, %s, %s): %v", channel, key, state, err)
	}
}

func checkNotifications(t *testing.T, what string, got, want []store.Notification) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d notifications %s, want %d %s", what, len(got), noteKeys(got), len(want), noteKeys(want))
		return
	}
	for i := range got {
		if !sameNotification(got[i], want[i]) {
			t.Errorf("%s: notification %d = %s, want %s", what, i, fmtNotification(got[i]), fmtNotification(want[i]))
		}
	}
}

// sameNotification compares every field, NextAttempt only while the
// message is pending: the contract says nothing of it once done.
func sameNotification(a, b store.Notification) bool {
	return a.Channel == b.Channel && a.Key == b.Key && bytes.Equal(a.Body, b.Body) && a.Created.Equal(b.Created) &&
		a.State == b.State && a.Attempts == b.Attempts && a.LastError == b.LastError && a.Done.Equal(b.Done) &&
		(b.State != store.Pending || a.NextAttempt.Equal(b.NextAttempt))
}

func noteKeys(ns []store.Notification) string {
	keys := make([]string, len(ns))
	for i, n := range ns {
		keys[i] = n.Channel + "/" + n.Key
	}
	return fmt.Sprint(keys)
}

func fmtNotification(n store.Notification) string {
	f := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	return fmt.Sprintf("{%s/%s body=%q created=%s state=%s attempts=%d next=%s last_error=%q done=%s}",
		n.Channel, n.Key, n.Body, f(n.Created), n.State, n.Attempts, f(n.NextAttempt), n.LastError, f(n.Done))
}

func testEnqueue(t *testing.T, open opener) {
	s := open(t)
	checkNotifications(t, "empty store", notificationsOK(t, s, "", ""), nil)
	checkNotifications(t, "empty store due", dueOK(t, s, t0.Add(time.Hour), 10), nil)
	if err := s.Enqueue(context.Background()); err != nil {
		t.Errorf("Enqueue of nothing: %v", err)
	}

	later := note("webhook", "a3", 3*time.Second)
	later.NextAttempt = t0.Add(time.Minute)
	east := note("robot", "a4", 4*time.Second)
	east.Created = east.Created.In(time.FixedZone("CST", 8*3600))
	ns := []store.Notification{
		note("webhook", "a1", 0),
		note("robot", "a1", time.Second), // the same key on another channel is another message
		later,
		east,
	}
	again := note("webhook", "a1", time.Hour)
	again.Body = []byte("second")
	enqueueOK(t, s, append(ns, again)...) // the first of a repeated pair in one call is kept
	want := []store.Notification{stored(ns[0]), stored(ns[1]), stored(later), stored(east)}
	checkNotifications(t, "after enqueue", notificationsOK(t, s, "", ""), want)

	// Enqueuing again, however the message differs, changes nothing.
	var changed []store.Notification
	for _, n := range ns {
		n.Body, n.Created, n.NextAttempt = []byte("changed"), t0.Add(-time.Hour), t0.Add(-time.Hour)
		changed = append(changed, n)
	}
	enqueueOK(t, s, changed...)
	checkNotifications(t, "after re-enqueue", notificationsOK(t, s, "", ""), want)
	checkNotifications(t, "due", dueOK(t, s, t0.Add(time.Hour), 10), []store.Notification{want[0], want[1], want[3], want[2]})
}

func testDue(t *testing.T, open opener) {
	s := open(t)
	at := func(n store.Notification, next time.Duration) store.Notification {
		n.NextAttempt = t0.Add(next)
		return n
	}
	// Due at t0: n3 and n4 tie with n1 on time and are ordered by channel,
	// then key; n2 is due at t0 although created later.
	n1 := note("webhook", "k1", 0)
	n2 := at(note("webhook", "k2", time.Second), 0)
	n3 := note("robot", "k3", 0)
	n4 := at(note("robot", "k5", 0), 0)
	n5 := at(note("webhook", "k0", -time.Hour), time.Minute)
	n6 := at(note("robot", "k9", 2*time.Second), time.Minute)
	enqueueOK(t, s, n6, n5, n4, n3, n2, n1)
	n1, n2, n3, n4, n5, n6 = stored(n1), stored(n2), stored(n3), stored(n4), stored(n5), stored(n6)
	ms := time.Millisecond
	tests := []struct {
		name  string
		now   time.Time
		limit int
		want  []store.Notification
	}{
		{"before any", t0.Add(-ms), 10, nil},
		{"now is inclusive", t0, 10, []store.Notification{n3, n4, n1, n2}},
		{"limit", t0, 2, []store.Notification{n3, n4}},
		{"just before the next", t0.Add(time.Minute - ms), 10, []store.Notification{n3, n4, n1, n2}},
		{"every one, by next attempt then created", t0.Add(time.Hour), 10, []store.Notification{n3, n4, n1, n2, n5, n6}},
		{"limit across times", t0.Add(time.Hour), 5, []store.Notification{n3, n4, n1, n2, n5}},
		{"limit 1", t0.Add(time.Hour), 1, []store.Notification{n3}},
	}
	for _, tc := range tests {
		checkNotifications(t, tc.name, dueOK(t, s, tc.now, tc.limit), tc.want)
	}

	// Settled messages leave the queue; one retried later moves back.
	settleOK(t, s, "robot", "k3", store.Delivered, t0.Add(time.Second), time.Time{}, "")
	settleOK(t, s, "webhook", "k1", store.Failed, t0.Add(time.Second), time.Time{}, "HTTP 410")
	settleOK(t, s, "robot", "k5", store.Pending, t0.Add(time.Second), t0.Add(time.Minute), "timeout")
	n4.Attempts, n4.NextAttempt, n4.LastError = 1, t0.Add(time.Minute), "timeout"
	checkNotifications(t, "after settling", dueOK(t, s, t0.Add(time.Hour), 10), []store.Notification{n2, n5, n4, n6})
	checkNotifications(t, "after settling, at t0", dueOK(t, s, t0, 10), []store.Notification{n2})
}

func testSettle(t *testing.T, open opener) {
	s := open(t)
	m1, m2, m3 := note("webhook", "k1", 0), note("webhook", "k2", time.Second), note("ab", "c", 2*time.Second)
	enqueueOK(t, s, m1, m2, m3)
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	want := stored(m1)
	steps := []struct {
		name      string
		state     string
		now, next time.Time
		errText   string
		due       []time.Time // times at which m1 is due: at and after the next attempt
		notDue    []time.Time
		update    func(*store.Notification)
	}{
		{"retry", store.Pending, sec(1), sec(31), "HTTP 503", []time.Time{sec(31), sec(32)}, []time.Time{sec(1), sec(30)},
			func(n *store.Notification) { n.Attempts, n.NextAttempt, n.LastError = 1, sec(31), "HTTP 503" }},
		{"retry again", store.Pending, sec(31), sec(91), "timeout", []time.Time{sec(91)}, []time.Time{sec(90)},
			func(n *store.Notification) { n.Attempts, n.NextAttempt, n.LastError = 2, sec(91), "timeout" }},
		{"delivered", store.Delivered, sec(91), time.Time{}, "", nil, []time.Time{sec(91), sec(3600)},
			func(n *store.Notification) {
				n.Attempts, n.State, n.LastError, n.Done = 3, store.Delivered, "", sec(91)
			}},
	}
	for _, st := range steps {
		settleOK(t, s, m1.Channel, m1.Key, st.state, st.now, st.next, st.errText)
		st.update(&want)
		checkNotifications(t, st.name, notificationsOK(t, s, "webhook", ""), []store.Notification{want, stored(m2)})
		for _, at := range st.due {
			if n, ok := findNote(dueOK(t, s, at, 10), m1); !ok || !sameNotification(n, want) {
				t.Errorf("%s: Due(%v) lists %s as %s (%v), want %s", st.name, at, m1.Key, fmtNotification(n), ok, fmtNotification(want))
			}
		}
		for _, at := range st.notDue {
			if n, ok := findNote(dueOK(t, s, at, 10), m1); ok {
				t.Errorf("%s: Due(%v) lists %s", st.name, at, fmtNotification(n))
			}
		}
	}

	// Given up after one attempt.
	settleOK(t, s, m2.Channel, m2.Key, store.Failed, sec(5), time.Time{}, "HTTP 400")
	failed := stored(m2)
	failed.State, failed.Attempts, failed.LastError, failed.Done = store.Failed, 1, "HTTP 400", sec(5)
	checkNotifications(t, "failed", notificationsOK(t, s, "webhook", ""), []store.Notification{want, failed})

	// Enqueuing a done message again neither revives nor changes it.
	enqueueOK(t, s, m1, m2)
	checkNotifications(t, "re-enqueued after delivery", notificationsOK(t, s, "webhook", ""), []store.Notification{want, failed})
	checkNotifications(t, "due after re-enqueue", dueOK(t, s, sec(3600), 10), []store.Notification{stored(m3)})

	for _, tc := range []struct{ channel, key string }{
		{"webhook", "nope"},
		{"robot", "k1"}, // the key exists on another channel
		{"a", "bc"},     // channel and key run together spell a stored pair's
		{"abc", ""},
		{"", "k1"},
	} {
		err := s.Settle(context.Background(), tc.channel, tc.key, store.Delivered, sec(100), time.Time{}, "")
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Settle(%q, %q) = %v, want store.ErrNotFound", tc.channel, tc.key, err)
		}
	}
	checkNotifications(t, "unchanged by failed settles", notificationsOK(t, s, "", ""), []store.Notification{want, failed, stored(m3)})
}

// findNote finds the message with m's channel and key in ns.
func findNote(ns []store.Notification, m store.Notification) (store.Notification, bool) {
	for _, n := range ns {
		if n.Channel == m.Channel && n.Key == m.Key {
			return n, true
		}
	}
	return store.Notification{}, false
}

func testNotificationList(t *testing.T, open opener) {
	s := open(t)
	a, b, c := note("webhook", "k1", time.Second), note("robot", "k1", 2*time.Second), note("webhook", "k2", -time.Second)
	d, e := note("webhookx", "k3", 3*time.Second), note("robot", "k4", 0)
	enqueueOK(t, s, a, b, c, d, e)
	settleOK(t, s, "robot", "k1", store.Delivered, t0.Add(time.Minute), time.Time{}, "")
	settleOK(t, s, "webhook", "k2", store.Failed, t0.Add(time.Minute), time.Time{}, "gone")
	a, d, e = stored(a), stored(d), stored(e)
	b, c = stored(b), stored(c)
	b.State, b.Attempts, b.Done = store.Delivered, 1, t0.Add(time.Minute)
	c.State, c.Attempts, c.Done, c.LastError = store.Failed, 1, t0.Add(time.Minute), "gone"
	tests := []struct {
		channel, state string
		want           []store.Notification
	}{
		{"", "", []store.Notification{c, e, a, b, d}},
		{"webhook", "", []store.Notification{c, a}}, // not webhookx's
		{"webhookx", "", []store.Notification{d}},
		{"webhook", store.Pending, []store.Notification{a}},
		{"", store.Pending, []store.Notification{e, a, d}},
		{"", store.Delivered, []store.Notification{b}},
		{"", store.Failed, []store.Notification{c}},
		{"robot", store.Pending, []store.Notification{e}},
		{"robot", store.Failed, nil},
		{"nobody", "", nil},
		{"", "bogus", nil},
	}
	for _, tc := range tests {
		what := fmt.Sprintf("Notifications(%q, %q)", tc.channel, tc.state)
		checkNotifications(t, what, notificationsOK(t, s, tc.channel, tc.state), tc.want)
	}
}

// testNotificationReopen: the outbox is durable; a reopened store still
// owes what was due and still refuses to enqueue a message twice.
func testNotificationReopen(t *testing.T, open opener) {
	s := open(t)
	a, b, c := note("webhook", "k1", 0), note("webhook", "k2", time.Second), note("robot", "k3", 2*time.Second)
	enqueueOK(t, s, a, b, c)
	settleOK(t, s, "webhook", "k1", store.Delivered, t0.Add(time.Minute), time.Time{}, "")
	settleOK(t, s, "webhook", "k2", store.Pending, t0.Add(time.Minute), t0.Add(2*time.Minute), "HTTP 502")
	a, b, c = stored(a), stored(b), stored(c)
	a.State, a.Attempts, a.Done = store.Delivered, 1, t0.Add(time.Minute)
	b.Attempts, b.NextAttempt, b.LastError = 1, t0.Add(2*time.Minute), "HTTP 502"
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t)
	checkNotifications(t, "after reopen", notificationsOK(t, s, "", ""), []store.Notification{a, b, c})
	checkNotifications(t, "due after reopen", dueOK(t, s, t0.Add(time.Hour), 10), []store.Notification{c, b})
	enqueueOK(t, s, note("webhook", "k1", time.Hour), note("robot", "k4", time.Hour))
	checkNotifications(t, "enqueued after reopen", notificationsOK(t, s, "", ""), []store.Notification{a, b, c, stored(note("robot", "k4", time.Hour))})
	settleOK(t, s, "webhook", "k2", store.Delivered, t0.Add(3*time.Minute), time.Time{}, "")
	b.State, b.Attempts, b.LastError, b.Done = store.Delivered, 2, "", t0.Add(3*time.Minute)
	checkNotifications(t, "settled after reopen", notificationsOK(t, s, "webhook", ""), []store.Notification{a, b})
}

// testNotificationConcurrent: several collectors' alert managers enqueue
// the same messages at once; each is stored once.
func testNotificationConcurrent(t *testing.T, open opener) {
	s := open(t)
	const (
		writers = 8
		keys    = 20
	)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for k := range keys {
				n := note("webhook", fmt.Sprintf("k%02d", k), time.Duration(k)*time.Second)
				n.Body = fmt.Appendf(nil, "writer %d", w)
				if err := s.Enqueue(context.Background(), n); err != nil {
					t.Errorf("Enqueue: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	got := notificationsOK(t, s, "", "")
	if len(got) != keys {
		t.Fatalf("%d notifications stored, want %d", len(got), keys)
	}
	for k, n := range got {
		want := stored(note("webhook", fmt.Sprintf("k%02d", k), time.Duration(k)*time.Second))
		want.Body = n.Body // one writer's, whichever came first
		if !sameNotification(n, want) || !bytes.HasPrefix(n.Body, []byte("writer ")) {
			t.Errorf("notification %d = %s, want %s from one writer", k, fmtNotification(n), fmtNotification(want))
		}
	}
}
