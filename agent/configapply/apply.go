package configapply

import (
	"context"
	"fmt"
	"time"

	"github.com/xiuhua/xiuhua/agent"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

// applyingTimeout bounds the wait for the "applying" answer's PUBACK
// before the running pipeline stops: it is a courtesy, the final answer
// is what counts.
const applyingTimeout = 5 * time.Second

// handle answers one config received and, when it passes the checks, tries
// it. It returns the pipeline running afterwards.
func (m *Manager) handle(ctx context.Context, cur *pipeline, data []byte) (*pipeline, error) {
	if len(data) == 0 {
		return cur, nil
	}
	running := cur.cfg
	hash := configs.Hash(data)
	if hash == running.Hash() {
		// Idempotent: the retained config comes again on every reconnect.
		m.queue(telemetry.ConfigApplied, hash, "", hash)
		return cur, nil
	}
	if o, ok := m.st.rolledBack(hash); ok {
		// A bad config stays retained until the engineer flashes another:
		// answer it again, never try it again.
		m.queue(telemetry.ConfigRolledBack, hash, o.Reason, running.Hash())
		return cur, nil
	}
	cfg, a, reason := m.check(data, running)
	if reason != "" {
		m.rejected.Add(1)
		m.log.Warn("configapply: config rejected", "hash", hash, "reason", reason)
		m.queue(telemetry.ConfigRejected, hash, reason, running.Hash())
		return cur, nil
	}
	return m.try(ctx, cur, cfg, a, data)
}

// try runs cfg in place of cur: slot B on disk, the trial on record, cur
// stopped, cfg's pipeline started and checked. It commits cfg or rolls
// back to cur's config, and returns the pipeline running afterwards.
func (m *Manager) try(ctx context.Context, cur *pipeline, cfg *configs.Agent, a *agent.Agent, data []byte) (*pipeline, error) {
	hash, old := cfg.Hash(), cur.cfg
	reject := func(why string, err error) (*pipeline, error) {
		m.rejected.Add(1)
		reason := fmt.Sprintf("%s: %v", why, err)
		m.log.Error("configapply: config not tried", "hash", hash, "reason", reason)
		m.queue(telemetry.ConfigRejected, hash, reason, old.Hash())
		return cur, nil
	}
	if err := writeFile(m.pathB, data); err != nil {
		return reject("cannot store the config", err)
	}
	m.st.Trying = &trial{Hash: hash, Since: time.Now().UTC()}
	if err := writeState(m.pathSt, m.st); err != nil {
		m.st.Trying = nil
		remove(m.pathB)
		return reject("cannot record the trial", err)
	}
	m.log.Info("configapply: trying a config", "hash", hash, "running", old.Hash(), "deadline", m.o.Deadline)
	m.flush(ctx, cur) // answers about earlier configs go first
	actx, cancel := context.WithTimeout(ctx, applyingTimeout)
	if err := cur.a.AnswerConfig(actx, telemetry.ConfigStatus{Hash: hash, Result: telemetry.ConfigApplying,
		Running: old.Hash(), Time: time.Now().UTC()}); err != nil {
		m.log.Warn("configapply: cannot say the config is being applied", "err", err)
	}
	cancel()
	if err := cur.stop(); err != nil {
		// The outbox failed as it closed. The trial stays on record, so
		// the next boot runs slot A again and answers.
		return cur, fmt.Errorf("configapply: stop the running config: %w", err)
	}
	if ctx.Err() != nil {
		return cur, nil
	}

	b := m.start(ctx, cfg, a)
	reason := m.health(ctx, b)
	if ctx.Err() != nil {
		// Stopped during the trial: it stays on record, and the next
		// boot rolls back, as after a power cut.
		return b, nil
	}
	if reason == "" {
		if err := m.commit(cfg); err != nil {
			reason = fmt.Sprintf("cannot commit the config: %v", err)
		} else {
			m.applied.Add(1)
			m.log.Info("configapply: config applied", "hash", hash, "previous", old.Hash())
			m.queue(telemetry.ConfigApplied, hash, "", hash)
			return b, nil
		}
	}
	return m.rollBack(ctx, b, old, hash, reason)
}

// commit makes slot B the committed config: renamed over slot A (atomic,
// and durable once the directory is synced), then the trial taken off
// record. A power cut between the two leaves a trial whose hash is slot
// A's, which the next boot recognises as committed.
func (m *Manager) commit(cfg *configs.Agent) error {
	if err := rename(m.pathB, m.pathA); err != nil {
		return err
	}
	m.mu.Lock()
	m.cfg = cfg
	m.mu.Unlock()
	m.st.Trying = nil
	if err := writeState(m.pathSt, m.st); err != nil {
		m.log.Warn("configapply: committed, but the trial is still on record", "err", err)
	}
	return nil
}

// rollBack stops the pipeline on trial and runs old's config again.
func (m *Manager) rollBack(ctx context.Context, b *pipeline, old *configs.Agent, hash, reason string) (*pipeline, error) {
	b.stop()
	m.rolledBack.Add(1)
	m.log.Warn("configapply: config rolled back", "hash", hash, "reason", reason, "running", old.Hash())
	m.st.Trying = nil
	m.st.addRolledBack(outcome{Hash: hash, Reason: reason, Time: time.Now().UTC()})
	if err := writeState(m.pathSt, m.st); err != nil {
		// The trial stays on record: the next boot answers it again.
		m.log.Error("configapply: cannot record the rollback", "err", err)
	}
	if err := remove(m.pathB); err != nil {
		m.log.Warn("configapply: cannot remove slot B", "err", err)
	}
	a, err := m.newAgent(old)
	if err != nil {
		return b, fmt.Errorf("configapply: restart the previous config: %w", err)
	}
	m.mu.Lock()
	m.cfg = old
	m.mu.Unlock()
	m.queue(telemetry.ConfigRolledBack, hash, reason, old.Hash())
	return m.start(ctx, old, a), nil
}
