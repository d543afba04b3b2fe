package uplink

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/agent/outbox"
	"github.com/xiuhua/xiuhua/telemetry"
)

const dev = "site-1"

// token is a paho token that completes when done is closed.
type token struct {
	done chan struct{}
	err  error
}

func doneToken(err error) *token {
	t := &token{done: make(chan struct{}), err: err}
	close(t.done)
	return t
}

func (t *token) Wait() bool { <-t.done; return true }
func (t *token) WaitTimeout(d time.Duration) bool {
	select {
	case <-t.done:
		return true
	case <-time.After(d):
		return false
	}
}
func (t *token) Done() <-chan struct{} { return t.done }
func (t *token) Error() error          { return t.err }

// message is a paho message on the ack topic.
type message struct {
	topic   string
	payload []byte
}

func (m message) Duplicate() bool   { return false }
func (m message) Qos() byte         { return 1 }
func (m message) Retained() bool    { return false }
func (m message) Topic() string     { return m.topic }
func (m message) MessageID() uint16 { return 1 }
func (m message) Payload() []byte   { return m.payload }
func (m message) Ack()              {}

// fakeClient is a paho mqtt.Client whose connection is always open. Its
// Connect runs the options' OnConnect handler as paho would; publishes on
// the up topic are recorded, and the first hangUp of them never get a
// PUBACK.
type fakeClient struct {
	opts *mqtt.ClientOptions

	mu      sync.Mutex
	batches []telemetry.Batch
	hangUp  int
	onAck   mqtt.MessageHandler
	sent    chan struct{} // a token per batch published
}

func newFakeClient() *fakeClient { return &fakeClient{sent: make(chan struct{}, 1000)} }

func (c *fakeClient) IsConnected() bool      { return true }
func (c *fakeClient) IsConnectionOpen() bool { return true }
func (c *fakeClient) Connect() mqtt.Token {
	go c.opts.OnConnect(c)
	return doneToken(nil)
}
func (c *fakeClient) Disconnect(uint) {}
func (c *fakeClient) Publish(topic string, _ byte, _ bool, payload any) mqtt.Token {
	if topic != telemetry.UpTopic(dev) {
		return doneToken(nil)
	}
	b, err := telemetry.DecodeBatch(payload.([]byte))
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, b)
	c.sent <- struct{}{}
	if c.hangUp > 0 {
		c.hangUp--
		return &token{done: make(chan struct{})} // the PUBACK that never comes
	}
	return doneToken(nil)
}
func (c *fakeClient) Subscribe(_ string, _ byte, h mqtt.MessageHandler) mqtt.Token {
	c.mu.Lock()
	c.onAck = h
	c.mu.Unlock()
	return doneToken(nil)
}
func (c *fakeClient) SubscribeMultiple(map[string]byte, mqtt.MessageHandler) mqtt.Token {
	return doneToken(nil)
}
func (c *fakeClient) Unsubscribe(...string) mqtt.Token        { return doneToken(nil) }
func (c *fakeClient) AddRoute(string, mqtt.MessageHandler)    {}
func (c *fakeClient) OptionsReader() mqtt.ClientOptionsReader { return mqtt.NewOptionsReader(c.opts) }
func (c *fakeClient) published() []telemetry.Batch {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]telemetry.Batch(nil), c.batches...)
}

func reading(i int) telemetry.Reading {
	return telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM2_5, Value: float64(i),
		Time: time.Date(2026, 3, 1, 8, 0, i, 0, time.UTC)}
}

func openOutbox(t *testing.T, n int) *outbox.Outbox {
	t.Helper()
	ob, err := outbox.Open(filepath.Join(t.TempDir(), "outbox.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	appendN(t, ob, 1, n)
	return ob
}

func appendN(t *testing.T, ob *outbox.Outbox, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if _, err := ob.Append(context.Background(), reading(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func newUplink(t *testing.T, ob Outbox, c *fakeClient, o Opts) *Uplink {
	t.Helper()
	o.Broker = "tcp://fake:1883"
	u, err := New(dev, ob, o)
	if err != nil {
		t.Fatal(err)
	}
	u.newClient = func(opts *mqtt.ClientOptions) mqtt.Client {
		c.opts = opts
		return c
	}
	return u
}

// waitSent waits for n more batches on the wire.
func waitSent(t *testing.T, c *fakeClient, n int) {
	t.Helper()
	for range n {
		select {
		case <-c.sent:
		case <-time.After(5 * time.Second):
			t.Fatalf("fewer than %d batches were sent; published %d", n, len(c.published()))
		}
	}
}

// TestLatePubackOnlyRewinds: a PUBACK that does not come in time on a
// connection that is still open rewinds the window, and the sender goes
// on sending (it once stopped until the next reconnect).
func TestLatePubackOnlyRewinds(t *testing.T) {
	ob := openOutbox(t, 3)
	c := newFakeClient()
	c.hangUp = 1
	u := newUplink(t, ob, c, Opts{AckTimeout: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	waitSent(t, c, 2) // the one without a PUBACK, then the same again
	got := c.published()
	if got[0].Seqs().String() != "[1-3]" || got[1].Seqs().String() != "[1-3]" {
		t.Errorf("batches %v then %v, want [1-3] twice", got[0].Seqs(), got[1].Seqs())
	}
	if !u.Stats().Connected {
		t.Error("a late PUBACK on an open connection marked the uplink disconnected")
	}
	// And it keeps sending what comes next (alone, or with the window
	// again should an ack timeout have rewound it meanwhile).
	appendN(t, ob, 4, 1)
	u.Notify()
	waitSent(t, c, 1)
	if got := c.published(); !got[len(got)-1].Seqs().Contains(4) {
		t.Errorf("after the rewind, sent %v, want seq 4", got[len(got)-1].Seqs())
	}
}

// TestAcksThroughTheBroker: batches carry the outbox's incarnation; an ack
// echoing another incarnation deletes nothing, one echoing ours deletes.
func TestAcksThroughTheBroker(t *testing.T) {
	ob := openOutbox(t, 3)
	c := newFakeClient()
	u := newUplink(t, ob, c, Opts{AckTimeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	waitSent(t, c, 1)
	if b := c.published()[0]; b.Incarnation != ob.Incarnation() || b.Incarnation == 0 {
		t.Fatalf("batch incarnation %#x, want the outbox's %#x", b.Incarnation, ob.Incarnation())
	}
	ack := func(inc uint64) {
		p, err := telemetry.EncodeAck(telemetry.Ack{Device: dev, Ranges: telemetry.RangesOf(1, 2, 3), Incarnation: inc})
		if err != nil {
			t.Fatal(err)
		}
		c.mu.Lock()
		h := c.onAck
		c.mu.Unlock()
		h(c, message{topic: telemetry.AckTopic(dev), payload: p})
	}
	ack(ob.Incarnation() + 1)
	ack(0)
	waitFor(t, "two foreign acks counted", func() bool { return u.Stats().ForeignAcks == 2 })
	if st, _ := ob.Stats(); st.Depth != 3 {
		t.Fatalf("foreign acks deleted readings: depth %d, want 3", st.Depth)
	}
	ack(ob.Incarnation())
	waitFor(t, "our ack applied", func() bool { return u.Stats().Acked == 3 })
	if st, _ := ob.Stats(); st.Depth != 0 {
		t.Errorf("depth after our ack = %d, want 0", st.Depth)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// connectedSender is a sender, driven by hand, whose connection has just
// come up.
func connectedSender(t *testing.T, u *Uplink, c *fakeClient) *sender {
	t.Helper()
	s := newSender(u, c)
	u.conned <- true
	handle(t, s, nil)
	return s
}

// handle makes s handle one event; tick, when set, is the ticker's time.
func handle(t *testing.T, s *sender, tick *time.Time) {
	t.Helper()
	ticks := make(chan time.Time, 1)
	if tick != nil {
		ticks <- *tick
	}
	if err := s.wait(context.Background(), nil, ticks, nil); err != nil {
		t.Fatal(err)
	}
}

// TestLiveBeforeBacklog: after a reconnect, what was committed since goes
// before the backlog, which is marked Replay.
func TestLiveBeforeBacklog(t *testing.T) {
	ob := openOutbox(t, 5)
	c := newFakeClient()
	u := newUplink(t, ob, c, Opts{AckTimeout: time.Minute})
	s := connectedSender(t, u, c)
	appendN(t, ob, 6, 2)
	for range 2 {
		if sent, err := s.sendOne(context.Background()); err != nil || !sent {
			t.Fatalf("sendOne = %v, %v", sent, err)
		}
	}
	got := c.published()
	if got[0].Seqs().String() != "[6-7]" || got[0].Replay || got[1].Seqs().String() != "[1-5]" || !got[1].Replay {
		t.Errorf("sent %v (replay %v) then %v (replay %v); want live [6-7] then backlog [1-5] marked replay",
			got[0].Seqs(), got[0].Replay, got[1].Seqs(), got[1].Replay)
	}
}

// TestAckTimeoutBacksOff: each ack timeout in a row doubles the wait, up to
// 8× (less at most a fifth of jitter); an ack resets it.
func TestAckTimeoutBacksOff(t *testing.T) {
	const timeout = time.Second
	ob := openOutbox(t, 3)
	c := newFakeClient()
	u := newUplink(t, ob, c, Opts{AckTimeout: timeout})
	s := connectedSender(t, u, c)
	// send puts the window on the wire again and returns when it went.
	send := func() time.Time {
		t.Helper()
		if sent, err := s.sendOne(context.Background()); err != nil || !sent {
			t.Fatalf("sendOne = %v, %v", sent, err)
		}
		return s.flights[0].sent
	}
	// tick tells s that d has passed since sent and reports whether it
	// rewound.
	tick := func(sent time.Time, d time.Duration) bool {
		t.Helper()
		before := u.Stats().Resends
		now := sent.Add(d)
		handle(t, s, &now)
		return u.Stats().Resends > before
	}
	for i, factor := range []time.Duration{1, 2, 4, 8, 8} {
		sent := send()
		if i > 0 && tick(sent, factor*timeout*4/5-time.Millisecond) {
			t.Fatalf("timeout %d: rewound before %v×%v less jitter", i, factor, timeout)
		}
		if !tick(sent, factor*timeout+time.Millisecond) {
			t.Fatalf("timeout %d: no rewind after %v×%v", i, factor, timeout)
		}
	}
	// An ack, even of nothing in flight, shows the collector is back.
	u.acks <- telemetry.Ack{Device: dev, Ranges: telemetry.RangesOf(1), Incarnation: ob.Incarnation()}
	handle(t, s, nil)
	sent := send()
	if !tick(sent, timeout+time.Millisecond) {
		t.Fatal("after an ack, no rewind after one ack timeout")
	}
}

// TestForeignAckIgnored: an ack for another outbox of the same device id
// (same sequence numbers, another incarnation) deletes nothing.
func TestForeignAckIgnored(t *testing.T) {
	ob := openOutbox(t, 3)
	c := newFakeClient()
	u := newUplink(t, ob, c, Opts{AckTimeout: time.Minute})
	s := connectedSender(t, u, c)
	if sent, err := s.sendOne(context.Background()); err != nil || !sent {
		t.Fatalf("sendOne = %v, %v", sent, err)
	}
	u.acks <- telemetry.Ack{Device: dev, Ranges: telemetry.RangesOf(1, 2, 3), Incarnation: ob.Incarnation() ^ 1}
	handle(t, s, nil)
	if st, _ := ob.Stats(); st.Depth != 3 || len(s.flights) != 1 || u.Stats().ForeignAcks != 1 {
		t.Fatalf("after a foreign ack: depth %d, %d in flight, %d foreign acks; want 3, 1, 1", st.Depth, len(s.flights), u.Stats().ForeignAcks)
	}
	u.acks <- telemetry.Ack{Device: dev, Ranges: telemetry.RangesOf(1, 2, 3), Incarnation: ob.Incarnation()}
	handle(t, s, nil)
	if st, _ := ob.Stats(); st.Depth != 0 || len(s.flights) != 0 {
		t.Fatalf("after our ack: depth %d, %d in flight; want 0, 0", st.Depth, len(s.flights))
	}
}
