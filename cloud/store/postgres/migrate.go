package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationFiles are the schema's history: migrations/NNNN_name.sql,
// numbered from 1 without gaps. A released file is never edited; a change
// is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// SchemaVersion is the schema this build reads and writes: the number of
// its newest migration (a test holds the two together).
const SchemaVersion = 1

// migrationLock is the pg_advisory_lock key that serialises migrations:
// collectors starting together against one database take turns, and the
// second finds the work done. Advisory locks are per database.
const migrationLock int64 = 0x78697568_75610001 // "xiuhua" + 1

// appliedMigration is a row of schema_migrations.
type appliedMigration struct {
	Version int
	Name    string
}

type migration struct {
	version int
	name    string // the file name
	sql     string
}

func mustMigrations() []migration {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		panic(err)
	}
	return ms
}

// loadMigrations reads the migrations of fsys in version order and checks
// that they are numbered 1, 2, 3… without gaps or repeats.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	ms := make([]migration, 0, len(names))
	for _, name := range names { // Glob sorts; zero-padded numbers sort by value
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != len(ms)+1 {
			return nil, fmt.Errorf("postgres: migration %s: want a name starting %04d_", base, len(ms)+1)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	if len(ms) == 0 {
		return nil, errors.New("postgres: no migrations embedded")
	}
	return ms, nil
}

// migrate brings the database up to the newest of the embedded
// migrations, each in its own transaction, recorded in
// schema_migrations, all under a session advisory lock.
func migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	return migrateTo(ctx, pool, mustMigrations(), log)
}

func migrateTo(ctx context.Context, pool *pgxpool.Pool, ms []migration, log *slog.Logger) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("postgres: migrate: take the migration lock: %w", err)
	}
	defer func() {
		// A session lock outlives a failed transaction; a connection
		// that cannot say so is not given back to the pool holding it.
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock); uerr != nil {
			_ = conn.Hijack().Close(context.WithoutCancel(ctx))
			if err == nil {
				err = fmt.Errorf("postgres: migrate: release the migration lock: %w", uerr)
			}
		}
	}()

	_, err = conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY,
		name    text NOT NULL,
		applied timestamptz NOT NULL DEFAULT now()
	)`)
	if err != nil {
		return fmt.Errorf("postgres: migrate: create schema_migrations: %w", err)
	}
	rows, err := conn.Query(ctx, "SELECT version, name FROM schema_migrations ORDER BY version")
	if err != nil {
		return fmt.Errorf("postgres: migrate: read the schema version: %w", err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowToStructByPos[appliedMigration])
	if err != nil {
		return fmt.Errorf("postgres: migrate: read the schema version: %w", err)
	}
	current := len(applied)
	latest := ms[len(ms)-1].version
	if current > 0 && applied[current-1].Version > latest {
		return fmt.Errorf("%w: the database is at schema version %d; this build knows versions up to %d (a newer collector migrated it: upgrade this one)",
			ErrSchema, applied[current-1].Version, latest)
	}
	for i, a := range applied {
		if a.Version != i+1 || a.Name != ms[i].name {
			return fmt.Errorf("%w: schema_migrations has version %d %q where this build has version %d %q: the database was migrated by another line of development",
				ErrSchema, a.Version, a.Name, ms[i].version, ms[i].name)
		}
	}
	for _, m := range ms[current:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: migrate from schema version %d to %d (%s): %w", m.version-1, m.version, m.name, err)
		}
		log.Info("postgres: schema migrated", "version", m.version, "migration", m.name)
	}
	return nil
}
