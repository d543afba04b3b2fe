package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
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
	QueueLen int // messages that may wait for the store; 0 means 4096
	// MaxGroup and MaxRecords bound one commit: the batches it takes
	// (0 means 4096) and the readings, raw and condensed, at which it
	// stops taking more (0 means 50,000). A commit takes what is queued
	// when it starts, up to these.
	MaxGroup   int
	MaxRecords int
	Logger     *slog.Logger // nil means discard
	Now        func() time.Time
}

// Stats counts ingest's work since start.
type Stats struct {
	Batches    uint64 // batches stored
	Records    uint64 // raw records new to the store
	Condensed  uint64 // condensed sequence numbers new to the store
	Duplicates uint64 // sequence numbers already stored (re-sends), raw or condensed
	// Stale counts batches from an earlier incarnation of a device's
	// outbox (a board that came back after its replacement started).
	Stale     uint64
	Rejected  uint64 // messages dropped as malformed or mismatched
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

	batches, records, condensed, dups, stale, rejected, ackErrs atomic.Uint64
	commits                                                     atomic.Uint64
}

// New returns an ingest that writes to st, acknowledges through pub and
// passes new records to obs (which may be nil).
func New(st Appender, pub Publisher, obs Observer, opts Opts) *Ingest {
	if opts.QueueLen <= 0 {
		opts.QueueLen = 4096
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
		Duplicates: in.dups.Load(), Stale: in.stale.Load(), Rejected: in.rejected.Load(), AckErrors: in.ackErrs.Load()}
}

// Queued is how many messages wait for the store: the ingest backlog.
func (in *Ingest) Queued() int { return len(in.in) }

// Commits is how many store commits (Append calls) ingest has made.
func (in *Ingest) Commits() uint64 { return in.commits.Load() }

// Run stores and acknowledges queued messages until ctx ends. It returns
// an error only when the store or the observer fails: the collector must
// not go on receiving what it cannot keep.
//
// Two goroutines share the work. This one gathers what is queued into a
// group, decodes it and commits it; the other acknowledges each committed
// group and passes its new records to the observer, in commit order. A
// commit is mostly a wait for the disk (fsync): while it waits, the
// previous group's acks go out and the queue fills, so the next group is
// larger. The slower the disk, the more readings one fsync covers.
func (in *Ingest) Run(ctx context.Context) error {
	gctx, stop := context.WithCancel(ctx)
	defer stop()
	committed := make(chan committedGroup, 1)
	finished := make(chan error, 1)
	go func() { finished <- in.finish(ctx, stop, committed) }()
	err := in.commit(gctx, committed)
	close(committed)
	if ferr := <-finished; ferr != nil {
		err = ferr // the observer failed first: commit only saw gctx end
	}
	if err != nil && ctx.Err() != nil {
		// Stopping is not a store failure: what was not acknowledged
		// will be sent again.
		return nil
	}
	return err
}

// committedGroup is a group the store has committed, on its way to the
// acks and the observer.
type committedGroup struct {
	batches []telemetry.Batch
	results []store.AppendResult
}

// commit gathers, decodes and stores groups until ctx ends or the store
// fails, and hands each committed group to out.
func (in *Ingest) commit(ctx context.Context, out chan<- committedGroup) error {
	for {
		var first Message
		select {
		case <-ctx.Done():
			return nil
		case first = <-in.in:
		}
		batches, records := in.take(nil, first)
	gather:
		for len(batches) < in.o.MaxGroup && records < in.o.MaxRecords {
			select {
			case m := <-in.in:
				var n int
				batches, n = in.take(batches, m)
				records += n
			default:
				break gather
			}
		}
		if len(batches) == 0 {
			continue
		}
		results, err := in.st.Append(ctx, in.o.Now(), batches...)
		in.commits.Add(1)
		if err != nil {
			return fmt.Errorf("ingest: store %d batches: %w", len(batches), err)
		}
		select {
		case out <- committedGroup{batches, results}:
		case <-ctx.Done():
			return nil
		}
	}
}

// take decodes m onto batches, or counts and logs it as rejected; n is
// the records and condensed sequence numbers it adds.
func (in *Ingest) take(batches []telemetry.Batch, m Message) (_ []telemetry.Batch, n int) {
	b, err := decode(m)
	if err != nil {
		in.rejected.Add(1)
		in.log.Warn("ingest: batch rejected", "topic", m.Topic, "bytes", len(m.Payload), "err", err)
		return batches, 0
	}
	return append(batches, b), len(b.Records) + int(condensedLen(b.Condensed))
}

func condensedLen(cs []telemetry.Condensed) uint64 {
	var n uint64
	for _, c := range cs {
		n += c.Range.Len()
	}
	return n
}

// finish acknowledges each committed group and observes its new records
// until groups is closed. When the observer fails it stops the commits
// and returns the error, still draining groups so that commit never
// blocks.
func (in *Ingest) finish(ctx context.Context, stop context.CancelFunc, groups <-chan committedGroup) error {
	var failed error
	for g := range groups {
		if failed != nil {
			continue
		}
		if err := in.acknowledge(ctx, g.batches, g.results); err != nil {
			failed = err
			stop()
		}
	}
	return failed
}

// acknowledge counts a committed group, publishes its acks and passes its
// new records to the observer.
func (in *Ingest) acknowledge(ctx context.Context, batches []telemetry.Batch, results []store.AppendResult) error {
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
