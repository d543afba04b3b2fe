package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/ingest"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/telemetry"
)

// arrived is the collector clock every test runs at: it must come back as
// the devices' LastSeen, to the microsecond (what the bolt store keeps).
var arrived = time.Date(2026, 7, 14, 9, 30, 0, 123456000, time.UTC)

var t0 = time.Date(2026, 7, 14, 9, 0, 0, 0, time.UTC)

func openDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func records(seqs ...uint64) []telemetry.Record {
	out := make([]telemetry.Record, len(seqs))
	for i, s := range seqs {
		out[i] = telemetry.Record{Seq: s, Reading: telemetry.Reading{
			Sensor: "dust", Quantity: telemetry.PM2_5, Value: float64(s) + 0.5, Time: t0.Add(time.Duration(s) * time.Second),
		}}
	}
	return out
}

// rs is the set of the inclusive ranges given as first, last pairs.
func rs(firstLast ...uint64) telemetry.Ranges {
	var out telemetry.Ranges
	for i := 0; i+1 < len(firstLast); i += 2 {
		out = append(out, telemetry.Range{First: firstLast[i], Last: firstLast[i+1]})
	}
	return out
}

func payload(t *testing.T, device string, seqs ...uint64) []byte {
	t.Helper()
	p, err := telemetry.EncodeBatch(telemetry.Batch{Device: device, Records: records(seqs...)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// up is a well-formed message from device with the given records.
func up(t *testing.T, device string, seqs ...uint64) ingest.Message {
	return ingest.Message{Topic: telemetry.UpTopic(device), Payload: payload(t, device, seqs...)}
}

// condensedUp is a message from device with the given records and one
// condensed block standing for first..last, in one minute.
func condensedUp(t *testing.T, device string, first, last uint64, seqs ...uint64) ingest.Message {
	t.Helper()
	b := telemetry.Batch{Device: device, Records: records(seqs...), Replay: true, Condensed: []telemetry.Condensed{{
		Range: telemetry.Range{First: first, Last: last},
		Aggregates: []telemetry.Aggregate{{Sensor: "dust", Quantity: telemetry.PM2_5, Minute: t0,
			Count: uint32(last - first + 1), Min: 1, Max: 3, Mean: 2}},
	}}}
	p, err := telemetry.EncodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	return ingest.Message{Topic: telemetry.UpTopic(device), Payload: p}
}

// recorder is the Publisher and the Observer. The first failAcks acks fail.
type recorder struct {
	mu       sync.Mutex
	failAcks int
	acks     []telemetry.Ack
	observed []observed
}

type observed struct {
	Device string
	Seqs   []uint64
}

var errBroker = errors.New("broker: not connected")

func (r *recorder) PublishAck(_ context.Context, a telemetry.Ack) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acks = append(r.acks, a)
	if len(r.acks) <= r.failAcks {
		return errBroker
	}
	return nil
}

func (r *recorder) observe(_ context.Context, device string, recs []telemetry.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := observed{Device: device}
	for _, rec := range recs {
		o.Seqs = append(o.Seqs, rec.Seq)
	}
	r.observed = append(r.observed, o)
	return nil
}

// fakeStore stands in front of a real store (Appender; nil when no call
// reaches one) and records how many batches each Append call carried. A
// call fails instead of reaching the real store
//   - while fails is not 0 (a positive fails counts down with each
//     failure; a negative one fails every call): with err or, with block,
//     by waiting for its context like a commit in flight when the
//     collector stops; acksAtFail notes how many acks rec (when set) had
//     seen by each failure;
//   - when it carries a batch of device refuse: refused as invalid.
//
// entered, when not nil, is told of each failure without waiting.
type fakeStore struct {
	ingest.Appender
	rec     *recorder
	err     error
	block   bool
	refuse  string
	entered chan struct{}

	mu         sync.Mutex
	fails      int
	calls      []int
	acksAtFail []int
}

func (f *fakeStore) Append(ctx context.Context, at time.Time, bs ...telemetry.Batch) ([]store.AppendResult, error) {
	f.mu.Lock()
	f.calls = append(f.calls, len(bs))
	fail := f.fails != 0
	if f.fails > 0 {
		f.fails--
	}
	if fail && f.rec != nil {
		f.rec.mu.Lock()
		f.acksAtFail = append(f.acksAtFail, len(f.rec.acks))
		f.rec.mu.Unlock()
	}
	f.mu.Unlock()
	if fail {
		select {
		case f.entered <- struct{}{}:
		default:
		}
		if f.block {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return nil, f.err
	}
	for i, b := range bs {
		if f.refuse != "" && b.Device == f.refuse {
			return nil, store.Invalid(fmt.Errorf("postgres: append: batch %d: value out of range (SQLSTATE 22003)", i))
		}
	}
	return f.Appender.Append(ctx, at, bs...)
}

// run starts in.Run(ctx) and returns the channel of its result.
func run(ctx context.Context, in *ingest.Ingest) <-chan error {
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	return done
}

// result waits up to 5 s for Run's result on done; after names what
// should have ended Run.
func result(t *testing.T, done <-chan error, after string) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("Run did not return within 5s of %s", after)
		return nil
	}
}

// cancelWhileStoring queues one batch, runs in until st fails (or blocks)
// on it, then cancels: stopping then is not a failure, so Run must return
// nil, and nothing is acknowledged, so the devices send again.
func cancelWhileStoring(t *testing.T, in *ingest.Ingest, st *fakeStore, rec *recorder, what string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in.Handle(ctx, up(t, "site-7", 1))
	done := run(ctx, in)
	<-st.entered
	cancel()
	if err := result(t, done, "cancel "+what); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.acks) != 0 {
		t.Fatalf("acks %v after cancel %s, want none", rec.acks, what)
	}
}

// drain queues msgs before Run starts (so that they are all waiting
// together), runs until every message handled so far is stored, rejected
// or refused, then stops Run and checks that it returned nil.
func drain(t *testing.T, in *ingest.Ingest, handled *int, msgs []ingest.Message) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, m := range msgs {
		in.Handle(ctx, m)
	}
	*handled += len(msgs)
	done := run(ctx, in)
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := in.Stats()
		if s.Batches+s.Rejected+s.Refused == uint64(*handled) {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("Run returned %v before it handled %d messages (stats %+v)", err, *handled, s)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5s ingest has handled %d of %d messages (stats %+v)", s.Batches+s.Rejected+s.Refused, *handled, s)
		}
		time.Sleep(time.Millisecond)
	}
	// Batches is counted before the ack and the observer; Run returns only
	// between groups, so once it has returned the round is complete.
	cancel()
	if err := result(t, done, "cancel"); err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
}
