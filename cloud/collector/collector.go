package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/cloud/alert"
	"github.com/xiuhua/xiuhua/cloud/ingest"
	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/cloud/registry"
	"github.com/xiuhua/xiuhua/cloud/rules"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/cloud/store/postgres"
	"github.com/xiuhua/xiuhua/cloud/web"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Opts adjusts a collector beyond its config file.
type Opts struct {
	// Listener, when set, serves the HTTP API instead of listening on the
	// config's http.listen address (the demo and tests pass 127.0.0.1:0).
	Listener net.Listener
	Logger   *slog.Logger // nil means discard
	// Now is the collector's clock: batch arrival times, device states
	// and the rules' warm-up window. Nil means time.Now; tests pin it.
	Now func() time.Time
}

// Collector is the cloud side of Xiuhua.
type Collector struct {
	cfg   *configs.Collector
	log   *slog.Logger
	now   func() time.Time
	ln    net.Listener
	plans *planner
	reg   *registry.Registry

	// engineMu serialises the rule engine: ingest observes, the ticker
	// ticks and replays late data.
	engineMu sync.Mutex
	engine   *rules.Engine
	late     []rules.Late // spans waiting for a replay, merged per rule and stream

	ready    chan struct{} // closed once Run has opened the store and the API
	mu       sync.Mutex
	ing      *ingest.Ingest
	link     *mqttLink
	notifier *notify.Notifier

	// Test hooks (export_test.go), set before Run. ticks, when set,
	// replaces the TickEvery ticker: each channel received is one tick,
	// closed once the tick is done. observed is called on ingest's
	// goroutine once a batch's new records are judged and what they
	// changed is applied.
	ticks    chan chan struct{}
	observed func(device string, recs []telemetry.Record)
}

// New checks the plans and binds the HTTP address, so that a port in use
// is reported before anything else starts.
func New(cfg *configs.Collector, opts Opts) (*Collector, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	plans := newPlanner(cfg)
	engine, err := rules.New(RulesFromPlans(cfg.Plans), plans.applies)
	if err != nil {
		return nil, fmt.Errorf("collector: %w", err)
	}
	ln := opts.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.HTTP.Listen); err != nil {
			return nil, fmt.Errorf("collector: http listen: %w", err)
		}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Collector{cfg: cfg, log: log, now: now, ln: ln, engine: engine, plans: plans, ready: make(chan struct{}),
		reg: registry.New(&registry.Opts{Now: now, Logger: log})}, nil
}

// HTTPAddr is the address the API listens on.
func (c *Collector) HTTPAddr() string { return c.ln.Addr().String() }

// Ready is closed once the store is open and the API serves.
func (c *Collector) Ready() <-chan struct{} { return c.ready }

// Run serves until ctx ends.
func (c *Collector) Run(ctx context.Context) error {
	defer c.ln.Close()
	st, err := c.openStore(ctx)
	if err != nil {
		return fmt.Errorf("collector: %w", err)
	}
	defer st.Close()

	link := &mqttLink{}
	notifier, err := notify.New(st, notify.Opts{Channels: c.plans.channels(), Publisher: link, Logger: c.log, Now: c.now})
	if err != nil {
		return fmt.Errorf("collector: %w", err)
	}
	alerts, err := alert.New(ctx, st, notifier, alert.Opts{
		Offices: c.plans.offices(), Route: c.plans.route, Place: c.plans.place,
		FlapOpens: c.cfg.Alerts.FlapOpens, FlapWindow: c.cfg.Alerts.FlapWindow.D(), Now: c.now,
	})
	if err != nil {
		return fmt.Errorf("collector: %w", err)
	}
	for _, a := range alerts.Active() {
		c.engine.MarkOpen(a.Plan, a.Rule, rules.Stream{Device: a.Device, Sensor: a.Sensor})
	}
	if err := c.warmWindows(ctx, st, alerts); err != nil {
		return fmt.Errorf("collector: %w", err)
	}
	observe := func(ctx context.Context, device string, recs []telemetry.Record) error {
		c.engineMu.Lock()
		trs, late := c.engine.Observe(device, recs)
		for _, l := range late {
			c.addLate(l)
		}
		c.engineMu.Unlock()
		if err := alerts.Apply(ctx, trs); err != nil {
			return err
		}
		if c.observed != nil {
			c.observed(device, recs)
		}
		return nil
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ing := ingest.New(st, link, observe, ingest.Opts{Logger: c.log, Now: c.now})
	// Statuses and heartbeats are small and go straight to the registry;
	// only batches wait in ingest's queue for the store.
	up := func(topic string, payload []byte) {
		if id, err := telemetry.DeviceFromUpTopic(topic); err == nil {
			c.reg.Seen(id) // liveness: even a batch ingest rejects came from a connected device
		}
		ing.Handle(ctx, ingest.Message{Topic: topic, Payload: payload})
	}
	*link = *dialBroker(ctx, brokerOpts{
		URL: c.cfg.MQTT.Broker, ClientID: c.cfg.MQTT.ClientID,
		Username: c.cfg.MQTT.Username, Password: c.cfg.MQTT.Password,
	}, []route{
		{telemetry.UpFilter, up},
		{telemetry.StatusFilter, c.reg.HandleStatus},
		{telemetry.HeartbeatFilter, c.reg.HandleHeartbeat},
	}, c.log)
	defer link.close()
	c.mu.Lock()
	c.ing, c.link, c.notifier = ing, link, notifier
	c.mu.Unlock()

	api := web.New(st, &web.Opts{Logger: c.log, Health: c.health, States: c.reg, Lifecycle: alerts,
		Plans: c.cfg.Plans, Compliance: c.plans.compliance(st, c.now)})
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}

	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
		cancel()
	}
	wg.Add(4)
	go func() {
		defer wg.Done()
		if err := c.tick(ctx, st, alerts); err != nil {
			fail(err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := ing.Run(ctx); err != nil {
			fail(err)
		}
	}()
	go func() {
		defer wg.Done()
		notifier.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		if err := srv.Serve(c.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fail(fmt.Errorf("collector: http: %w", err))
		}
	}()
	c.log.Info("collector: started", "http", c.HTTPAddr(), "broker", c.cfg.MQTT.Broker, "store", c.cfg.Store.Path,
		"rules", len(c.engine.Rules()), "channels", len(c.cfg.Notify.Channels))
	close(c.ready)

	<-ctx.Done()
	shutdown, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	srv.Shutdown(shutdown)
	wg.Wait()
	c.log.Info("collector: stopped", "ingest", fmt.Sprintf("%+v", ing.Stats()), "notify", fmt.Sprintf("%+v", notifier.Stats()),
		"registry", fmt.Sprintf("%+v", c.reg.Stats()))
	return firstErr
}

// health reports the broker link: a collector that cannot hear devices is
// not healthy.
func (c *Collector) health() error {
	c.mu.Lock()
	link := c.link
	c.mu.Unlock()
	if link == nil || !link.connected() {
		return errors.New("not connected to the broker")
	}
	return nil
}

// IngestStats returns ingest's counters (zero before Run).
func (c *Collector) IngestStats() ingest.Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ing == nil {
		return ingest.Stats{}
	}
	return c.ing.Stats()
}

// NotifyStats returns the notifier's counters (zero before Run).
func (c *Collector) NotifyStats() notify.Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.notifier == nil {
		return notify.Stats{}
	}
	return c.notifier.Stats()
}

// IngestBacklog returns the messages waiting in ingest's queue for the
// store and the store commits ingest has made (zero before Run): what the
// load bench watches.
func (c *Collector) IngestBacklog() (queued int, commits uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ing == nil {
		return 0, 0
	}
	return c.ing.Queued(), c.ing.Commits()
}

// RegistryStats returns the device registry's counters.
func (c *Collector) RegistryStats() registry.Stats { return c.reg.Stats() }

func (c *Collector) openStore(ctx context.Context) (store.Store, error) {
	switch c.cfg.Store.Backend {
	case configs.BackendPostgres:
		return postgres.Open(ctx, c.cfg.Store.DSN, &postgres.Opts{Logger: c.log})
	default:
		return bolt.Open(c.cfg.Store.Path, nil)
	}
}

// TickEvery is how often the collector judges what time alone changes
// (silent streams, periods that ended, escalations) and replays late data.
const TickEvery = time.Second

// tick runs until ctx ends: every TickEvery, or on each of the test
// hook's ticks.
func (c *Collector) tick(ctx context.Context, st store.Store, alerts *alert.Manager) error {
	var every <-chan time.Time
	if c.ticks == nil {
		t := time.NewTicker(TickEvery)
		defer t.Stop()
		every = t.C
	}
	for {
		var done chan struct{}
		select {
		case <-ctx.Done():
			return nil
		case <-every:
		case done = <-c.ticks:
		}
		err := c.tickOnce(ctx, st, alerts)
		if done != nil {
			close(done)
		}
		if err != nil {
			return err
		}
	}
}

// tickOnce judges, at the collector's clock, what time alone changes,
// replays the late spans gathered since the last tick and escalates.
func (c *Collector) tickOnce(ctx context.Context, st store.Store, alerts *alert.Manager) error {
	c.engineMu.Lock()
	trs := c.engine.Tick(c.now())
	late := c.late
	c.late = nil
	c.engineMu.Unlock()
	if err := alerts.Apply(ctx, trs); err != nil {
		return err
	}
	for _, l := range late {
		if err := c.replay(ctx, st, alerts, l); err != nil {
			return err
		}
	}
	return alerts.Tick(ctx)
}

func (c *Collector) addLate(l rules.Late) {
	for i := range c.late {
		if c.late[i].Rule == l.Rule && c.late[i].Stream == l.Stream {
			c.late[i].From = minTime(c.late[i].From, l.From)
			c.late[i].To = maxTime(c.late[i].To, l.To)
			return
		}
	}
	c.late = append(c.late, l)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// replay judges a late span from the stored readings around it and
// applies what it finds as retrospective alerts. An episode still open at
// the end of the span is left open for the live state to clear.
func (c *Collector) replay(ctx context.Context, st store.Store, alerts *alert.Manager, l rules.Late) error {
	from, to := l.Span()
	var recs []telemetry.Record
	for {
		page, err := st.Readings(ctx, store.ReadingQuery{Device: l.Stream.Device, From: from, To: to, Limit: store.MaxLimit})
		if err != nil {
			return fmt.Errorf("collector: replay: %w", err)
		}
		recs = append(recs, page...)
		if len(page) < store.MaxLimit {
			break
		}
		from = page[len(page)-1].Time.Add(time.Millisecond)
	}
	c.engineMu.Lock()
	trs := c.engine.Replay(l, recs)
	if n := len(trs); n > 0 && trs[n-1].Change == rules.Opened {
		c.engine.MarkOpen(l.Rule.Plan, l.Rule.ID, l.Stream)
	}
	c.engineMu.Unlock()
	return alerts.Apply(ctx, trs)
}

// warmWindows replays each device's readings of the longest rule window
// into the engine, so that a restart neither forgets a rising average nor
// raises again an alert that is open. The transitions the replay finds are
// applied like any other: one that opens an alert under a plan changed
// while the collector was down is real, and the alert manager skips those
// it already holds (ids are deterministic), so nothing is notified twice.
func (c *Collector) warmWindows(ctx context.Context, st store.Store, alerts *alert.Manager) error {
	// The longest span any rule judges, a day at most: a year-to-date
	// rule restarts its average from the last day (see the note in
	// doc.go).
	var longest time.Duration
	for _, r := range c.engine.Rules() {
		longest = max(longest, r.Window+r.For, r.After, r.ClearFor)
		if r.Kind == rules.Period {
			longest = 24 * time.Hour
		}
	}
	longest = min(longest, 24*time.Hour)
	if longest == 0 {
		return nil
	}
	devs, err := st.Devices(ctx)
	if err != nil {
		return err
	}
	now := c.now()
	for _, d := range devs {
		// Page forward through the window: a 24 h window of a busy device
		// holds more than one query returns. A page ends on a whole
		// millisecond; readings sharing the boundary millisecond beyond
		// the page limit are the only ones a page can miss.
		for from := now.Add(-longest); ; {
			recs, err := st.Readings(ctx, store.ReadingQuery{Device: d.ID, From: from, To: now.Add(time.Hour), Limit: store.MaxLimit})
			if err != nil {
				return err
			}
			c.engineMu.Lock()
			trs, _ := c.engine.Observe(d.ID, recs)
			c.engineMu.Unlock()
			if err := alerts.Apply(ctx, trs); err != nil {
				return err
			}
			if len(recs) < store.MaxLimit {
				break
			}
			from = recs[len(recs)-1].Time.Add(time.Millisecond)
		}
	}
	return nil
}
