package load

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/mosquitto"
	"github.com/xiuhua/xiuhua/telemetry"
)

// privateBroker starts a private Mosquitto on a free loopback port and
// returns its host:port. The in-process mochi broker is not used here:
// its upstream data race trips the race detector.
func privateBroker(t *testing.T) string {
	t.Helper()
	return mosquitto.StartTest(t, mosquitto.Opts{Extra: []string{"max_inflight_messages 0", "max_queued_messages 0"}}).Addr()
}

// fakeCollector subscribes to every up topic, keeps each batch and
// acknowledges it as the collector would: the batch's ranges, its
// incarnation, on the device's ack topic.
type fakeCollector struct {
	c       *conn
	mu      sync.Mutex
	batches []telemetry.Batch
	topics  []string
	acks    int
}

func startFakeCollector(t *testing.T, addr string) *fakeCollector {
	t.Helper()
	f := &fakeCollector{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	acks := make(chan telemetry.Ack, 1000)
	c, err := dial(ctx, connOpts{Addr: addr, ClientID: "fake-collector", Window: 1000, OnPublish: func(topic string, p []byte) {
		b, err := telemetry.DecodeBatch(p)
		if err != nil {
			t.Errorf("batch on %s does not decode: %v", topic, err)
			return
		}
		f.mu.Lock()
		f.batches = append(f.batches, b)
		f.topics = append(f.topics, topic)
		f.mu.Unlock()
		// Published from another goroutine: the read goroutine must not
		// wait on its own connection's window.
		acks <- telemetry.Ack{Device: b.Device, Ranges: b.Seqs(), Incarnation: b.Incarnation}
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	if err := c.subscribe(ctx, telemetry.UpFilter); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for a := range acks {
			p, err := telemetry.EncodeAck(a)
			if err == nil {
				err = c.publish(context.Background(), telemetry.AckTopic(a.Device), p)
			}
			if err == nil {
				err = c.flush()
			}
			if err != nil {
				t.Errorf("ack: %v", err)
				return
			}
			f.mu.Lock()
			f.acks++
			f.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		c.close()
		close(acks)
		<-done
	})
	return f
}

func (f *fakeCollector) snapshot() ([]telemetry.Batch, []string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]telemetry.Batch(nil), f.batches...), append([]string(nil), f.topics...), f.acks
}

// TestGenerator runs 5 devices for 3 rounds of 4 readings over two
// connections, with hot readings, against a fake collector, and checks
// every batch and every count exactly.
func TestGenerator(t *testing.T) {
	addr := privateBroker(t)
	f := startFakeCollector(t, addr)
	const devices, rounds, per = 5, 3, 4
	g, err := New(Opts{Broker: addr, Devices: devices, PerBatch: per, Interval: time.Second, Rounds: rounds,
		Conns: 2, Prefix: "gt-", Username: "gateway", Hot: 30 * time.Millisecond, HotValue: 900})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.Rate(), float64(devices*per); got != want {
		t.Fatalf("Rate = %v, want %v", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	for deadline := time.Now().Add(20 * time.Second); g.Stats().Acked < devices*rounds*per; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 20s: stats %+v", g.Stats())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}

	st := g.Stats()
	want := Stats{Batches: devices * rounds, Readings: devices * rounds * per, Acked: devices * rounds * per, Acks: devices * rounds}
	if st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	if st.Unacked() != 0 {
		t.Errorf("Unacked = %d, want 0", st.Unacked())
	}
	if n := g.AckLatency().Count(); n != devices*rounds {
		t.Errorf("ack latencies counted %d, want %d (every batch's ack covers the device's newest)", n, devices*rounds)
	}

	batches, topics, acks := f.snapshot()
	if len(batches) != devices*rounds || acks != devices*rounds {
		t.Fatalf("fake collector got %d batches and sent %d acks, want %d each", len(batches), acks, devices*rounds)
	}
	hots := map[string]Hot{}
	for _, h := range g.Hots() {
		if _, dup := hots[h.Device]; dup {
			t.Errorf("device %s made hot twice", h.Device)
		}
		hots[h.Device] = h
	}
	if len(hots) == 0 {
		t.Fatal("no hot reading was injected")
	}
	next := map[string]uint64{} // each device's next sequence number
	for i, b := range batches {
		d, ok := g.index(b.Device)
		if !ok {
			t.Fatalf("batch from unknown device %q", b.Device)
		}
		if b.Device != fmt.Sprintf("gt-%07d", d) || topics[i] != telemetry.UpTopic(b.Device) {
			t.Errorf("batch of %q on topic %q", b.Device, topics[i])
		}
		if b.Incarnation != g.Incarnation(d) || b.Incarnation == 0 || b.Replay || len(b.Condensed) != 0 {
			t.Errorf("batch of %s: incarnation %d (want %d), replay %v, %d condensed", b.Device, b.Incarnation, g.Incarnation(d),
				b.Replay, len(b.Condensed))
		}
		if len(b.Records) != per {
			t.Fatalf("batch of %s has %d records, want %d", b.Device, len(b.Records), per)
		}
		for k, r := range b.Records {
			next[b.Device]++
			v := g.Value(d, r.Seq)
			if h, ok := hots[b.Device]; ok && h.Seq == r.Seq {
				v = 900
				if k != per-1 || !r.Time.Equal(h.Time) {
					t.Errorf("hot reading %+v is record %d at %v, want the last, at %v", h, k, r.Time, h.Time)
				}
			}
			want := telemetry.Record{Seq: next[b.Device], Reading: telemetry.Reading{Sensor: DefaultSensor, Quantity: DefaultQuantity,
				Value: v, Time: b.Records[per-1].Time.Add(-time.Duration(per-1-k) * 250 * time.Millisecond)}}
			if !reflect.DeepEqual(r, want) {
				t.Errorf("%s record %d = %+v, want %+v", b.Device, k, r, want)
			}
			if r.Value < 30 || r.Value > 50 && r.Value != 900 {
				t.Errorf("%s seq %d value %v is outside 30–50", b.Device, r.Seq, r.Value)
			}
		}
	}
	for d := range devices {
		if id := g.Device(d); next[id] != rounds*per {
			t.Errorf("%s sent seqs 1..%d, want 1..%d", id, next[id], rounds*per)
		}
	}
}

// TestGeneratorIgnoresOtherAcks checks that acks of other devices and of
// another incarnation are not counted as the generator's.
func TestGeneratorIgnoresOtherAcks(t *testing.T) {
	g, err := New(Opts{Broker: "127.0.0.1:1", Devices: 3, Prefix: "ga-"})
	if err != nil {
		t.Fatal(err)
	}
	g.lastSeq[1].Store(4)
	ack := func(a telemetry.Ack) {
		p, err := telemetry.EncodeAck(a)
		if err != nil {
			t.Fatal(err)
		}
		g.onAck(telemetry.AckTopic(a.Device), p)
	}
	ack(telemetry.Ack{Device: "ga-0000001", Ranges: telemetry.Ranges{{First: 1, Last: 4}}, Incarnation: g.Incarnation(1)})
	ack(telemetry.Ack{Device: "ga-0000001", Ranges: telemetry.Ranges{{First: 1, Last: 4}}, Incarnation: g.Incarnation(2)})
	ack(telemetry.Ack{Device: "ga-0000003", Ranges: telemetry.Ranges{{First: 1, Last: 1}}, Incarnation: 1})
	ack(telemetry.Ack{Device: "other-0000001", Ranges: telemetry.Ranges{{First: 1, Last: 9}}, Incarnation: 1})
	ack(telemetry.Ack{Device: "ga-1", Ranges: telemetry.Ranges{{First: 1, Last: 9}}, Incarnation: 1})
	g.onAck("xiuhua/v1/dev/ga-0000000/ack", []byte("not an ack"))
	if got, want := g.Stats(), (Stats{Acked: 4, Acks: 1, Foreign: 1, Readings: 0}); got != want {
		t.Fatalf("stats = %+v, want %+v", got, want)
	}
}

func TestNewChecksOpts(t *testing.T) {
	for _, o := range []Opts{
		{Devices: 1},
		{Broker: "127.0.0.1:1"},
		{Broker: "127.0.0.1:1", Devices: 10_000_001},
		{Broker: "127.0.0.1:1", Devices: 1, PerBatch: telemetry.MaxBatchRecords + 1},
		{Broker: "127.0.0.1:1", Devices: 1, Prefix: "bad/"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) = nil error", o)
		}
	}
}

// TestNullSubscriber sends batches of known sizes and checks the counts.
func TestNullSubscriber(t *testing.T) {
	addr := privateBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := DialNull(ctx, "tcp://"+addr, "null-test")
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	c, err := dial(ctx, connOpts{Addr: addr, ClientID: "pub", Window: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	sizes := []int{1, 10, 24, 300}
	for i, k := range sizes {
		id := fmt.Sprintf("n-%d", i)
		if err := c.publish(ctx, telemetry.UpTopic(id), encoded(t, telemetry.Batch{Device: id, Records: recordsN(k), Incarnation: 2})); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.publish(ctx, telemetry.UpTopic("n-x"), []byte("junk")); err != nil {
		t.Fatal(err)
	}
	if err := c.flush(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); n.Batches()+n.Malformed() < 5; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s the null subscriber has %d batches, %d malformed", n.Batches(), n.Malformed())
		}
	}
	if n.Batches() != 4 || n.Readings() != 335 || n.Malformed() != 1 {
		t.Fatalf("null subscriber counted %d batches, %d readings, %d malformed; want 4, 335, 1", n.Batches(), n.Readings(), n.Malformed())
	}
}
