package ingest_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
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

// countingStore records how many batches each Append call carried.
type countingStore struct {
	ingest.Appender
	mu    sync.Mutex
	calls []int
}

func (c *countingStore) Append(ctx context.Context, at time.Time, bs ...telemetry.Batch) ([]store.AppendResult, error) {
	c.mu.Lock()
	c.calls = append(c.calls, len(bs))
	c.mu.Unlock()
	return c.Appender.Append(ctx, at, bs...)
}

// drain queues msgs before Run starts (so that they are all waiting
// together), runs until every message handled so far is either stored or
// rejected, then stops Run and checks that it returned nil.
func drain(t *testing.T, in *ingest.Ingest, handled *int, msgs []ingest.Message) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, m := range msgs {
		in.Handle(ctx, m)
	}
	*handled += len(msgs)
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := in.Stats()
		if s.Batches+s.Rejected == uint64(*handled) {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("Run returned %v before it handled %d messages (stats %+v)", err, *handled, s)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5s ingest has handled %d of %d messages (stats %+v)", s.Batches+s.Rejected, *handled, s)
		}
		time.Sleep(time.Millisecond)
	}
	// Batches is counted before the ack and the observer; Run returns only
	// between groups, so once it has returned the round is complete.
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of cancel")
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		maxGroup int
		failAcks int
		rounds   func(t *testing.T) [][]ingest.Message
		acks     []telemetry.Ack
		observed []observed
		stats    ingest.Stats
		devices  []store.Device
		appends  []int // batches per Append call
	}{
		{
			name:     "batch is stored and acknowledged with exactly its ranges",
			rounds:   func(t *testing.T) [][]ingest.Message { return [][]ingest.Message{{up(t, "site-7", 1, 2, 3, 7, 9, 10)}} },
			acks:     []telemetry.Ack{{Device: "site-7", Ranges: rs(1, 3, 7, 7, 9, 10)}},
			observed: []observed{{"site-7", []uint64{1, 2, 3, 7, 9, 10}}},
			stats:    ingest.Stats{Batches: 1, Records: 6},
			devices: []store.Device{{ID: "site-7", LastSeen: arrived, SeqHigh: 10,
				Missing: rs(4, 6, 8, 8), Received: 6}},
			appends: []int{1},
		},
		{
			name: "re-sent batch is acknowledged again, counted, not observed again",
			rounds: func(t *testing.T) [][]ingest.Message {
				return [][]ingest.Message{{up(t, "site-7", 1, 2, 3)}, {up(t, "site-7", 1, 2, 3)}}
			},
			acks: []telemetry.Ack{
				{Device: "site-7", Ranges: rs(1, 3)},
				{Device: "site-7", Ranges: rs(1, 3)},
			},
			observed: []observed{{"site-7", []uint64{1, 2, 3}}},
			stats:    ingest.Stats{Batches: 2, Records: 3, Duplicates: 3},
			devices: []store.Device{{ID: "site-7", LastSeen: arrived, SeqHigh: 3,
				Missing: telemetry.Ranges{}, Received: 3, Duplicates: 3}},
			appends: []int{1, 1},
		},
		{
			name: "re-send in the same commit as the original",
			rounds: func(t *testing.T) [][]ingest.Message {
				return [][]ingest.Message{{up(t, "site-7", 1, 2), up(t, "site-7", 1, 2)}}
			},
			acks: []telemetry.Ack{
				{Device: "site-7", Ranges: rs(1, 2)},
				{Device: "site-7", Ranges: rs(1, 2)},
			},
			observed: []observed{{"site-7", []uint64{1, 2}}},
			stats:    ingest.Stats{Batches: 2, Records: 2, Duplicates: 2},
			devices: []store.Device{{ID: "site-7", LastSeen: arrived, SeqHigh: 2,
				Missing: telemetry.Ranges{}, Received: 2, Duplicates: 2}},
			appends: []int{2},
		},
		{
			name: "partly re-sent batch: all acknowledged, only the new records observed",
			rounds: func(t *testing.T) [][]ingest.Message {
				return [][]ingest.Message{{up(t, "site-7", 1, 2)}, {up(t, "site-7", 2, 3)}}
			},
			acks: []telemetry.Ack{
				{Device: "site-7", Ranges: rs(1, 2)},
				{Device: "site-7", Ranges: rs(2, 3)},
			},
			observed: []observed{{"site-7", []uint64{1, 2}}, {"site-7", []uint64{3}}},
			stats:    ingest.Stats{Batches: 2, Records: 3, Duplicates: 1},
			devices: []store.Device{{ID: "site-7", LastSeen: arrived, SeqHigh: 3,
				Missing: telemetry.Ranges{}, Received: 3, Duplicates: 1}},
			appends: []int{1, 1},
		},
		{
			name: "topic device differs from payload device",
			rounds: func(t *testing.T) [][]ingest.Message {
				return [][]ingest.Message{{{Topic: telemetry.UpTopic("site-8"), Payload: payload(t, "site-7", 1, 2)}}}
			},
			stats:   ingest.Stats{Rejected: 1},
			devices: nil,
		},
		{
			name: "malformed payloads and topics",
			rounds: func(t *testing.T) [][]ingest.Message {
				good := payload(t, "site-7", 1, 2)
				wrongVersion := append([]byte{telemetry.Version + 1}, good[1:]...)
				ack, err := telemetry.EncodeAck(telemetry.Ack{Device: "site-7", Ranges: rs(1, 2)})
				if err != nil {
					t.Fatal(err)
				}
				topic := telemetry.UpTopic("site-7")
				return [][]ingest.Message{{
					{Topic: topic, Payload: nil},
					{Topic: topic, Payload: good[:len(good)-3]},
					{Topic: topic, Payload: wrongVersion},
					{Topic: topic, Payload: ack},
					{Topic: topic, Payload: []byte("{\"device\":\"site-7\"}")},
					{Topic: topic, Payload: payload(t, "site-7")}, // no records
					{Topic: telemetry.AckTopic("site-7"), Payload: good},
					{Topic: "xiuhua/v1/dev/bad id/up", Payload: good},
				}}
			},
			stats: ingest.Stats{Rejected: 8},
		},
		{
			name: "rejected message beside good ones: the good ones are stored together",
			rounds: func(t *testing.T) [][]ingest.Message {
				return [][]ingest.Message{{
					up(t, "river-1", 5),
					{Topic: telemetry.UpTopic("river-1"), Payload: payload(t, "site-7", 1)},
					up(t, "site-7", 1),
				}}
			},
			acks: []telemetry.Ack{
				{Device: "river-1", Ranges: rs(5, 5)},
				{Device: "site-7", Ranges: rs(1, 1)},
			},
			observed: []observed{{"river-1", []uint64{5}}, {"site-7", []uint64{1}}},
			stats:    ingest.Stats{Batches: 2, Records: 2, Rejected: 1},
			devices: []store.Device{
				{ID: "river-1", LastSeen: arrived, SeqHigh: 5, Missing: rs(1, 4), Received: 1},
				{ID: "site-7", LastSeen: arrived, SeqHigh: 1, Missing: telemetry.Ranges{}, Received: 1},
			},
			appends: []int{2},
		},
		{
			name: "queued messages are committed together, in order",
			rounds: func(t *testing.T) [][]ingest.Message {
				return [][]ingest.Message{{up(t, "a", 1), up(t, "b", 1, 2), up(t, "c", 1), up(t, "a", 2)}}
			},
			acks: []telemetry.Ack{
				{Device: "a", Ranges: rs(1, 1)},
				{Device: "b", Ranges: rs(1, 2)},
				{Device: "c", Ranges: rs(1, 1)},
				{Device: "a", Ranges: rs(2, 2)},
			},
			observed: []observed{{"a", []uint64{1}}, {"b", []uint64{1, 2}}, {"c", []uint64{1}}, {"a", []uint64{2}}},
			stats:    ingest.Stats{Batches: 4, Records: 5},
			devices: []store.Device{
				{ID: "a", LastSeen: arrived, SeqHigh: 2, Missing: telemetry.Ranges{}, Received: 2},
				{ID: "b", LastSeen: arrived, SeqHigh: 2, Missing: telemetry.Ranges{}, Received: 2},
				{ID: "c", LastSeen: arrived, SeqHigh: 1, Missing: telemetry.Ranges{}, Received: 1},
			},
			appends: []int{4},
		},
		{
			name:     "a commit takes at most MaxGroup batches",
			maxGroup: 2,
			rounds: func(t *testing.T) [][]ingest.Message {
				return [][]ingest.Message{{up(t, "a", 1), up(t, "a", 2), up(t, "a", 3), up(t, "a", 4), up(t, "a", 5)}}
			},
			acks: []telemetry.Ack{
				{Device: "a", Ranges: rs(1, 1)}, {Device: "a", Ranges: rs(2, 2)},
				{Device: "a", Ranges: rs(3, 3)}, {Device: "a", Ranges: rs(4, 4)},
				{Device: "a", Ranges: rs(5, 5)},
			},
			observed: []observed{{"a", []uint64{1}}, {"a", []uint64{2}}, {"a", []uint64{3}}, {"a", []uint64{4}}, {"a", []uint64{5}}},
			stats:    ingest.Stats{Batches: 5, Records: 5},
			devices:  []store.Device{{ID: "a", LastSeen: arrived, SeqHigh: 5, Missing: telemetry.Ranges{}, Received: 5}},
			appends:  []int{2, 2, 1},
		},
		{
			// MaxGroup 1 puts the two batches in two commits of one Run, so
			// the second commit proves that Run went on after the failure.
			name:     "ack publish failure is counted and Run goes on",
			maxGroup: 1,
			failAcks: 1,
			rounds: func(t *testing.T) [][]ingest.Message {
				return [][]ingest.Message{{up(t, "site-7", 1), up(t, "site-7", 2)}}
			},
			acks: []telemetry.Ack{
				{Device: "site-7", Ranges: rs(1, 1)},
				{Device: "site-7", Ranges: rs(2, 2)},
			},
			observed: []observed{{"site-7", []uint64{1}}, {"site-7", []uint64{2}}},
			stats:    ingest.Stats{Batches: 2, Records: 2, AckErrors: 1},
			devices:  []store.Device{{ID: "site-7", LastSeen: arrived, SeqHigh: 2, Missing: telemetry.Ranges{}, Received: 2}},
			appends:  []int{1, 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t)
			st := &countingStore{Appender: db}
			rec := &recorder{failAcks: tt.failAcks}
			in := ingest.New(st, rec, rec.observe, ingest.Opts{
				MaxGroup: tt.maxGroup,
				Now:      func() time.Time { return arrived },
			})
			handled := 0
			for _, round := range tt.rounds(t) {
				drain(t, in, &handled, round)
			}

			if got := in.Stats(); got != tt.stats {
				t.Errorf("stats = %+v, want %+v", got, tt.stats)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if !reflect.DeepEqual(rec.acks, tt.acks) {
				t.Errorf("acks = %v, want %v", rec.acks, tt.acks)
			}
			if !reflect.DeepEqual(rec.observed, tt.observed) {
				t.Errorf("observed = %v, want %v", rec.observed, tt.observed)
			}
			if !reflect.DeepEqual(st.calls, tt.appends) {
				t.Errorf("Append calls carried %v batches, want %v", st.calls, tt.appends)
			}
			devs, err := db.Devices(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(devs, tt.devices) {
				t.Errorf("stored devices = %+v, want %+v", devs, tt.devices)
			}
		})
	}
}

// TestObservedRecordsAreAsStored checks that the rules get the records
// exactly as the device sent them (event time in UTC, to the millisecond).
func TestObservedRecordsAreAsStored(t *testing.T) {
	db := openDB(t)
	var got []telemetry.Record
	obs := func(_ context.Context, device string, recs []telemetry.Record) error {
		got = append(got, recs...)
		return nil
	}
	in := ingest.New(db, &recorder{}, obs, ingest.Opts{Now: func() time.Time { return arrived }})
	handled := 0
	drain(t, in, &handled, []ingest.Message{up(t, "site-7", 3, 4)})
	want := records(3, 4)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("observed %+v, want %+v", got, want)
	}
}

// failingStore fails every Append with err or, when block is set, waits
// for ctx like a commit in flight when the collector stops.
type failingStore struct {
	err     error
	block   bool
	started chan struct{}
}

func (f *failingStore) Append(ctx context.Context, _ time.Time, _ ...telemetry.Batch) ([]store.AppendResult, error) {
	if f.block {
		close(f.started)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, f.err
}

func TestRunStoreFailure(t *testing.T) {
	errDisk := errors.New("disk full")
	closed := openDB(t)
	if err := closed.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		st   ingest.Appender
		want error
	}{
		{"store error", &failingStore{err: errDisk}, errDisk},
		{"closed bolt store", closed, store.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			in := ingest.New(tt.st, rec, rec.observe, ingest.Opts{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			in.Handle(ctx, up(t, "site-7", 1))
			in.Handle(ctx, up(t, "site-7", 2))
			done := make(chan error, 1)
			go func() { done <- in.Run(ctx) }()
			select {
			case err := <-done:
				if !errors.Is(err, tt.want) {
					t.Fatalf("Run = %v, want an error wrapping %v", err, tt.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return within 5s of a store failure")
			}
			if s := in.Stats(); s != (ingest.Stats{}) {
				t.Errorf("stats = %+v, want zero", s)
			}
			if len(rec.acks) != 0 || len(rec.observed) != 0 {
				t.Errorf("after a failed commit: acks %v, observed %v; want none", rec.acks, rec.observed)
			}
		})
	}
}

func TestRunReturnsNilWhenCancelled(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		in := ingest.New(openDB(t), &recorder{}, nil, ingest.Opts{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- in.Run(ctx) }()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run = %v, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return within 5s of cancel")
		}
	})

	// Stopping while a commit is in flight is not a store failure: nothing
	// was acknowledged, so the devices send again.
	t.Run("during a commit", func(t *testing.T) {
		st := &failingStore{block: true, started: make(chan struct{})}
		rec := &recorder{}
		in := ingest.New(st, rec, rec.observe, ingest.Opts{})
		ctx, cancel := context.WithCancel(context.Background())
		in.Handle(ctx, up(t, "site-7", 1))
		done := make(chan error, 1)
		go func() { done <- in.Run(ctx) }()
		<-st.started
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run = %v, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return within 5s of cancel")
		}
		if len(rec.acks) != 0 {
			t.Fatalf("acks %v after an aborted commit, want none", rec.acks)
		}
	})

	// Messages still queued when Run starts on an ended context must not
	// turn into a store error (bolt refuses a cancelled context).
	t.Run("messages queued, context already cancelled", func(t *testing.T) {
		for range 20 {
			rec := &recorder{}
			in := ingest.New(openDB(t), rec, rec.observe, ingest.Opts{})
			in.Handle(context.Background(), up(t, "site-7", 1))
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := in.Run(ctx); err != nil {
				t.Fatalf("Run = %v, want nil", err)
			}
			if len(rec.acks) != 0 {
				t.Fatalf("acks %v on a cancelled context, want none", rec.acks)
			}
		}
	})
}

func TestHandleGivesUpWhenQueueFullAndContextEnds(t *testing.T) {
	in := ingest.New(openDB(t), &recorder{}, nil, ingest.Opts{QueueLen: 1})
	in.Handle(context.Background(), up(t, "site-7", 1))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	// The queue is full and nothing runs: Handle must return once ctx ends.
	in.Handle(ctx, up(t, "site-7", 2))
	if ctx.Err() == nil {
		t.Fatal("Handle returned before its context ended on a full queue")
	}
}
