package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/ingest"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/internal/backoff"
	"github.com/xiuhua/xiuhua/telemetry"
)

// quick retries at once, so that tests do not wait.
var quick = backoff.Backoff{Min: time.Microsecond, Max: time.Microsecond}

// Transient failures (a lost PostgreSQL connection, a serialization
// failure, a bbolt lock timeout) are retried until the commit succeeds;
// nothing is acknowledged before it does, and everything is once after.
func TestRunRetriesTransientErrors(t *testing.T) {
	for _, cause := range []string{
		"postgres: append: read tcp 127.0.0.1:5432: connection reset by peer",
		"postgres: append: ERROR: could not serialize access due to concurrent update (SQLSTATE 40001)",
		"bolt: append: timeout",
	} {
		t.Run(cause, func(t *testing.T) {
			db := openDB(t)
			rec := &recorder{}
			st := &fakeStore{Appender: db, rec: rec, fails: 3, err: store.Transient(errors.New(cause))}
			var logged bytes.Buffer
			in := ingest.New(st, rec, rec.observe, ingest.Opts{Now: func() time.Time { return arrived }, Backoff: quick,
				Logger: slog.New(slog.NewTextHandler(&logged, nil))})
			handled := 0
			drain(t, in, &handled, []ingest.Message{up(t, "site-7", 1, 2, 3), up(t, "site-9", 1, 2)})

			if want := []int{2, 2, 2, 2}; !reflect.DeepEqual(st.calls, want) {
				t.Errorf("Append calls carried %v batches, want %v", st.calls, want)
			}
			if want := []int{0, 0, 0}; !reflect.DeepEqual(st.acksAtFail, want) {
				t.Errorf("acks published before each failure: %v, want %v", st.acksAtFail, want)
			}
			if want := (ingest.Stats{Batches: 2, Records: 5, Retries: 3}); in.Stats() != want {
				t.Errorf("stats = %+v, want %+v", in.Stats(), want)
			}
			wantAcks := []telemetry.Ack{{Device: "site-7", Ranges: rs(1, 3)}, {Device: "site-9", Ranges: rs(1, 2)}}
			if !reflect.DeepEqual(rec.acks, wantAcks) {
				t.Errorf("acks = %v, want %v", rec.acks, wantAcks)
			}
			if want := []observed{{"site-7", []uint64{1, 2, 3}}, {"site-9", []uint64{1, 2}}}; !reflect.DeepEqual(rec.observed, want) {
				t.Errorf("observed = %v, want %v", rec.observed, want)
			}
			for _, dev := range []struct {
				id string
				n  int
			}{{"site-7", 3}, {"site-9", 2}} {
				got, err := db.Readings(context.Background(), store.ReadingQuery{Device: dev.id, From: t0, To: t0.Add(time.Hour)})
				if err != nil || len(got) != dev.n {
					t.Errorf("%s: %d readings stored (%v), want %d", dev.id, len(got), err, dev.n)
				}
			}
			for n := 1; n <= 3; n++ {
				if line := fmt.Sprintf("attempt=%d", n); !strings.Contains(logged.String(), line) {
					t.Errorf("the log has no %s:\n%s", line, logged.String())
				}
			}
		})
	}
}

// Stopping while a commit waits to be tried again is not a failure:
// nothing was acknowledged, so the devices send again.
func TestRunRetryStopsWithContext(t *testing.T) {
	rec := &recorder{}
	st := &fakeStore{Appender: openDB(t), rec: rec, fails: -1, entered: make(chan struct{}, 1),
		err: store.Transient(errors.New("postgres: append: connection refused"))}
	in := ingest.New(st, rec, rec.observe, ingest.Opts{Backoff: backoff.Backoff{Min: time.Hour, Max: time.Hour}})
	cancelWhileStoring(t, in, st, rec, "while waiting to retry")
	if want := (ingest.Stats{}); in.Stats() != want {
		t.Errorf("stats = %+v, want %+v", in.Stats(), want)
	}
	if len(st.calls) != 1 {
		t.Errorf("%d Append calls, want 1", len(st.calls))
	}
}

// A batch the store refuses as invalid is reported and not acknowledged;
// the batches committed with it are stored one by one and acknowledged,
// and Run goes on.
func TestRunInvalidBatch(t *testing.T) {
	db := openDB(t)
	st := &fakeStore{Appender: db, refuse: "bad"}
	rec := &recorder{}
	var logged bytes.Buffer
	in := ingest.New(st, rec, rec.observe, ingest.Opts{Now: func() time.Time { return arrived },
		Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	handled := 0
	drain(t, in, &handled, []ingest.Message{up(t, "site-7", 1, 2), up(t, "bad", 1), up(t, "site-9", 4)})
	drain(t, in, &handled, []ingest.Message{up(t, "bad", 2)})
	drain(t, in, &handled, []ingest.Message{up(t, "site-7", 3)})

	if want := []int{3, 1, 1, 1, 1, 1}; !reflect.DeepEqual(st.calls, want) {
		t.Errorf("Append calls carried %v batches, want %v", st.calls, want)
	}
	if want := (ingest.Stats{Batches: 3, Records: 4, Refused: 2}); in.Stats() != want {
		t.Errorf("stats = %+v, want %+v", in.Stats(), want)
	}
	wantAcks := []telemetry.Ack{{Device: "site-7", Ranges: rs(1, 2)}, {Device: "site-9", Ranges: rs(4, 4)}, {Device: "site-7", Ranges: rs(3, 3)}}
	if !reflect.DeepEqual(rec.acks, wantAcks) {
		t.Errorf("acks = %v, want %v", rec.acks, wantAcks)
	}
	devs, err := db.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 2 || devs[0].ID != "site-7" || devs[0].Received != 3 || devs[1].ID != "site-9" || devs[1].Received != 1 {
		t.Errorf("stored devices = %+v, want site-7 with 3 readings and site-9 with 1", devs)
	}
	if n := strings.Count(logged.String(), `level=ERROR msg="ingest: batch refused by the store" device=bad`); n != 2 {
		t.Errorf("the log reports the refused batch %d times, want 2:\n%s", n, logged.String())
	}
}
