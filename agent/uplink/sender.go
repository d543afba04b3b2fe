package uplink

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/agent/outbox"
	"github.com/xiuhua/xiuhua/telemetry"
)

// class is which of the three streams a batch came from.
type class int

const (
	urgent class = iota
	live
	backlog
)

// flight is one batch awaiting its ack.
type flight struct {
	seqs telemetry.Ranges
	sent time.Time
}

// sender is the state of Run's loop. Only Run's goroutine touches it.
type sender struct {
	u      *Uplink
	client mqtt.Client

	connected bool
	liveFrom  uint64 // first seq of the live stream: NextSeq when the connection came up
	cursor    [3]uint64
	idle      [3]bool // the class had nothing after its cursor
	flights   []flight
	// nextReplay is when the backlog may send again under ReplayRate.
	nextReplay time.Time
	// ackWait is how long the oldest flight may wait for its ack: the
	// ack timeout, backed off by ack timeouts in a row (timeouts).
	ackWait  time.Duration
	timeouts int
}

// maxAckBackoff is the most ack timeouts in a row double the wait for:
// 2³ = 8× the configured timeout.
const maxAckBackoff = 3

func newSender(u *Uplink, client mqtt.Client) *sender {
	return &sender{u: u, client: client, ackWait: u.o.AckTimeout}
}

// backOff lengthens the ack wait after an ack timeout: double per timeout
// in a row, at most 8×, less up to a fifth at random so that devices that
// lost the collector together do not re-send together.
func (s *sender) backOff() {
	s.timeouts = min(s.timeouts+1, maxAckBackoff)
	d := s.u.o.AckTimeout << s.timeouts
	s.ackWait = d - rand.N(d/5+1)
}

// ackArrived resets the ack wait: the collector is keeping up again.
func (s *sender) ackArrived() {
	s.timeouts, s.ackWait = 0, s.u.o.AckTimeout
}

func (s *sender) run(ctx context.Context) error {
	tick := time.NewTicker(min(s.u.o.AckTimeout/4, time.Second))
	defer tick.Stop()
	beat := time.NewTicker(s.u.o.HeartbeatInterval)
	defer beat.Stop()
	for {
		sent, err := s.sendOne(ctx)
		if err != nil {
			return err
		}
		if sent {
			continue
		}
		var replay <-chan time.Time
		var replayTimer *time.Timer
		if !s.idle[backlog] && s.connected && time.Now().Before(s.nextReplay) {
			replayTimer = time.NewTimer(time.Until(s.nextReplay))
			replay = replayTimer.C
		}
		err = s.wait(ctx, replay, tick.C, beat.C)
		if replayTimer != nil {
			replayTimer.Stop()
		}
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// wait handles one event: a wake-up, a connection change, an ack, a tick.
func (s *sender) wait(ctx context.Context, replay, tick, beat <-chan time.Time) error {
	select {
	case <-ctx.Done():
	case <-s.u.wake:
		s.idle = [3]bool{}
	case <-replay:
	case up := <-s.u.conned:
		s.connected = up
		s.u.connected.Store(up)
		if up {
			st, err := s.u.ob.Stats()
			if err != nil {
				return fmt.Errorf("uplink: %w", err)
			}
			s.liveFrom = st.NextSeq
			s.rewind("connected")
			s.ackArrived() // a new connection starts with the configured ack timeout
			s.heartbeat()
		} else {
			s.rewind("connection lost")
		}
	case a := <-s.u.acks:
		if a.Incarnation != s.u.ob.Incarnation() {
			// Deleting on another outbox's ack would drop our readings
			// that share its sequence numbers before the collector has them.
			s.u.foreignAcks.Add(1)
			s.u.log.Warn("uplink: ignoring an ack for another outbox", "incarnation", a.Incarnation, "ranges", a.Ranges.String())
			return nil
		}
		n, err := s.u.ob.Ack(a.Ranges)
		if err != nil {
			return fmt.Errorf("uplink: %w", err)
		}
		s.u.ackedOK.Add(n)
		s.dropAcked(a.Ranges)
		s.ackArrived()
	case now := <-tick:
		if len(s.flights) > 0 && now.Sub(s.flights[0].sent) > s.ackWait {
			s.rewind("ack timeout")
			s.backOff()
		}
	case <-beat:
		s.heartbeat()
	}
	return nil
}

// rewind forgets the batches in flight: everything unacknowledged will be
// read from the outbox and sent again.
func (s *sender) rewind(why string) {
	if len(s.flights) > 0 {
		s.u.resends.Add(1)
		s.u.log.Info("uplink: sending again from the oldest unacknowledged entry", "why", why, "in_flight", len(s.flights))
	}
	// Leases are kept: the batches may still be on the wire, and their
	// entries must not be condensed before they are acked. The re-send
	// leases the same entries again; an ack releases them.
	s.flights = nil
	s.cursor = [3]uint64{urgent: 0, live: s.liveFrom - 1, backlog: 0}
	if s.liveFrom == 0 {
		s.cursor[live] = 0
	}
	s.idle = [3]bool{}
}

// sendOne publishes the next batch by priority, if the window has room.
func (s *sender) sendOne(ctx context.Context) (bool, error) {
	if !s.connected || len(s.flights) >= s.u.o.MaxInFlight {
		return false, nil
	}
	for _, c := range []class{urgent, live, backlog} {
		if s.idle[c] {
			continue
		}
		if c != urgent && s.u.o.HoldData != nil && s.u.o.HoldData() {
			continue
		}
		if c == backlog && time.Now().Before(s.nextReplay) {
			continue
		}
		lane, before := outbox.Data, uint64(0)
		switch c {
		case urgent:
			lane = outbox.Urgent
		case backlog:
			before = s.liveFrom
		}
		entries, err := s.u.ob.Pending(lane, s.cursor[c], before, s.u.o.BatchMax)
		if err != nil {
			return false, fmt.Errorf("uplink: %w", err)
		}
		if len(entries) == 0 {
			s.idle[c] = true
			continue
		}
		b := telemetry.Batch{Device: s.u.device, Replay: c == backlog, Incarnation: s.u.ob.Incarnation()}
		var seqs telemetry.Ranges
		for _, e := range entries {
			if e.Record != nil {
				b.Records = append(b.Records, *e.Record)
			} else {
				b.Condensed = append(b.Condensed, *e.Condensed)
			}
			seqs = seqs.Add(e.Range())
		}
		if err := s.publish(ctx, b); err != nil {
			if ctx.Err() != nil {
				return false, nil
			}
			s.u.log.Warn("uplink: publish failed; will send again", "err", err)
			if !s.client.IsConnectionOpen() {
				// paho's reconnect will report in when it is back.
				s.connected = false
				s.u.connected.Store(false)
			}
			// A late PUBACK on a live connection (a slow cellular link) only
			// rewinds: the next send starts again from the oldest entry.
			s.rewind("publish failed")
			return false, nil
		}
		s.cursor[c] = seqs.Max()
		s.flights = append(s.flights, flight{seqs: seqs, sent: time.Now()})
		if c == backlog {
			s.u.replayed.Add(seqs.Count())
			// The rate bounds what goes on the wire: a condensed block
			// costs its aggregates, not the readings it stands for.
			if r := s.u.o.ReplayRate; r > 0 {
				size := 0
				for _, e := range entries {
					size += e.Size()
				}
				s.nextReplay = time.Now().Add(time.Duration(float64(size) / r * float64(time.Second)))
			}
		}
		return true, nil
	}
	return false, nil
}

func (s *sender) publish(ctx context.Context, b telemetry.Batch) error {
	if !s.client.IsConnectionOpen() {
		return fmt.Errorf("not connected")
	}
	p, err := telemetry.EncodeBatch(b)
	if err != nil {
		return err
	}
	tok := s.client.Publish(telemetry.UpTopic(s.u.device), 1, false, p)
	// The PUBACK is not the guarantee (the collector's ack is), but waiting
	// for it keeps paho's queue from growing without bound on a slow link.
	timer := time.NewTimer(s.u.o.AckTimeout)
	defer timer.Stop()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return fmt.Errorf("no PUBACK within %v", s.u.o.AckTimeout)
	}
	if err := tok.Error(); err != nil {
		return err
	}
	s.u.batches.Add(1)
	return nil
}

// dropAcked removes the flights whose every sequence number acked covers.
func (s *sender) dropAcked(acked telemetry.Ranges) {
	out := s.flights[:0]
	for _, f := range s.flights {
		if !acked.Covers(f.seqs) {
			out = append(out, f)
		}
	}
	s.flights = out
}

func (s *sender) heartbeat() {
	if s.u.o.Heartbeat == nil || !s.connected {
		return
	}
	hb := s.u.o.Heartbeat()
	hb.Interval = telemetry.Duration(s.u.o.HeartbeatInterval)
	p, err := json.Marshal(hb)
	if err != nil {
		s.u.log.Warn("uplink: heartbeat", "err", err)
		return
	}
	// Fire and forget: a lost heartbeat is replaced by the next one.
	s.client.Publish(telemetry.HeartbeatTopic(s.u.device), 0, false, p)
}
