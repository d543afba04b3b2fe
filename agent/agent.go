package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/xiuhua/xiuhua/agent/outbox"
	"github.com/xiuhua/xiuhua/agent/sampler"
	"github.com/xiuhua/xiuhua/agent/uplink"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Agent is one device's pipeline.
type Agent struct {
	cfg      *configs.Agent
	env      sensor.Env
	log      *slog.Logger
	samplers []*sampler.Sampler

	mu sync.Mutex // guards ob and up, which Run sets and Status reads
	ob *outbox.Outbox
	up *uplink.Uplink
}

// New checks cfg against the registered drivers and builds the pipeline.
// It opens nothing: Run does.
func New(cfg *configs.Agent, env sensor.Env, log *slog.Logger) (*Agent, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Agent{cfg: cfg, env: env, log: log.With("device", cfg.Device.ID)}
	for i, s := range cfg.Sensors {
		spec := sensor.Spec{
			Name: s.Name, Driver: s.Driver, Params: s.Params, Interval: s.Interval.D(),
			Serial: sensor.Serial{Port: s.Serial.Port, Baud: s.Serial.Baud},
			I2C:    sensor.I2C{Bus: s.I2C.Bus, Addr: uint16(s.I2C.Address)},
			Pins:   s.Pins,
		}
		smp, err := sampler.New(spec, env, a.store, sampler.Opts{Timeout: s.Timeout.D(), Logger: a.log})
		if err != nil {
			return nil, fmt.Errorf("agent: sensors[%d] (%s): %w", i, s.Name, err)
		}
		a.samplers = append(a.samplers, smp)
	}
	return a, nil
}

// store is the samplers' sink: commit, then wake the uplink.
func (a *Agent) store(ctx context.Context, rs []telemetry.Reading) error {
	a.mu.Lock()
	ob, up := a.ob, a.up
	a.mu.Unlock()
	if _, err := ob.Append(ctx, rs...); err != nil {
		return err
	}
	up.Notify()
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
	ob, err := outbox.Open(path, nil)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	defer ob.Close()
	u := a.cfg.Uplink
	up, err := uplink.New(a.cfg.Device.ID, ob, uplink.Opts{
		Broker: u.Broker, ClientID: u.ClientID, Username: u.Username, Password: u.Password,
		BatchMax: u.BatchMax, MaxInFlight: u.MaxInFlight, AckTimeout: u.AckTimeout.D(), Logger: a.log,
	})
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	a.mu.Lock()
	a.ob, a.up = ob, up
	a.mu.Unlock()
	st, _ := ob.Stats()
	a.log.Info("agent: started", "sensors", len(a.samplers), "outbox", path, "outbox_depth", st.Depth, "next_seq", st.NextSeq, "config_hash", a.cfg.Hash())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	run := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("agent: %s: %w", name, err)
				}
				mu.Unlock()
				cancel() // a broken outbox stops the whole agent
			}
		}()
	}
	for _, s := range a.samplers {
		run("sampler "+s.Name(), s.Run)
	}
	run("uplink", up.Run)
	wg.Wait()
	a.log.Info("agent: stopped")
	if firstErr != nil && !errors.Is(firstErr, context.Canceled) {
		return firstErr
	}
	return nil
}

// Status is a snapshot of the agent's parts, for probes and heartbeats.
type Status struct {
	Outbox   outbox.Stats
	Uplink   uplink.Stats
	Samplers map[string]sampler.Stats
}

// Status reads the agent's counters. It is valid while Run runs.
func (a *Agent) Status() (Status, error) {
	s := Status{Samplers: make(map[string]sampler.Stats)}
	for _, smp := range a.samplers {
		s.Samplers[smp.Name()] = smp.Stats()
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
