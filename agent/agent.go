package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/xiuhua/xiuhua/agent/clock"
	"github.com/xiuhua/xiuhua/agent/edge"
	"github.com/xiuhua/xiuhua/agent/outbox"
	"github.com/xiuhua/xiuhua/agent/sampler"
	"github.com/xiuhua/xiuhua/agent/uplink"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Opts adjusts an agent beyond its config.
type Opts struct {
	// Clock is the board's clock; nil means clock.System when the config
	// requires synchronisation and clock.Trusted otherwise.
	Clock clock.Clock
	// OnConfig, when set, receives each config flashed to the device (its
	// retained config topic), for agent/configapply. It must not block.
	OnConfig func(payload []byte)
	// Dial, when set, opens the uplink's network connections (tcp:// and
	// mqtt:// brokers only): a simulated board's network, which the
	// simulator can cut. Nil means the operating system's dialer.
	Dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	Logger *slog.Logger // nil means discard
}

// Agent is one device's pipeline.
type Agent struct {
	cfg      *configs.Agent
	env      sensor.Env
	log      *slog.Logger
	onConfig func([]byte)
	clk      clock.Clock
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	samplers []*sampler.Sampler
	specs    []sensor.Spec // what each sampler was built from, in config order

	mu sync.Mutex // guards ob and up, which Run sets and Status reads
	ob *outbox.Outbox
	up *uplink.Uplink

	started  time.Time
	synced   atomic.Bool   // the clock is synchronised (or trusted)
	appended atomic.Uint64 // readings committed since start
	// good counts each sensor's committed readings of good quality, by
	// name: a config's health check asks that every sensor gave one.
	good map[string]*atomic.Uint64

	clockMu sync.Mutex // serialises appends and the correction while the clock is untrusted

	edgeMu sync.Mutex     // the detector sees one sample at a time, from any sampler
	edge   *edge.Detector // nil when the config has no edge.elevator
	alarms *edge.Alarms   // nil when the config has no edge.alarms
}

// New checks cfg against the registered drivers and builds the pipeline.
// It opens nothing: Run does.
func New(cfg *configs.Agent, env sensor.Env, opts Opts) (*Agent, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clk := opts.Clock
	if clk == nil {
		if cfg.Clock.Requires() {
			clk = clock.System{}
		} else {
			clk = clock.Trusted{}
		}
	}
	a := &Agent{cfg: cfg, env: env, log: log.With("device", cfg.Device.ID), clk: clk, onConfig: opts.OnConfig, dial: opts.Dial,
		good: make(map[string]*atomic.Uint64, len(cfg.Sensors))}
	if e := cfg.Edge.Elevator; e != nil {
		det, err := edge.New(&edge.Opts{
			StoreyHeight: e.StoreyM, GroundFloor: e.GroundFloor, FloorHeights: e.FloorHeightsM, FloorNumbers: e.FloorNumbers,
			TrappedAfter: e.TrappedAfter.D(), MaxSpeed: e.MaxSpeed, VibrationLimit: e.VibrationLimit,
		})
		if err != nil {
			return nil, fmt.Errorf("agent: edge.elevator: %w", err)
		}
		a.edge = det
	}
	if len(cfg.Edge.Alarms) > 0 {
		al, err := edge.NewAlarms(alarms(cfg.Edge.Alarms))
		if err != nil {
			return nil, fmt.Errorf("agent: edge.alarms: %w", err)
		}
		a.alarms = al
	}
	for i, s := range cfg.Sensors {
		spec := sensor.Spec{
			Name: s.Name, Driver: s.Driver, Params: s.Params, Interval: s.Interval.D(),
			Serial: sensor.Serial{Port: s.Serial.Port, Baud: s.Serial.Baud},
			I2C:    sensor.I2C{Bus: s.I2C.Bus, Addr: uint16(s.I2C.Address)},
			Pins:   s.Pins,
		}
		smp, err := sampler.New(spec, env, a.store, sampler.Opts{Timeout: s.Timeout.D(), Calibrate: calibration(s.Calibration), Logger: a.log})
		if err != nil {
			return nil, fmt.Errorf("agent: sensors[%d] (%s): %w", i, s.Name, err)
		}
		a.samplers = append(a.samplers, smp)
		a.specs = append(a.specs, spec)
		a.good[s.Name] = new(atomic.Uint64)
	}
	return a, nil
}

// store is the samplers' sink: stamp the clock's state, commit, then wake
// the uplink.
func (a *Agent) store(ctx context.Context, rs []telemetry.Reading) error {
	a.mu.Lock()
	ob, up := a.ob, a.up
	a.mu.Unlock()
	for i := range rs {
		// A value that cannot travel (NaN, ±Inf) would hold its whole
		// batch back forever: keep the reading, marked unusable.
		if v := rs[i].Value; math.IsNaN(v) || math.IsInf(v, 0) {
			rs[i].Value, rs[i].Quality = 0, telemetry.Bad
		}
	}
	if a.edge != nil {
		a.edgeMu.Lock()
		var derived []telemetry.Reading
		for _, r := range rs {
			derived = append(derived, a.edge.Observe(r)...)
		}
		a.edgeMu.Unlock()
		// Events and derived values are committed with the sample that
		// caused them: both survive a power cut, or neither was taken.
		rs = append(rs, derived...)
		if a.cfg.Edge.Elevator.HoldDoorsForEBike {
			for _, d := range derived {
				if d.Quantity == telemetry.EventEBike {
					a.holdDoors(d.Value == 1)
				}
			}
		}
	}
	if a.alarms != nil {
		// Judged after the detector, so that alarms may watch what it
		// derives (speed, floor); committed with the sample, like its events.
		rs = append(rs, a.alarms.Observe(rs)...)
	}
	unsynced := false
	if !a.synced.Load() {
		// While the clock is not trusted, asking it, appending and
		// recording the span happen under one lock with the correction, so
		// that no reading stamped after the step is moved by it.
		a.clockMu.Lock()
		defer a.clockMu.Unlock()
		if a.clk.Synced() {
			if err := a.syncNow(ob); err != nil {
				return err
			}
		} else {
			unsynced = true
			for i := range rs {
				rs[i].Flags |= telemetry.ClockUnsynced
			}
		}
	}
	if sk, ok := a.clk.(clock.Skewed); ok {
		// Read under clockMu while the clock is untrusted, so that the
		// skew and the flags above describe the same moment.
		d := sk.Skew()
		for i := range rs {
			rs[i].Time = rs[i].Time.Add(d)
		}
	}
	r, err := ob.Append(ctx, rs...)
	if err != nil {
		return err
	}
	a.appended.Add(uint64(len(rs)))
	for _, r := range rs {
		if c := a.good[r.Sensor]; c != nil && r.Quality == telemetry.Good {
			c.Add(1)
		}
	}
	if unsynced {
		if err := ob.MarkUnsynced(a.clk.BootID(), clock.Epoch(a.clk), r); err != nil {
			// The readings are safe; they will travel flagged as unsynced.
			a.log.Warn("agent: cannot record the unsynchronised span", "err", err)
		}
	}
	up.Notify()
	return nil
}

// doorHolder is a sensor with a door-hold relay (drivers/ebike).
type doorHolder interface{ HoldDoors(bool) error }

// holdDoors asks every open sensor with a door-hold relay to hold (or
// release) the car doors. A failure is logged: the event itself is already
// on its way to the elevator safety office.
func (a *Agent) holdDoors(hold bool) {
	for _, s := range a.samplers {
		h, ok := s.Sensor().(doorHolder)
		if !ok {
			continue
		}
		if err := h.HoldDoors(hold); err != nil {
			a.log.Warn("agent: door hold relay", "sensor", s.Name(), "hold", hold, "err", err)
		} else {
			a.log.Info("agent: door hold relay", "sensor", s.Name(), "hold", hold)
		}
	}
}

// syncNow corrects the readings taken before the clock synchronised and
// marks it trusted. The caller holds clockMu.
func (a *Agent) syncNow(ob *outbox.Outbox) error {
	n, err := ob.CorrectClock(a.clk.BootID(), clock.Epoch(a.clk))
	if err != nil {
		return err
	}
	a.synced.Store(true)
	a.log.Info("agent: clock synchronised; readings corrected", "corrected", n)
	return nil
}

// Run opens the outbox and runs the samplers and the uplink until ctx
// ends. It returns an error when the outbox cannot be opened or breaks;
// sensor and network trouble is retried, never returned.
func (a *Agent) Run(ctx context.Context) error {
	path := a.cfg.Outbox.Path
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("agent: outbox directory: %w", err)
	}
	ob, err := outbox.Open(path, &outbox.Opts{Budget: int64(a.cfg.Outbox.BudgetMB) << 20})
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	defer ob.Close()
	a.started = time.Now()
	a.synced.Store(!a.cfg.Clock.Requires() || a.clk.Synced())
	if a.cfg.Clock.Requires() && a.synced.Load() {
		// The clock synchronised while the agent was down (same boot):
		// readings it left unsynchronised can still be corrected.
		if n, err := ob.CorrectClock(a.clk.BootID(), clock.Epoch(a.clk)); err != nil {
			return fmt.Errorf("agent: %w", err)
		} else if n > 0 {
			a.log.Info("agent: readings from before the clock synchronised corrected", "corrected", n)
		}
	}
	u := a.cfg.Uplink
	tlsc, err := u.TLSConfig()
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	up, err := uplink.New(a.cfg.Device.ID, ob, uplink.Opts{
		Broker: u.Broker, ClientID: u.ClientID, Username: u.Username, Password: u.Password,
		BatchMax: u.BatchMax, MaxInFlight: u.MaxInFlight, AckTimeout: u.AckTimeout.D(), ReplayRate: u.ReplayRate,
		Heartbeat: a.heartbeat, HeartbeatInterval: u.Heartbeat.D(), ConfigHash: a.cfg.Hash(),
		HoldData: a.holdData, TLS: tlsc, OnConfig: a.onConfig, Dial: a.dial, Logger: a.log,
	})
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	a.mu.Lock()
	a.ob, a.up = ob, up
	a.mu.Unlock()
	st, _ := ob.Stats()
	a.log.Info("agent: started", "sensors", len(a.samplers), "outbox", path, "outbox_depth", st.Depth,
		"next_seq", st.NextSeq, "config_hash", a.cfg.Hash(), "clock_synced", a.synced.Load())

	g, ctx := errgroup.WithContext(ctx)
	for _, s := range a.samplers {
		g.Go(func() error { return s.Run(ctx) })
	}
	g.Go(func() error { return up.Run(ctx) })
	if !a.synced.Load() {
		g.Go(func() error { return a.watchClock(ctx, ob) })
	}
	err = g.Wait()
	a.log.Info("agent: stopped")
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("agent: %w", err)
	}
	return nil
}

// holdData keeps readings back while the clock may still be corrected.
func (a *Agent) holdData() bool {
	return !a.synced.Load() && time.Since(a.started) < a.cfg.Clock.SyncWait.D()
}

// watchClock waits for the clock to synchronise, then corrects the
// readings taken before.
func (a *Agent) watchClock(ctx context.Context, ob *outbox.Outbox) error {
	a.log.Warn("agent: clock not synchronised; holding readings until it is", "sync_wait", a.cfg.Clock.SyncWait.D())
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		a.clockMu.Lock()
		var err error
		if !a.synced.Load() && a.clk.Synced() {
			err = a.syncNow(ob)
		}
		a.clockMu.Unlock()
		if err != nil {
			return err
		}
		if a.synced.Load() {
			a.mu.Lock()
			a.up.Notify()
			a.mu.Unlock()
			return nil
		}
	}
}

// Status is a snapshot of the agent's parts, for probes and heartbeats.
type Status struct {
	Outbox   outbox.Stats
	Uplink   uplink.Stats
	Samplers map[string]sampler.Stats
	Good     map[string]uint64 // committed readings of good quality, by sensor
}

// Status reads the agent's counters. It is valid while Run runs.
func (a *Agent) Status() (Status, error) {
	s := Status{Samplers: make(map[string]sampler.Stats), Good: make(map[string]uint64)}
	for _, smp := range a.samplers {
		s.Samplers[smp.Name()] = smp.Stats()
		s.Good[smp.Name()] = a.good[smp.Name()].Load()
	}
	a.mu.Lock()
	ob, up := a.ob, a.up
	a.mu.Unlock()
	if ob == nil {
		return s, errors.New("agent: not running")
	}
	var err error
	s.Outbox, err = ob.Stats()
	s.Uplink = up.Stats()
	return s, err
}

// AnswerConfig publishes a config's outcome on the device's config status
// topic through the running uplink; see uplink.PublishConfigStatus.
func (a *Agent) AnswerConfig(ctx context.Context, st telemetry.ConfigStatus) error {
	a.mu.Lock()
	up := a.up
	a.mu.Unlock()
	if up == nil {
		return uplink.ErrNotConnected
	}
	return up.PublishConfigStatus(ctx, st)
}

// heartbeat builds the heartbeat the uplink publishes.
func (a *Agent) heartbeat() telemetry.Heartbeat {
	st, _ := a.Status()
	now := time.Now()
	hb := telemetry.Heartbeat{Time: now.UTC(), ConfigHash: a.cfg.Hash(), Clock: "synced", Sensors: map[string]telemetry.SensorState{}}
	if !a.synced.Load() {
		hb.Clock = "unsynced"
	}
	o := st.Outbox
	hb.Outbox = telemetry.OutboxState{Depth: o.Depth, NextSeq: o.NextSeq, BudgetBytes: o.Budget, UsedBytes: o.UsedBytes, Condensed: o.Condensed}
	if !o.OldestTime.IsZero() {
		hb.Outbox.OldestAgeS = now.Sub(o.OldestTime).Seconds()
	}
	if mins := now.Sub(a.started).Minutes(); mins > 0 {
		hb.Outbox.ReadingsPerMin = float64(a.appended.Load()) / max(mins, 1)
	}
	hb.Outbox.AutonomyHours = autonomy(o, hb.Outbox.ReadingsPerMin)
	for name, s := range st.Samplers {
		hb.Sensors[name] = telemetry.SensorState{Open: s.Open, Samples: s.Samples, Errors: s.Errors, LastErr: s.LastErr}
	}
	return hb
}

// autonomy estimates the hours of offline operation left before the
// outbox starts condensing, at perMin readings a minute.
func autonomy(o outbox.Stats, perMin float64) float64 {
	if o.Budget <= 0 || perMin <= 0 {
		return 0
	}
	perReading := 64.0 // bytes per raw reading in bbolt, a measured typical value
	if o.Depth > 100 && o.UsedBytes > 0 {
		perReading = float64(o.UsedBytes) / float64(o.Depth)
	}
	room := outbox.HighWater*float64(o.Budget) - float64(o.UsedBytes)
	if room <= 0 {
		return 0
	}
	return room / perReading / perMin / 60
}
