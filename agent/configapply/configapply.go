package configapply

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xiuhua/xiuhua/agent"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// DefaultDeadline is the health check's deadline when Opts.Deadline is 0:
// long enough for a sensor's first open retries (1 s, 2 s, 4 s, …) and a
// cellular link's first connection.
const DefaultDeadline = 2 * time.Minute

// ReasonRestarted is the reason of a trial the agent did not live through:
// the process died (a power cut, a crash, a kill) while slot B was on trial.
const ReasonRestarted = "agent restarted during the health check"

// Files beside the config (slot A) at Opts.Path.
const (
	SuffixNext  = ".next"  // slot B: the config on trial
	SuffixState = ".state" // the trial on record and the configs rolled back
)

// Opts configures a Manager.
type Opts struct {
	// Path is the committed config file, slot A. Required.
	Path string
	// Trust holds the keys a config must be signed by, at boot and over
	// MQTT. Nil means signatures are not checked (a development setting).
	Trust []ed25519.PublicKey
	// Deadline bounds a trial's health check. 0 means DefaultDeadline.
	Deadline time.Duration
	// Env reaches the board's sensors. Required.
	Env sensor.Env
	// Agent is given to every pipeline the Manager starts; its OnConfig is
	// the Manager's own, and a nil Logger means Logger.
	Agent  agent.Opts
	Logger *slog.Logger // nil means discard
}

// Stats counts what a Manager did since it was made.
type Stats struct {
	Pipelines  uint64 // pipelines started: the first, each trial and each restart after a rollback
	Applied    uint64 // configs committed
	RolledBack uint64 // trials that failed
	Rejected   uint64 // configs refused before a trial
}

// Manager runs the agent from the committed config and applies the
// configs flashed to the device.
type Manager struct {
	o                    Opts
	log                  *slog.Logger
	pathA, pathB, pathSt string

	inbox chan []byte // the latest config received and not yet handled

	// Owned by Run's goroutine.
	st      state
	answers []telemetry.ConfigStatus // waiting for a connected uplink
	first   *agent.Agent             // slot A's pipeline, built by New
	running atomic.Bool

	mu  sync.Mutex // guards cfg and cur, which Run sets and the getters read
	cfg *configs.Agent
	cur *pipeline

	pipelines, applied, rolledBack, rejected atomic.Uint64
}

// New reads slot A and the state beside it and builds the pipeline, but
// starts nothing. A trial that was under way when the agent last stopped
// is rolled back here (or found committed), and its answer queued for
// when the uplink connects. With Opts.Trust, a slot A that is not signed
// by a trusted key is refused: the error wraps configs.ErrUnsigned,
// ErrBadSignature or ErrUnknownKey. Problems with the config come back as
// the *configs.Error of configs.LoadAgent.
func New(opts Opts) (*Manager, error) {
	if opts.Path == "" {
		return nil, errors.New("configapply: no config path")
	}
	if opts.Env == nil {
		return nil, errors.New("configapply: no sensor environment")
	}
	if opts.Deadline <= 0 {
		opts.Deadline = DefaultDeadline
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Agent.Logger == nil {
		opts.Agent.Logger = log
	}
	m := &Manager{o: opts, log: log, pathA: opts.Path, pathB: opts.Path + SuffixNext, pathSt: opts.Path + SuffixState,
		inbox: make(chan []byte, 1)}
	m.o.Agent.OnConfig = m.receive

	data, err := os.ReadFile(m.pathA)
	if err != nil {
		return nil, fmt.Errorf("configapply: %w", err)
	}
	if opts.Trust != nil {
		if _, _, err := configs.Verify(data, opts.Trust); err != nil {
			return nil, fmt.Errorf("configapply: refusing %s: %w", m.pathA, err)
		}
	}
	cfg, err := configs.ParseAgent(m.pathA, data)
	if err != nil {
		return nil, err
	}
	if m.st, err = readState(m.pathSt); err != nil {
		return nil, err
	}
	if err := m.recover(cfg); err != nil {
		return nil, err
	}
	if m.first, err = m.newAgent(cfg); err != nil {
		return nil, fmt.Errorf("configapply: %s: %w", m.pathA, err)
	}
	m.cfg = cfg
	return m, nil
}

// recover settles a trial the agent did not live through. Slot B is never
// booted from: if the commit's rename happened, slot A already holds the
// config on trial, which passed; otherwise the trial failed.
func (m *Manager) recover(a *configs.Agent) error {
	t := m.st.Trying
	if t != nil {
		now := time.Now().UTC()
		m.st.Trying = nil
		if t.Hash == a.Hash() {
			m.log.Info("configapply: the config on trial was committed before the agent stopped", "hash", t.Hash)
			m.queue(telemetry.ConfigApplied, t.Hash, "", a.Hash())
		} else {
			m.log.Warn("configapply: the agent stopped during a trial; rolled back", "hash", t.Hash, "since", t.Since)
			m.st.addRolledBack(outcome{Hash: t.Hash, Reason: ReasonRestarted, Time: now})
			m.queue(telemetry.ConfigRolledBack, t.Hash, ReasonRestarted, a.Hash())
		}
		if err := writeState(m.pathSt, m.st); err != nil {
			return err
		}
	}
	// A slot B without a trial on record was being written when the agent
	// stopped: nothing ran from it.
	return remove(m.pathB)
}

func (m *Manager) newAgent(cfg *configs.Agent) (*agent.Agent, error) {
	return agent.New(cfg, m.o.Env, m.o.Agent)
}

// receive takes a config from the uplink. Only the latest matters (it is
// what the retained topic holds), so an older one not yet handled is
// replaced. It never blocks.
func (m *Manager) receive(payload []byte) {
	for {
		select {
		case m.inbox <- payload:
			return
		default:
		}
		select {
		case <-m.inbox:
		default:
		}
	}
}

// answerRetry is how often queued answers are tried while the uplink is
// not connected.
const answerRetry = 500 * time.Millisecond

// Run runs the agent from the committed config and applies each config
// received, until ctx ends. It returns an error when a pipeline stops by
// itself (the outbox broke) or a trial cannot even stop the running one.
func (m *Manager) Run(ctx context.Context) (err error) {
	if !m.running.CompareAndSwap(false, true) {
		return errors.New("configapply: Run called twice")
	}
	m.mu.Lock()
	cfg := m.cfg
	m.mu.Unlock()
	cur := m.start(ctx, cfg, m.first)
	defer func() {
		if serr := cur.stop(); err == nil && ctx.Err() != nil {
			err = serr
		}
	}()
	tick := time.NewTicker(answerRetry)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-cur.done:
			if ctx.Err() != nil {
				return nil
			}
			if cur.err != nil {
				return fmt.Errorf("configapply: %w", cur.err)
			}
			return errors.New("configapply: the agent stopped by itself")
		case data := <-m.inbox:
			next, err := m.handle(ctx, cur, data)
			cur = next
			if err != nil {
				return err
			}
			m.flush(ctx, cur)
		case <-tick.C:
			m.flush(ctx, cur)
		}
	}
}

// Running returns the hash of the config the agent runs: the committed one.
func (m *Manager) Running() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cfg.Hash()
}

// Status returns the running pipeline's status (during a trial, that of
// the config on trial).
func (m *Manager) Status() (agent.Status, error) {
	m.mu.Lock()
	p := m.cur
	m.mu.Unlock()
	if p == nil {
		return agent.Status{}, errors.New("configapply: not running")
	}
	return p.a.Status()
}

// Stats returns the Manager's counters.
func (m *Manager) Stats() Stats {
	return Stats{Pipelines: m.pipelines.Load(), Applied: m.applied.Load(), RolledBack: m.rolledBack.Load(), Rejected: m.rejected.Load()}
}

// maxAnswers bounds the answers waiting for a connection. The status
// topic keeps only the last one anyway; the bound keeps a device that
// cannot publish from growing the queue with every config handed over.
const maxAnswers = 16

// queue adds an answer for the uplink. Run's goroutine (or New) only.
func (m *Manager) queue(result, hash, reason, running string) {
	m.answers = append(m.answers, telemetry.ConfigStatus{Hash: hash, Result: result, Reason: reason, Running: running, Time: time.Now().UTC()})
	if n := len(m.answers) - maxAnswers; n > 0 {
		m.answers = append([]telemetry.ConfigStatus(nil), m.answers[n:]...)
	}
}

// answerTimeout bounds the wait for one answer's PUBACK.
const answerTimeout = 10 * time.Second

// flush publishes the queued answers, in order, through p's uplink; what
// cannot go now stays queued.
func (m *Manager) flush(ctx context.Context, p *pipeline) {
	for len(m.answers) > 0 {
		actx, cancel := context.WithTimeout(ctx, answerTimeout)
		err := p.a.AnswerConfig(actx, m.answers[0])
		cancel()
		if err != nil {
			return
		}
		a := m.answers[0]
		m.log.Info("configapply: answered", "hash", a.Hash, "result", a.Result, "reason", a.Reason, "running", a.Running)
		m.answers = m.answers[1:]
	}
}

// pipeline is one agent.Agent running in its own goroutine.
type pipeline struct {
	a      *agent.Agent
	cfg    *configs.Agent
	cancel context.CancelFunc
	done   chan struct{}
	err    error // Run's result, once done is closed
}

// start runs a in a goroutine of its own and makes it the current pipeline.
func (m *Manager) start(ctx context.Context, cfg *configs.Agent, a *agent.Agent) *pipeline {
	pctx, cancel := context.WithCancel(ctx)
	p := &pipeline{a: a, cfg: cfg, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.err = a.Run(pctx)
	}()
	m.pipelines.Add(1)
	m.mu.Lock()
	m.cur = p
	m.mu.Unlock()
	return p
}

// stop stops p and waits until its samplers have stopped and its outbox
// is closed: every reading it committed is on disk. It is idempotent.
func (p *pipeline) stop() error {
	p.cancel()
	<-p.done
	return p.err
}
