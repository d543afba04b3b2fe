package load

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Defaults of Opts.
const (
	DefaultConns    = 8
	DefaultInterval = 10 * time.Second
	DefaultWindow   = 1024
	DefaultTick     = 5 * time.Millisecond
	DefaultSensor   = "load"
	DefaultQuantity = telemetry.PM10
	DefaultBase     = 40.0
)

// Opts shapes the offered load. Its rate is Devices × PerBatch readings
// every Interval.
type Opts struct {
	Broker   string // the broker's host:port; required
	Devices  int    // simulated devices; required, at most 10,000,000
	PerBatch int    // readings in each batch; 0 means 1
	// Interval is how often each device sends a batch; 0 means 10 s. Its
	// readings are spread evenly over the interval, the last one at the
	// moment it is sent.
	Interval time.Duration
	// Rounds, when positive, stops each device after that many batches;
	// Run then only counts acks until its context ends. 0 means no end.
	Rounds   int
	Conns    int    // publishing connections; 0 means DefaultConns
	Prefix   string // device ids are Prefix and a 7-digit number; empty means "load-"
	Username string // the connections' credential; empty means none
	// Window bounds the QoS 1 batches each connection has awaiting the
	// broker's PUBACK; 0 means DefaultWindow. A full window holds the
	// connection back (Stats.Behind counts what is late).
	Window int
	// Tick is how often each connection sends what is due; 0 means
	// DefaultTick.
	Tick time.Duration

	Sensor   string             // the readings' sensor; empty means DefaultSensor
	Quantity telemetry.Quantity // the readings' quantity; empty means DefaultQuantity
	// Base is the readings' level: each value is within ±25 % of it. 0
	// means DefaultBase.
	Base float64

	// Hot, when set, injects one reading of value HotValue every Hot:
	// the newest reading of the next batch due on the first connection,
	// from a device that was never hot before, timestamped as it is sent.
	// Hots lists them. The device's next batch is back at Base.
	Hot      time.Duration
	HotValue float64
}

// Hot is one injected reading.
type Hot struct {
	Device string
	Seq    uint64
	Time   time.Time // the reading's time (whole milliseconds), when it was sent
}

// Stats counts the generator's work since Run started.
type Stats struct {
	Batches  uint64 // batches published (written to the socket)
	Readings uint64 // readings in them
	Acked    uint64 // readings acknowledged by the collector
	Acks     uint64 // ack messages received for the generator's devices
	// Foreign counts acks that name an incarnation other than the
	// device's: there should be none.
	Foreign uint64
	// Behind is how many batches were due by the offered rate but not yet
	// sent: the generator or the broker cannot keep up when it grows.
	Behind int64
	// Pending is how many batches await the broker's PUBACK.
	Pending int
}

// Unacked is the readings sent and not acknowledged.
func (s Stats) Unacked() int64 { return int64(s.Readings) - int64(s.Acked) }

// Generator is a fleet's worth of devices on a few connections.
type Generator struct {
	o       Opts
	ids     []string
	topics  []string
	incBase uint64
	// Per device, written by its connection's goroutine and read by the
	// ack reader: the newest batch's last sequence number and send time.
	lastSeq []atomic.Uint64
	sentAt  []atomic.Int64

	batches, readings, acked, acks, foreign atomic.Uint64
	dues                                    []atomic.Int64 // per connection, batches due by the offered rate
	sent                                    atomic.Int64

	ackLatency Histogram

	mu    sync.Mutex
	hots  []Hot
	conns []*conn
}

// New checks o and prepares the devices.
func New(o Opts) (*Generator, error) {
	if o.Broker == "" {
		return nil, errors.New("load: no broker address")
	}
	if o.Devices <= 0 || o.Devices > 10_000_000 {
		return nil, fmt.Errorf("load: %d devices; want 1 to 10,000,000", o.Devices)
	}
	if o.PerBatch <= 0 {
		o.PerBatch = 1
	}
	if o.PerBatch > telemetry.MaxBatchRecords {
		return nil, fmt.Errorf("load: %d readings a batch is over the codec's limit of %d", o.PerBatch, telemetry.MaxBatchRecords)
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Conns <= 0 {
		o.Conns = DefaultConns
	}
	o.Conns = min(o.Conns, o.Devices)
	if o.Prefix == "" {
		o.Prefix = "load-"
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Tick <= 0 {
		o.Tick = DefaultTick
	}
	if o.Sensor == "" {
		o.Sensor = DefaultSensor
	}
	if o.Quantity == "" {
		o.Quantity = DefaultQuantity
	}
	if o.Base == 0 {
		o.Base = DefaultBase
	}
	g := &Generator{o: o, ids: make([]string, o.Devices), topics: make([]string, o.Devices),
		lastSeq: make([]atomic.Uint64, o.Devices), sentAt: make([]atomic.Int64, o.Devices), dues: make([]atomic.Int64, o.Conns),
		// Incarnations base+d are non-zero and differ from run to run,
		// as a new outbox file's would.
		incBase: rand.Uint64N(1<<62) + 1}
	for d := range g.ids {
		g.ids[d] = o.Prefix + fmt.Sprintf("%07d", d)
		if err := telemetry.ValidateDeviceID(g.ids[d]); err != nil {
			return nil, fmt.Errorf("load: prefix %q: %w", o.Prefix, err)
		}
		g.topics[d] = telemetry.UpTopic(g.ids[d])
	}
	return g, nil
}

// Rate is the offered load in readings per second.
func (g *Generator) Rate() float64 {
	return float64(g.o.Devices*g.o.PerBatch) / g.o.Interval.Seconds()
}

// Device returns the id of device d (0 ≤ d < Devices).
func (g *Generator) Device(d int) string { return g.ids[d] }

// Value is the value of device d's reading seq (unless it was made hot):
// within ±25 % of Opts.Base, varying by device and reading, so that
// rules see a live signal rather than a constant.
func (g *Generator) Value(d int, seq uint64) float64 {
	return g.o.Base * (0.75 + float64((uint64(d)*7919+seq*104729)%501)/1000)
}

// Incarnation returns device d's outbox incarnation.
func (g *Generator) Incarnation(d int) uint64 { return g.incBase + uint64(d) }

// Run connects, publishes at the offered rate and counts acks until ctx
// ends; then it disconnects and returns nil. It returns an error when a
// connection cannot be made or fails.
func (g *Generator) Run(ctx context.Context) error {
	ackConn, err := dial(ctx, connOpts{Addr: g.o.Broker, ClientID: g.o.Prefix + "acks", Username: g.o.Username,
		OnPublish: g.onAck})
	if err != nil {
		return err
	}
	defer ackConn.close()
	if err := ackConn.subscribe(ctx, telemetry.TopicRoot+"+/ack"); err != nil {
		return err
	}
	conns := make([]*conn, g.o.Conns)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.close()
			}
		}
	}()
	for i := range conns {
		if conns[i], err = dial(ctx, connOpts{Addr: g.o.Broker, ClientID: fmt.Sprintf("%spub-%d", g.o.Prefix, i),
			Username: g.o.Username, Window: g.o.Window}); err != nil {
			return err
		}
	}
	g.mu.Lock()
	g.conns = conns
	g.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(conns))
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			if err := g.publish(ctx, i, c, start); err != nil && ctx.Err() == nil {
				errs <- err
				cancel()
			}
		})
	}
	select {
	case <-ctx.Done():
	case <-ackConn.done:
		cancel()
		errs <- fmt.Errorf("load: ack connection: %w: %v", errClosed, ackConn.err)
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// publish sends connection i's devices' batches (devices i, i+Conns, …)
// at their share of the offered rate.
func (g *Generator) publish(ctx context.Context, i int, c *conn, start time.Time) error {
	var devices []int
	for d := i; d < g.o.Devices; d += g.o.Conns {
		devices = append(devices, d)
	}
	// Field devices send at random phases, so one commit's batches come
	// from devices scattered over the store's keys; sending in id order
	// would flatter it.
	shuffle := rand.New(rand.NewPCG(uint64(i), uint64(len(devices))))
	shuffle.Shuffle(len(devices), func(a, b int) { devices[a], devices[b] = devices[b], devices[a] })
	perSec := float64(len(devices)) / g.o.Interval.Seconds() // batches a second
	step := g.o.Interval / time.Duration(g.o.PerBatch)       // between a device's readings
	recs := make([]telemetry.Record, g.o.PerBatch)
	var (
		sent, hotSent int64
		next          int          // index into devices
		wasHot        map[int]bool // devices made hot, on the first connection
	)
	if i == 0 && g.o.Hot > 0 {
		wasHot = map[int]bool{}
	}
	tick := time.NewTicker(g.o.Tick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		elapsed := time.Since(start)
		due := int64(elapsed.Seconds() * perSec)
		if g.o.Rounds > 0 {
			due = min(due, int64(g.o.Rounds*len(devices)))
		}
		g.dues[i].Store(due)
		var hotDue int64
		if wasHot != nil {
			hotDue = int64(elapsed/g.o.Hot) - hotSent
		}
		for ; sent < due; sent++ {
			if sent%256 == 0 && ctx.Err() != nil {
				return nil
			}
			d := devices[next]
			next = (next + 1) % len(devices)
			now := time.Now()
			ms := now.UnixMilli()
			seq := g.lastSeq[d].Load()
			for k := range recs {
				seq++
				t := ms - int64(g.o.PerBatch-1-k)*step.Milliseconds()
				recs[k] = telemetry.Record{Seq: seq, Reading: telemetry.Reading{Sensor: g.o.Sensor, Quantity: g.o.Quantity,
					Value: g.Value(d, seq), Time: time.UnixMilli(t).UTC()}}
			}
			if hotDue > 0 && !wasHot[d] {
				wasHot[d] = true
				hotDue--
				hotSent++
				last := &recs[len(recs)-1]
				last.Value = g.o.HotValue
				g.mu.Lock()
				g.hots = append(g.hots, Hot{Device: g.ids[d], Seq: last.Seq, Time: last.Time})
				g.mu.Unlock()
			}
			p, err := telemetry.EncodeBatch(telemetry.Batch{Device: g.ids[d], Records: recs, Incarnation: g.Incarnation(d)})
			if err != nil {
				return fmt.Errorf("load: encode: %w", err)
			}
			g.sentAt[d].Store(now.UnixNano())
			g.lastSeq[d].Store(seq)
			if err := c.publish(ctx, g.topics[d], p); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			g.batches.Add(1)
			g.readings.Add(uint64(len(recs)))
			g.sent.Add(1)
		}
		if err := c.flush(); err != nil {
			return err
		}
	}
}

// onAck counts an ack of one of the generator's devices (on the ack
// connection's read goroutine).
func (g *Generator) onAck(topic string, payload []byte) {
	a, err := telemetry.DecodeAck(payload)
	if err != nil {
		return
	}
	d, ok := g.index(a.Device)
	if !ok {
		return
	}
	if a.Incarnation != g.Incarnation(d) {
		g.foreign.Add(1)
		return
	}
	g.acks.Add(1)
	g.acked.Add(a.Ranges.Count())
	if a.Ranges.Max() == g.lastSeq[d].Load() {
		g.ackLatency.Add(time.Duration(time.Now().UnixNano() - g.sentAt[d].Load()))
	}
}

// index returns the number of device id, when it is one of g's.
func (g *Generator) index(id string) (int, bool) {
	s, ok := strings.CutPrefix(id, g.o.Prefix)
	if !ok {
		return 0, false
	}
	d, err := strconv.Atoi(s)
	if err != nil || d < 0 || d >= len(g.ids) || g.ids[d] != id {
		return 0, false
	}
	return d, true
}

// Stats returns the generator's counters.
func (g *Generator) Stats() Stats {
	var due int64
	for i := range g.dues {
		due += g.dues[i].Load()
	}
	s := Stats{Batches: g.batches.Load(), Readings: g.readings.Load(), Acked: g.acked.Load(), Acks: g.acks.Load(),
		Foreign: g.foreign.Load(), Behind: due - g.sent.Load()}
	g.mu.Lock()
	for _, c := range g.conns {
		s.Pending += c.pending()
	}
	g.mu.Unlock()
	return s
}

// Hots returns the injected readings, oldest first.
func (g *Generator) Hots() []Hot {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Hot(nil), g.hots...)
}

// AckLatency is the histogram of the time from sending a device's batch
// to receiving the ack that covers it.
func (g *Generator) AckLatency() *Histogram { return &g.ackLatency }
