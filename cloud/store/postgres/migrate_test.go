package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xiuhua/xiuhua/telemetry"
)

// applied reads schema_migrations.
func applied(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.pool.Query(context.Background(), "SELECT version, name, applied FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var (
		v    int
		name string
		at   time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&v, &name, &at}, func() error {
		out = append(out, strings.Join([]string{name, at.UTC().Format(time.RFC3339Nano)}, " at "))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func exec(t *testing.T, dsn, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestOpenMigrates(t *testing.T) {
	dsn := newDatabase(t)
	ctx := context.Background()
	db := openTest(t, dsn, nil)
	first := applied(t, db)
	if len(first) != SchemaVersion || !strings.HasPrefix(first[0], "0001_init.sql at ") {
		t.Fatalf("schema_migrations after the first Open = %q, want %d migrations from 0001_init.sql", first, SchemaVersion)
	}
	if _, err := db.Append(ctx, time.Now(), telemetry.Batch{Device: "kept", Records: []telemetry.Record{{Seq: 1}}}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A second Open finds nothing to do and keeps the data.
	db = openTest(t, dsn, nil)
	if again := applied(t, db); strings.Join(again, "\n") != strings.Join(first, "\n") {
		t.Errorf("schema_migrations after a second Open = %q, want it unchanged: %q", again, first)
	}
	if ds, err := db.Devices(ctx); err != nil || len(ds) != 1 || ds[0].Received != 1 {
		t.Errorf("Devices after a second Open = %+v, %v; want the one device appended before", ds, err)
	}
	db.Close()
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dsn := newDatabase(t)
	openTest(t, dsn, nil).Close()
	exec(t, dsn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", SchemaVersion+1, "9999_from_the_future.sql")
	db, err := Open(context.Background(), dsn, nil)
	if err == nil {
		db.Close()
		t.Fatal("Open of a database at a newer schema version succeeded")
	}
	if !errors.Is(err, ErrSchema) {
		t.Errorf("Open = %v, want ErrSchema", err)
	}
	for _, want := range []string{fmt.Sprintf("schema version %d", SchemaVersion+1), fmt.Sprintf("versions up to %d", SchemaVersion), "upgrade"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open = %q, want it to say %q", err, want)
		}
	}
}

func TestOpenRefusesForeignHistory(t *testing.T) {
	dsn := newDatabase(t)
	openTest(t, dsn, nil).Close()
	exec(t, dsn, "UPDATE schema_migrations SET name = '0001_elsewhere.sql' WHERE version = 1")
	db, err := Open(context.Background(), dsn, nil)
	if err == nil {
		db.Close()
		t.Fatal("Open of a database migrated by other migrations succeeded")
	}
	if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "0001_elsewhere.sql") {
		t.Errorf("Open = %v, want ErrSchema naming 0001_elsewhere.sql", err)
	}
}

// TestOpenConcurrently: collectors starting together migrate once; without
// the advisory lock, the second CREATE TABLE would fail.
func TestOpenConcurrently(t *testing.T) {
	dsn := newDatabase(t)
	const n = 6
	dbs := make([]*DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), dsn, &Opts{MaxConns: 2}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		defer dbs[i].Close()
	}
	if t.Failed() {
		return
	}
	if got := applied(t, dbs[0]); len(got) != SchemaVersion {
		t.Errorf("schema_migrations = %q, want %d rows", got, SchemaVersion)
	}
}

// TestMigrationRollsBack: a failing migration leaves the database at the
// version before it, with nothing of the failed one.
func TestMigrationRollsBack(t *testing.T) {
	dsn := newDatabase(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ms := append(mustMigrations(), migration{version: SchemaVersion + 1, name: "0002_broken.sql",
		sql: "CREATE TABLE half_done (x int); SELECT 1/0;"})
	log := slog.New(slog.DiscardHandler)
	err = migrateTo(ctx, pool, ms, log)
	if err == nil || !strings.Contains(err.Error(), "0002_broken.sql") || !strings.Contains(err.Error(), "division by zero") {
		t.Fatalf("migrate = %v, want the failure of 0002_broken.sql", err)
	}
	var version int
	var half bool
	err = pool.QueryRow(ctx, "SELECT max(version), to_regclass('half_done') IS NOT NULL FROM schema_migrations").Scan(&version, &half)
	if err != nil {
		t.Fatal(err)
	}
	if version != SchemaVersion || half {
		t.Errorf("after the failed migration: version %d, half_done exists %v; want version %d and no table", version, half, SchemaVersion)
	}
	// The lock was given back: the next attempt runs (and fails again).
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := migrateTo(ctx2, pool, ms, log); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second migrate = %v, want the migration's own failure", err)
	}
}

func TestLoadMigrations(t *testing.T) {
	file := func(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }
	tests := []struct {
		name  string
		files fstest.MapFS
		want  []string // names, or nil for an error
	}{
		{"in order", fstest.MapFS{"migrations/0002_b.sql": file("b"), "migrations/0001_a.sql": file("a")},
			[]string{"0001_a.sql", "0002_b.sql"}},
		{"a gap", fstest.MapFS{"migrations/0001_a.sql": file("a"), "migrations/0003_c.sql": file("c")}, nil},
		{"a repeat", fstest.MapFS{"migrations/0001_a.sql": file("a"), "migrations/0001_b.sql": file("b")}, nil},
		{"not starting at 1", fstest.MapFS{"migrations/0002_b.sql": file("b")}, nil},
		{"no number", fstest.MapFS{"migrations/init.sql": file("a")}, nil},
		{"none", fstest.MapFS{}, nil},
	}
	for _, tc := range tests {
		ms, err := loadMigrations(tc.files)
		if tc.want == nil {
			if err == nil {
				t.Errorf("%s: loadMigrations = %v, want an error", tc.name, ms)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var names []string
		for i, m := range ms {
			if m.version != i+1 {
				t.Errorf("%s: migration %d has version %d", tc.name, i, m.version)
			}
			names = append(names, m.name)
		}
		if strings.Join(names, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: migrations %v, want %v", tc.name, names, tc.want)
		}
	}
	if ms := mustMigrations(); ms[len(ms)-1].version != SchemaVersion {
		t.Errorf("SchemaVersion is %d, but the newest migration is %s", SchemaVersion, ms[len(ms)-1].name)
	}
}
