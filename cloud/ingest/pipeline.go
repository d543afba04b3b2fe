package ingest

import (
	"context"
	"errors"
	"fmt"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Run stores and acknowledges queued batches until ctx ends. A commit
// that fails with store.ErrTransient is tried again, after a backoff,
// until it succeeds or ctx ends; meanwhile the queue fills and Handle
// blocks, which holds the broker back. A batch the store refuses as
// invalid (store.ErrInvalid) is dropped, counted and logged, never
// acknowledged. Run returns an error only when the store fails otherwise
// (closed, corrupt, its disk) or the observer fails: the collector must
// not go on receiving what it cannot keep.
//
// Three goroutines share the work, each in commit order. This one gathers
// what is queued into a group, commits it and hands it to the other two at
// once: one passes its new records to the observer while the other
// publishes its acks, so that an alert does not wait for the acks of the
// readings committed with it. A commit
// is mostly the store's single writer at work and a wait for the disk
// (fsync): while it runs, the previous group's acks go out and the queue
// fills, so the next group is larger and the slower the disk, the more
// readings one fsync covers. The observer (the rules, whose alerts are
// written to the same store) may wait for a commit to finish; the acks
// never wait for it.
func (in *Ingest) Run(ctx context.Context) error {
	gctx, stop := context.WithCancel(ctx)
	defer stop()
	// Acks are handed over first, so that a group the observer fails on
	// is still acknowledged (it is stored); their buffer keeps the handing
	// over from waiting for the previous group's acks to go out.
	toAck := make(chan committed, 4)
	// The observer writes alerts to the store: each waits for its single
	// writer, behind commits and compactions. Room for a few hundred
	// milliseconds of groups keeps those waits out of the commits (and so
	// out of the acks); a group holds at most MaxGroup batches.
	toObserve := make(chan committed, 64)
	observed, acked := make(chan error, 1), make(chan struct{})
	go func() {
		for g := range toAck {
			in.acknowledge(ctx, g)
		}
		close(acked)
	}()
	go func() { observed <- in.observe(ctx, stop, toObserve) }()
	err := in.commit(gctx, toAck, toObserve)
	close(toAck)
	close(toObserve)
	<-acked
	if oerr := <-observed; oerr != nil {
		err = oerr // the observer failed first: commit only saw gctx end
	}
	if err != nil && ctx.Err() != nil {
		// Stopping is not a store failure: what was not acknowledged
		// will be sent again.
		return nil
	}
	return err
}

// committed is a group the store has committed, on its way to the acks
// and the observer.
type committed struct {
	batches []telemetry.Batch
	results []store.AppendResult
}

// commit gathers and stores groups until ctx ends or the store fails, and
// hands each committed group to every one of outs, in order.
func (in *Ingest) commit(ctx context.Context, outs ...chan<- committed) error {
	for {
		var first queued
		select {
		case <-ctx.Done():
			return nil
		case first = <-in.in:
		}
		batches, seqs := []telemetry.Batch{first.b}, first.seqs
	gather:
		for len(batches) < in.o.MaxGroup && seqs < in.o.MaxRecords {
			select {
			case q := <-in.in:
				batches = append(batches, q.b)
				seqs += q.seqs
			default:
				break gather
			}
		}
		arrived := in.o.Now()
		results, err := in.append(ctx, arrived, batches)
		switch {
		case err == nil:
			send(outs, committed{batches, results})
			continue
		case !errors.Is(err, store.ErrInvalid):
			return err
		case len(batches) == 1:
			in.refuse(batches[0], err)
			continue
		}
		// One invalid batch fails the whole commit: store them one by one,
		// so that only the invalid ones are refused.
		for _, b := range batches {
			results, err := in.append(ctx, arrived, []telemetry.Batch{b})
			switch {
			case errors.Is(err, store.ErrInvalid):
				in.refuse(b, err)
			case err != nil:
				return err
			default:
				send(outs, committed{[]telemetry.Batch{b}, results})
			}
		}
	}
}

// send hands a committed group to each of outs. It never gives up: the
// stages drain their channels until they are closed, even after the
// observer failed, and a stored group must reach both.
func send(outs []chan<- committed, g committed) {
	for _, out := range outs {
		out <- g
	}
}

// acknowledge counts a committed group and publishes its acks.
func (in *Ingest) acknowledge(ctx context.Context, g committed) {
	for i, b := range g.batches {
		res := g.results[i]
		in.batches.Add(1)
		in.records.Add(uint64(len(res.New)))
		in.condensed.Add(res.Condensed)
		in.dups.Add(uint64(res.Duplicates))
		if res.Stale {
			in.stale.Add(1)
			in.log.Info("ingest: batch from an earlier outbox of the device", "device", b.Device, "incarnation", b.Incarnation)
		}
		if len(res.Stored) == 0 {
			continue
		}
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
}

// observe passes each group's new records to the observer until groups
// is closed. When the observer fails it stops the commits and returns the
// error, still draining groups so that nothing upstream blocks.
func (in *Ingest) observe(ctx context.Context, stop context.CancelFunc, groups <-chan committed) error {
	var failed error
	for g := range groups {
		if failed != nil || in.obs == nil {
			continue
		}
		for i, b := range g.batches {
			if res := g.results[i]; len(res.New) > 0 {
				if err := in.obs(ctx, b.Device, res.New); err != nil {
					failed = fmt.Errorf("ingest: rules for %s: %w", b.Device, err)
					stop()
					break
				}
			}
		}
	}
	return failed
}
