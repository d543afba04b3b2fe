package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/internal/backoff"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Appender is the store's write side.
type Appender interface {
	Append(ctx context.Context, arrived time.Time, batches ...telemetry.Batch) ([]store.AppendResult, error)
}

// Publisher sends an acknowledgement to a device.
type Publisher interface {
	PublishAck(ctx context.Context, a telemetry.Ack) error
}

// Observer receives the records that were new to the store, per device,
// after they are committed (the rules).
type Observer func(ctx context.Context, device string, recs []telemetry.Record) error

// Message is one batch as it came off the broker.
type Message struct {
	Topic   string
	Payload []byte
}

// Opts configures ingest.
type Opts struct {
	QueueLen int          // messages that may wait for the store; 0 means 1024
	MaxGroup int          // batches one commit takes; 0 means 256
	Logger   *slog.Logger // nil means discard
	Now      func() time.Time
	// Backoff is the wait between attempts at a commit that failed with
	// store.ErrTransient: Min after the first failure, doubling up to
	// Max, with jitter (see internal/backoff). Zero Min means
	// DefaultBackoffMin, zero Max DefaultBackoffMax (or Min, if longer).
	Backoff backoff.Backoff
}

// Defaults of Opts.Backoff: a database that restarts is back within
// seconds; one that is down longer is tried every half minute.
const (
	DefaultBackoffMin = 100 * time.Millisecond
	DefaultBackoffMax = 30 * time.Second
)

// Stats counts ingest's work since start.
type Stats struct {
	Batches    uint64 // batches stored
	Records    uint64 // raw records new to the store
	Condensed  uint64 // condensed sequence numbers new to the store
	Duplicates uint64 // sequence numbers already stored (re-sends), raw or condensed
	// Stale counts batches from an earlier incarnation of a device's
	// outbox (a board that came back after its replacement started).
	Stale    uint64
	Rejected uint64 // messages dropped as malformed or mismatched
	// Refused counts the batches the store refused as invalid
	// (store.ErrInvalid): dropped, never acknowledged.
	Refused   uint64
	Retries   uint64 // commits tried again after a transient store failure
	AckErrors uint64 // acknowledgements that could not be published
}

// Ingest is the path from broker to store. Handle may be called from any
// goroutine; Run owns the store writes and the acks.
type Ingest struct {
	st  Appender
	pub Publisher
	obs Observer
	o   Opts
	log *slog.Logger
	in  chan Message

	batches, records, condensed, dups, stale, rejected, refused, retries, ackErrs atomic.Uint64
}

// New returns an ingest that writes to st, acknowledges through pub and
// passes new records to obs (which may be nil).
func New(st Appender, pub Publisher, obs Observer, opts Opts) *Ingest {
	if opts.QueueLen <= 0 {
		opts.QueueLen = 1024
	}
	if opts.MaxGroup <= 0 {
		opts.MaxGroup = 256
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Backoff.Min <= 0 {
		opts.Backoff.Min = DefaultBackoffMin
	}
	if opts.Backoff.Max <= 0 {
		opts.Backoff.Max = max(DefaultBackoffMax, opts.Backoff.Min)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Ingest{st: st, pub: pub, obs: obs, o: opts, log: log, in: make(chan Message, opts.QueueLen)}
}

// Handle queues a message for Run. It blocks while the queue is full,
// which pushes back on the broker connection; it gives up when ctx ends.
func (in *Ingest) Handle(ctx context.Context, m Message) {
	select {
	case in.in <- m:
	case <-ctx.Done():
	}
}

// Stats returns ingest's counters.
func (in *Ingest) Stats() Stats {
	return Stats{Batches: in.batches.Load(), Records: in.records.Load(), Condensed: in.condensed.Load(),
		Duplicates: in.dups.Load(), Stale: in.stale.Load(), Rejected: in.rejected.Load(), Refused: in.refused.Load(),
		Retries: in.retries.Load(), AckErrors: in.ackErrs.Load()}
}

// Run stores and acknowledges queued messages until ctx ends. A commit
// that fails with store.ErrTransient is tried again, after a backoff,
// until it succeeds or ctx ends; meanwhile the queue fills and Handle
// blocks, which holds the broker back. A batch the store refuses as
// invalid (store.ErrInvalid) is dropped, counted and logged, never
// acknowledged. Run returns an error only when the store fails otherwise
// (closed, corrupt, its disk): the collector must not go on receiving
// what it cannot keep.
func (in *Ingest) Run(ctx context.Context) error {
	for {
		var first Message
		select {
		case <-ctx.Done():
			return nil
		case first = <-in.in:
		}
		group := []Message{first}
	gather:
		for len(group) < in.o.MaxGroup {
			select {
			case m := <-in.in:
				group = append(group, m)
			default:
				break gather
			}
		}
		if err := in.process(ctx, group); err != nil {
			if ctx.Err() != nil {
				// Stopping is not a store failure: what was not
				// acknowledged will be sent again.
				return nil
			}
			return err
		}
	}
}

func (in *Ingest) process(ctx context.Context, group []Message) error {
	batches := make([]telemetry.Batch, 0, len(group))
	for _, m := range group {
		b, err := decode(m)
		if err != nil {
			in.rejected.Add(1)
			in.log.Warn("ingest: batch rejected", "topic", m.Topic, "bytes", len(m.Payload), "err", err)
			continue
		}
		batches = append(batches, b)
	}
	if len(batches) == 0 {
		return nil
	}
	arrived := in.o.Now()
	results, err := in.append(ctx, arrived, batches)
	switch {
	case err == nil:
		return in.stored(ctx, batches, results)
	case !errors.Is(err, store.ErrInvalid):
		return err
	case len(batches) == 1:
		in.refuse(batches[0], err)
		return nil
	}
	// One invalid batch fails the whole commit: store them one by one, so
	// that only the invalid ones are refused.
	for _, b := range batches {
		results, err := in.append(ctx, arrived, []telemetry.Batch{b})
		switch {
		case errors.Is(err, store.ErrInvalid):
			in.refuse(b, err)
		case err != nil:
			return err
		default:
			if err := in.stored(ctx, []telemetry.Batch{b}, results); err != nil {
				return err
			}
		}
	}
	return nil
}

// append commits batches, trying again after transient failures until it
// succeeds or ctx ends.
func (in *Ingest) append(ctx context.Context, arrived time.Time, batches []telemetry.Batch) ([]store.AppendResult, error) {
	bo := in.o.Backoff // each commit starts from Min
	for attempt := 1; ; attempt++ {
		results, err := in.st.Append(ctx, arrived, batches...)
		if err == nil {
			return results, nil
		}
		err = fmt.Errorf("ingest: store %d batches: %w", len(batches), err)
		if !errors.Is(err, store.ErrTransient) || ctx.Err() != nil {
			return nil, err
		}
		wait := bo.Next()
		in.log.Warn("ingest: store failed; trying again", "batches", len(batches), "attempt", attempt, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("ingest: stopped while retrying: %w", ctx.Err())
		}
		in.retries.Add(1)
	}
}

// refuse drops a batch the store refused: the device keeps it and sends
// it again, which the store refuses again, so it is logged for people to
// look at.
func (in *Ingest) refuse(b telemetry.Batch, err error) {
	in.refused.Add(1)
	in.log.Error("ingest: batch refused by the store", "device", b.Device, "records", len(b.Records),
		"condensed", len(b.Condensed), "err", err)
}

// stored counts, acknowledges and observes batches stored with results.
func (in *Ingest) stored(ctx context.Context, batches []telemetry.Batch, results []store.AppendResult) error {
	for i, b := range batches {
		res := results[i]
		in.batches.Add(1)
		in.records.Add(uint64(len(res.New)))
		in.condensed.Add(res.Condensed)
		in.dups.Add(uint64(res.Duplicates))
		if res.Stale {
			in.stale.Add(1)
			in.log.Info("ingest: batch from an earlier outbox of the device", "device", b.Device, "incarnation", b.Incarnation)
		}
		if len(res.Stored) > 0 {
			// The ack names the batch's incarnation: only the outbox that
			// numbered these sequence numbers may delete on it.
			a := telemetry.Ack{Device: b.Device, Ranges: res.Stored, Incarnation: b.Incarnation}
			if err := in.pub.PublishAck(ctx, a); err != nil {
				// The device will time out and send again; the store keeps
				// the re-send from becoming a duplicate.
				in.ackErrs.Add(1)
				in.log.Warn("ingest: ack not published", "device", b.Device, "ranges", res.Stored.String(), "err", err)
			}
		}
		if in.obs != nil && len(res.New) > 0 {
			if err := in.obs(ctx, b.Device, res.New); err != nil {
				return fmt.Errorf("ingest: rules for %s: %w", b.Device, err)
			}
		}
	}
	return nil
}

func decode(m Message) (telemetry.Batch, error) {
	dev, err := telemetry.DeviceFromUpTopic(m.Topic)
	if err != nil {
		return telemetry.Batch{}, err
	}
	b, err := telemetry.DecodeBatch(m.Payload)
	if err != nil {
		return telemetry.Batch{}, err
	}
	if b.Device != dev {
		return telemetry.Batch{}, fmt.Errorf("ingest: topic names device %q but the payload says %q", dev, b.Device)
	}
	if len(b.Records) == 0 && len(b.Condensed) == 0 {
		return telemetry.Batch{}, fmt.Errorf("ingest: empty batch from %q", dev)
	}
	return b, nil
}
