package ingest_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/ingest"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		maxGroup   int
		maxRecords int
		failAcks   int
		rounds     func(t *testing.T) [][]ingest.Message
		acks       []telemetry.Ack
		observed   []observed
		stats      ingest.Stats
		devices    []store.Device
		appends    []int // batches per Append call
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
			name: "condensed blocks are stored and acknowledged like records, only records observed",
			rounds: func(t *testing.T) [][]ingest.Message {
				return [][]ingest.Message{{condensedUp(t, "site-7", 3, 5, 1, 2)}, {condensedUp(t, "site-7", 3, 5)}}
			},
			acks: []telemetry.Ack{
				{Device: "site-7", Ranges: rs(1, 5)},
				{Device: "site-7", Ranges: rs(3, 5)},
			},
			observed: []observed{{"site-7", []uint64{1, 2}}},
			stats:    ingest.Stats{Batches: 2, Records: 2, Condensed: 3, Duplicates: 3},
			devices: []store.Device{{ID: "site-7", LastSeen: arrived, SeqHigh: 5,
				Missing: telemetry.Ranges{}, Received: 5, Duplicates: 3, Condensed: 3, Replayed: 2}},
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
			name:       "a commit stops taking batches once it holds MaxRecords readings",
			maxRecords: 3,
			rounds: func(t *testing.T) [][]ingest.Message {
				return [][]ingest.Message{{up(t, "a", 1, 2), up(t, "a", 3), up(t, "a", 4, 5, 6), up(t, "b", 1), condensedUp(t, "b", 2, 4)}}
			},
			acks: []telemetry.Ack{
				{Device: "a", Ranges: rs(1, 2)}, {Device: "a", Ranges: rs(3, 3)},
				{Device: "a", Ranges: rs(4, 6)}, {Device: "b", Ranges: rs(1, 1)}, {Device: "b", Ranges: rs(2, 4)},
			},
			observed: []observed{{"a", []uint64{1, 2}}, {"a", []uint64{3}}, {"a", []uint64{4, 5, 6}}, {"b", []uint64{1}}},
			stats:    ingest.Stats{Batches: 5, Records: 7, Condensed: 3},
			devices: []store.Device{
				{ID: "a", LastSeen: arrived, SeqHigh: 6, Missing: telemetry.Ranges{}, Received: 6},
				{ID: "b", LastSeen: arrived, SeqHigh: 4, Missing: telemetry.Ranges{}, Received: 4, Condensed: 3},
			},
			// 2+1 readings, then 3, then 1 and a block of 3.
			appends: []int{2, 1, 2},
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
			st := &fakeStore{Appender: db}
			rec := &recorder{failAcks: tt.failAcks}
			in := ingest.New(st, rec, rec.observe, ingest.Opts{
				MaxGroup:   tt.maxGroup,
				MaxRecords: tt.maxRecords,
				Now:        func() time.Time { return arrived },
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
			if got := in.Commits(); got != uint64(len(tt.appends)) {
				t.Errorf("Commits = %d, want %d", got, len(tt.appends))
			}
			devs, err := db.Devices(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.devices {
				tt.devices[i].Incarnations = max(tt.devices[i].Incarnations, 1) // one outbox each
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
		{"store error", &fakeStore{err: errDisk, fails: -1}, errDisk},
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
			if err := result(t, run(ctx, in), "a store failure"); !errors.Is(err, tt.want) {
				t.Fatalf("Run = %v, want an error wrapping %v", err, tt.want)
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
		done := run(ctx, in)
		cancel()
		if err := result(t, done, "cancel"); err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	})

	// Stopping while a commit is in flight is not a store failure: nothing
	// was acknowledged, so the devices send again.
	t.Run("during a commit", func(t *testing.T) {
		rec := &recorder{}
		st := &fakeStore{block: true, fails: -1, entered: make(chan struct{}, 1)}
		cancelWhileStoring(t, ingest.New(st, rec, rec.observe, ingest.Opts{}), st, rec, "during a commit")
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

// TestIncarnations checks that acks echo the batch's incarnation, so that
// only the outbox that numbered the records deletes them, and that a new
// outbox's seq 1 is stored, not taken for a re-send.
func TestIncarnations(t *testing.T) {
	db := openDB(t)
	rec := &recorder{}
	in := ingest.New(db, rec, rec.observe, ingest.Opts{Now: func() time.Time { return arrived }})
	msg := func(inc uint64, seqs ...uint64) ingest.Message {
		p, err := telemetry.EncodeBatch(telemetry.Batch{Device: "site-7", Records: records(seqs...), Incarnation: inc})
		if err != nil {
			t.Fatal(err)
		}
		return ingest.Message{Topic: telemetry.UpTopic("site-7"), Payload: p}
	}
	handled := 0
	drain(t, in, &handled, []ingest.Message{msg(11, 1, 2)})
	drain(t, in, &handled, []ingest.Message{msg(22, 1)})    // a new board
	drain(t, in, &handled, []ingest.Message{msg(11, 2, 3)}) // the old one re-sends
	drain(t, in, &handled, []ingest.Message{msg(0, 2)})     // an agent that names none

	rec.mu.Lock()
	defer rec.mu.Unlock()
	want := []telemetry.Ack{
		{Device: "site-7", Ranges: rs(1, 2), Incarnation: 11},
		{Device: "site-7", Ranges: rs(1, 1), Incarnation: 22},
		{Device: "site-7", Ranges: rs(2, 3), Incarnation: 11},
		{Device: "site-7", Ranges: rs(2, 2)},
	}
	if !reflect.DeepEqual(rec.acks, want) {
		t.Errorf("acks = %+v, want %+v", rec.acks, want)
	}
	wantObserved := []observed{{"site-7", []uint64{1, 2}}, {"site-7", []uint64{1}}, {"site-7", []uint64{3}}, {"site-7", []uint64{2}}}
	if !reflect.DeepEqual(rec.observed, wantObserved) {
		t.Errorf("observed = %v, want %v", rec.observed, wantObserved)
	}
	if got, want := in.Stats(), (ingest.Stats{Batches: 4, Records: 5, Duplicates: 1, Stale: 1}); got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
}

// TestRunObserverFailure checks that an observer's error (the rules'
// store writes failing) ends Run with that error, after the acks of the
// batch it failed on: they are stored.
func TestRunObserverFailure(t *testing.T) {
	errRules := errors.New("alerts: disk full")
	rec := &recorder{}
	obs := func(_ context.Context, device string, _ []telemetry.Record) error {
		if device == "bad" {
			return errRules
		}
		return nil
	}
	in := ingest.New(openDB(t), rec, obs, ingest.Opts{MaxGroup: 1, Now: func() time.Time { return arrived }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in.Handle(ctx, up(t, "good", 1))
	in.Handle(ctx, up(t, "bad", 1))
	if err := result(t, run(ctx, in), "the observer failing"); !errors.Is(err, errRules) || !strings.Contains(err.Error(), "ingest: rules for bad") {
		t.Fatalf("Run = %v, want the observer's error for device bad", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	want := []telemetry.Ack{{Device: "good", Ranges: rs(1, 1)}, {Device: "bad", Ranges: rs(1, 1)}}
	if !reflect.DeepEqual(rec.acks, want) {
		t.Errorf("acks = %v, want %v", rec.acks, want)
	}
}

// TestAcksDoNotWaitForTheObserver checks that a group's acks go out while
// the observer is still busy with an earlier group (the rules waiting for
// the store to write an alert).
func TestAcksDoNotWaitForTheObserver(t *testing.T) {
	rec := &recorder{}
	release := make(chan struct{})
	var once sync.Once
	obs := func(_ context.Context, device string, _ []telemetry.Record) error {
		once.Do(func() { <-release }) // the first group's observer waits
		return nil
	}
	in := ingest.New(openDB(t), rec, obs, ingest.Opts{MaxGroup: 1, Now: func() time.Time { return arrived }})
	ctx, cancel := context.WithCancel(context.Background())
	done := run(ctx, in)
	defer func() {
		cancel()
		if err := result(t, done, "cancel"); err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	in.Handle(ctx, up(t, "a", 1))
	in.Handle(ctx, up(t, "b", 1))
	want := []telemetry.Ack{{Device: "a", Ranges: rs(1, 1)}, {Device: "b", Ranges: rs(1, 1)}}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		rec.mu.Lock()
		got := append([]telemetry.Ack(nil), rec.acks...)
		rec.mu.Unlock()
		if reflect.DeepEqual(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("with the observer blocked on a's group, acks = %v; want %v", got, want)
		}
	}
	close(release)
}
