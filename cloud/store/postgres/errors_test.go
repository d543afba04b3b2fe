package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

func kinds(err error) string {
	return fmt.Sprintf("transient=%v invalid=%v", errors.Is(err, store.ErrTransient), errors.Is(err, store.ErrInvalid))
}

func TestClassify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, refused := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:1/xiuhua?sslmode=disable&connect_timeout=2")
	if refused == nil {
		t.Fatal("connecting to port 1 succeeded")
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"connection refused", refused, "transient=true invalid=false"},
		{"connection lost", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), "transient=true invalid=false"},
		{"connection failure (08006)", &pgconn.PgError{Code: "08006"}, "transient=true invalid=false"},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, "transient=true invalid=false"},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, "transient=true invalid=false"},
		{"lock not available", &pgconn.PgError{Code: "55P03"}, "transient=true invalid=false"},
		{"backend terminated", &pgconn.PgError{Code: "57P01"}, "transient=true invalid=false"},
		{"server starting", &pgconn.PgError{Code: "57P03"}, "transient=true invalid=false"},
		{"too many connections", &pgconn.PgError{Code: "53300"}, "transient=true invalid=false"},
		{"invalid text", &pgconn.PgError{Code: "22021"}, "transient=false invalid=true"},
		{"numeric out of range", &pgconn.PgError{Code: "22003"}, "transient=false invalid=true"},
		{"unique violation: a bug, not the data", &pgconn.PgError{Code: "23505"}, "transient=false invalid=false"},
		{"disk full", &pgconn.PgError{Code: "53100"}, "transient=false invalid=false"},
		{"cancelled", context.Canceled, "transient=false invalid=false"},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), "transient=false invalid=false"},
	} {
		err := classify(fmt.Errorf("postgres: append: %w", tc.err))
		if got := kinds(err); got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// A row lock held past lock_timeout fails Append with a transient error;
// once the lock is released the same Append succeeds.
func TestLockTimeoutIsTransient(t *testing.T) {
	ctx := context.Background()
	dsn := newDatabase(t)
	db := openTest(t, withParam(t, dsn, "lock_timeout", "200ms"), nil)
	rec := func(seq uint64) telemetry.Batch {
		return telemetry.Batch{Device: "locked", Records: []telemetry.Record{{Seq: seq, Reading: telemetry.Reading{
			Sensor: "level", Quantity: telemetry.WaterLevel, Value: 1, Time: time.Date(2026, 3, 1, 8, 0, int(seq), 0, time.UTC)}}}}
	}
	if _, err := db.Append(ctx, time.Now(), rec(1)); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT id FROM devices WHERE id = 'locked' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	_, err = db.Append(ctx, time.Now(), rec(2))
	if kinds(err) != "transient=true invalid=false" {
		t.Fatalf("Append while the device's row is locked: %v (%s), want a transient error", err, kinds(err))
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := db.Append(ctx, time.Now(), rec(2))
	if err != nil || res[0].Stored.String() != "[2]" || len(res[0].New) != 1 {
		t.Fatalf("Append after the lock was released: %+v, %v; want seq 2 stored as new", res, err)
	}
}

// When the server ends the pool's connections (a restart, a failover,
// pg_terminate_backend), Append either fails with a transient error or,
// if the pool noticed first, succeeds; the next one succeeds.
func TestTerminatedConnectionIsTransient(t *testing.T) {
	ctx := context.Background()
	dsn := newDatabase(t)
	db := openTest(t, dsn, nil)
	batch := func(seq uint64) telemetry.Batch {
		return telemetry.Batch{Device: "cut", Records: []telemetry.Record{{Seq: seq, Reading: telemetry.Reading{
			Sensor: "level", Quantity: telemetry.WaterLevel, Value: 1, Time: time.Date(2026, 3, 1, 8, 0, int(seq), 0, time.UTC)}}}}
	}
	if _, err := db.Append(ctx, time.Now(), batch(1)); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ended int
	err = conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&ended)
	if err != nil || ended == 0 {
		t.Fatalf("terminated %d connections: %v", ended, err)
	}
	seq := uint64(2)
	if _, err := db.Append(ctx, time.Now(), batch(seq)); err != nil {
		if kinds(err) != "transient=true invalid=false" {
			t.Fatalf("Append on a terminated connection: %v (%s), want a transient error", err, kinds(err))
		}
		t.Logf("Append on a terminated connection: %v", err)
		seq++
	}
	if _, err := db.Append(ctx, time.Now(), batch(seq)); err != nil {
		t.Fatalf("Append after the pool reconnected: %v", err)
	}
}
