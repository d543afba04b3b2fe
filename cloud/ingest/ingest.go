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
	// QueueLen is how many batches may wait for the store, decoded; 0
	// means 2048.
	QueueLen int
	// MaxGroup and MaxRecords bound one commit: the batches it takes
	// (0 means 4096) and the readings, raw and condensed, at which it
	// stops taking more (0 means 50,000). A commit takes what is queued
	// when it starts, up to these.
	MaxGroup   int
	MaxRecords int
	Logger     *slog.Logger // nil means discard
	Now        func() time.Time
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
	in  chan queued // decoded by Handle, waiting for the store

	batches, records, condensed, dups, stale, rejected, refused, retries, ackErrs atomic.Uint64
	commits                                                                       atomic.Uint64
}

// New returns an ingest that writes to st, acknowledges through pub and
// passes new records to obs (which may be nil).
func New(st Appender, pub Publisher, obs Observer, opts Opts) *Ingest {
	if opts.QueueLen <= 0 {
		opts.QueueLen = 2048
	}
	if opts.MaxGroup <= 0 {
		opts.MaxGroup = 4096
	}
	if opts.MaxRecords <= 0 {
		opts.MaxRecords = 50_000
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
	return &Ingest{st: st, pub: pub, obs: obs, o: opts, log: log, in: make(chan queued, opts.QueueLen)}
}

// queued is a decoded batch and the sequence numbers it carries.
type queued struct {
	b    telemetry.Batch
	seqs int // records and condensed sequence numbers
}

// Handle decodes and checks a message and queues it for Run, or counts
// and logs it as rejected. It blocks while the queue is full, which pushes
// back on the broker connection; it gives up when ctx ends. Decoding here,
// on the caller's goroutine (the broker client's), keeps it off the
// commit's path.
func (in *Ingest) Handle(ctx context.Context, m Message) {
	b, err := decode(m)
	if err != nil {
		in.rejected.Add(1)
		in.log.Warn("ingest: batch rejected", "topic", m.Topic, "bytes", len(m.Payload), "err", err)
		return
	}
	q := queued{b: b, seqs: len(b.Records)}
	for _, c := range b.Condensed {
		q.seqs += int(c.Range.Len())
	}
	select {
	case in.in <- q:
	case <-ctx.Done():
	}
}

// Stats returns ingest's counters.
func (in *Ingest) Stats() Stats {
	return Stats{Batches: in.batches.Load(), Records: in.records.Load(), Condensed: in.condensed.Load(),
		Duplicates: in.dups.Load(), Stale: in.stale.Load(), Rejected: in.rejected.Load(), Refused: in.refused.Load(),
		Retries: in.retries.Load(), AckErrors: in.ackErrs.Load()}
}

// Queued is how many batches wait for the store: the ingest backlog.
func (in *Ingest) Queued() int { return len(in.in) }

// Commits is how many store commits (Append calls) ingest has made.
func (in *Ingest) Commits() uint64 { return in.commits.Load() }

// append commits batches, trying again after transient failures until it
// succeeds or ctx ends.
func (in *Ingest) append(ctx context.Context, arrived time.Time, batches []telemetry.Batch) ([]store.AppendResult, error) {
	bo := in.o.Backoff // each commit starts from Min
	for attempt := 1; ; attempt++ {
		results, err := in.st.Append(ctx, arrived, batches...)
		if err == nil {
			in.commits.Add(1)
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
