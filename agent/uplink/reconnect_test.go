package uplink

import (
	"context"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// fakeNow is a clock moved by hand.
type fakeNow struct{ t time.Time }

func (c *fakeNow) now() time.Time { return c.t }

// The bound doubles from 1 s per attempt up to ConnectRetry; a fresh
// start's first attempt does not wait; every wait lies in [0, bound].
func TestRedialBoundsDoubleUpToConnectRetry(t *testing.T) {
	clk := &fakeNow{t: time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)}
	r := &redial{max: 30 * time.Second, rnd: rand.New(rand.NewPCG(1, 1)), now: clk.now}
	if d, b := r.delay(false, 0); d != 0 || b != 0 {
		t.Fatalf("first attempt of a fresh start waits %v (bound %v), want at once", d, b)
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i, w := range want {
		d, b := r.delay(false, i+1)
		if b != w*time.Second || d < 0 || d > b {
			t.Fatalf("attempt %d: wait %v, bound %v; want a wait in [0, %v]", i+1, d, b, w*time.Second)
		}
	}
	// A new start begins again at once, then from 1 s.
	if d, _ := r.delay(false, 0); d != 0 {
		t.Fatalf("a new start waits %v", d)
	}
	if _, b := r.delay(false, 1); b != time.Second {
		t.Fatalf("a new start's first retry is bounded by %v, want 1s", b)
	}
	// A tiny ConnectRetry caps even the first bound; a huge one never
	// overflows.
	small := &redial{max: 300 * time.Millisecond, rnd: rand.New(rand.NewPCG(1, 2))}
	if d, b := small.delay(false, 1); b != 300*time.Millisecond || d > b {
		t.Fatalf("with ConnectRetry 300ms: wait %v, bound %v", d, b)
	}
	huge := &redial{max: 1 << 62, rnd: rand.New(rand.NewPCG(1, 3))}
	for i := 1; i < 100; i++ {
		if d, b := huge.delay(false, i); b <= 0 || d < 0 || d > b {
			t.Fatalf("attempt %d with a huge ConnectRetry: wait %v, bound %v", i, d, b)
		}
	}
}

// A connection that drops before it lasted ConnectRetry does not start the
// bound again; one that lasted does.
func TestRedialStartsAgainOnlyAfterALastingConnection(t *testing.T) {
	clk := &fakeNow{t: time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)}
	r := &redial{max: 30 * time.Second, rnd: rand.New(rand.NewPCG(2, 2)), now: clk.now}
	r.delay(false, 0)
	var bounds []time.Duration
	for range 4 { // connected, dropped two seconds later, reconnecting
		r.connected()
		clk.t = clk.t.Add(2 * time.Second)
		_, b := r.delay(true, 0)
		bounds = append(bounds, b)
	}
	r.connected()
	clk.t = clk.t.Add(30 * time.Second)
	_, b := r.delay(true, 0)
	bounds = append(bounds, b)
	_, b = r.delay(true, 1)
	bounds = append(bounds, b)
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, time.Second, 2 * time.Second}
	for i := range want {
		if bounds[i] != want[i] {
			t.Fatalf("bounds = %v, want %v", bounds, want)
		}
	}
}

// A broker restart drops a thousand devices at the same instant. paho's
// own schedule would bring every one of them back at the same instant (at
// once, then 1 s, then 3 s later); with redial, each device's attempts
// are spread over the whole bound. The random sources are seeded, so the
// counts below are exact for these seeds, not a matter of luck.
func TestRedialSpreadsAFleetThatLostItsBroker(t *testing.T) {
	const devices = 1000
	t0 := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	clk := &fakeNow{t: t0}
	seeds := rand.New(rand.NewPCG(2026, 11)) // each device seeded apart, as by separate processes
	rs := make([]*redial, devices)
	for i := range rs {
		rs[i] = &redial{max: 30 * time.Second, rnd: rand.New(rand.NewPCG(seeds.Uint64(), seeds.Uint64())), now: clk.now}
		rs[i].connected()
	}
	clk.t = t0.Add(time.Hour) // the broker restarts: everybody's connection had lasted
	arrive := make([]time.Duration, devices)
	for attempt, bound := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		var buckets [10]int
		for i, r := range rs {
			d, b := r.delay(true, attempt)
			if b != bound || d < 0 || d > bound {
				t.Fatalf("device %d, attempt %d: wait %v, bound %v; want in [0, %v]", i, attempt, d, b, bound)
			}
			buckets[min(int(d*10/bound), 9)]++
			arrive[i] += d
		}
		// Uniform over the bound: each tenth holds 100 ± 30 devices.
		for k, n := range buckets {
			if n < 70 || n > 130 {
				t.Errorf("attempt %d: %d devices wait in tenth %d of [0, %v], want 70-130 (%v)", attempt, n, k, bound, buckets)
			}
		}
	}
	// The third attempt, when the broker may be back: waits of up to 1, 2
	// and 4 s spread the fleet over about 7 s, at most 1 % of it within
	// any 10 ms (paho's schedule: all of it within the same instant).
	var worst int
	for _, a := range arrive {
		n := 0
		for _, b := range arrive {
			if b >= a && b < a+10*time.Millisecond {
				n++
			}
		}
		worst = max(worst, n)
	}
	t.Logf("third attempt: at most %d of %d devices within 10 ms", worst, devices)
	if worst > devices/100 {
		t.Errorf("%d devices make their third attempt within 10 ms of one another, want at most %d", worst, devices/100)
	}
}

// Through real paho: the uplink turns paho's own waits off, and waits
// before every attempt but a fresh start's first. The broker (a pipe that
// answers CONNECT with CONNACK and hangs up) drops every connection at
// once, so the bounds double: 1, 2, 4, 8, 16 s.
func TestPahoWaitsThroughRedial(t *testing.T) {
	var connects atomic.Int32
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		client, server := net.Pipe()
		go func() {
			defer server.Close()
			p, err := packets.ReadPacket(server)
			if _, ok := p.(*packets.ConnectPacket); err != nil || !ok {
				return
			}
			connects.Add(1)
			packets.NewControlPacket(packets.Connack).(*packets.ConnackPacket).Write(server)
		}()
		return client, nil
	}
	u, err := New(dev, openOutbox(t, 0), Opts{Broker: "mqtt://broker.example:1883", Dial: dial})
	if err != nil {
		t.Fatal(err)
	}
	if o := u.clientOptions(context.Background()); o.ConnectRetryInterval != 0 || o.MaxReconnectInterval != 0 {
		t.Fatalf("paho's own waits: retry %v, reconnect %v; want 0 (the uplink waits)", o.ConnectRetryInterval, o.MaxReconnectInterval)
	}
	const waits = 5
	var mu sync.Mutex
	var got []time.Duration
	enough := make(chan struct{})
	u.redial.rnd = rand.New(rand.NewPCG(3, 3))
	u.redial.sleep = func(ctx context.Context, d time.Duration) {
		mu.Lock()
		got = append(got, d)
		n := len(got)
		mu.Unlock()
		if n == waits {
			close(enough)
		}
		if n >= waits {
			<-ctx.Done()
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	select {
	case <-enough:
	case <-time.After(10 * time.Second):
		t.Fatalf("paho made %d connections and %d waits; want %d waits", connects.Load(), len(got), waits)
	}
	// The last wait holds paho until ctx ends: no CONNECT can come now.
	if n := connects.Load(); n != waits {
		t.Errorf("%d CONNECTs by the %dth wait, want %d: the first at once, then one after each wait", n, waits, waits)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, d := range got[:waits] {
		if bound := time.Second << i; d < 0 || d > bound {
			t.Errorf("wait %d = %v, want in [0, %v] (all: %v)", i+1, d, bound, got)
		}
	}
}
