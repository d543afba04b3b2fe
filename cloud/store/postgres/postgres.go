package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xiuhua/xiuhua/cloud/store"
)

// Errors about the database itself; wrapped with the detail.
var (
	// ErrSchema means the database's schema is newer than this build
	// knows, or its migration history is not one this build wrote.
	ErrSchema = errors.New("postgres: unsupported schema")
	// ErrCorrupt means stored values did not decode.
	ErrCorrupt = errors.New("postgres: corrupt store")
)

// Opts tunes Open. The zero value and nil mean the defaults.
type Opts struct {
	// MaxFuture is how far ahead of its arrival a record's time may be
	// before Append flags it telemetry.FutureTime. Zero or negative means
	// store.DefaultMaxFuture.
	MaxFuture time.Duration
	// Logger receives the migrations Open applies, a warning when the
	// server's settings make commits less than durable, and a warning when
	// Append meets a stored key it did not expect (see the package
	// documentation). Nil discards.
	Logger *slog.Logger
	// MaxConns bounds the pool's connections. Zero means the DSN's
	// pool_max_conns, or pgxpool's default (the larger of 4 and the
	// number of CPUs) when the DSN has none.
	MaxConns int32
}

// DB is a store.Store in a PostgreSQL database. It is safe for concurrent
// use; concurrent Appends of different devices run in parallel, those of
// one device one after the other.
type DB struct {
	pool      *pgxpool.Pool
	maxFuture time.Duration
	log       *slog.Logger
	closed    atomic.Bool
}

var _ store.Store = (*DB)(nil)

// Open connects to the database named by dsn (a PostgreSQL URL or
// key=value string, as pgxpool.ParseConfig reads it), brings its schema up
// to SchemaVersion and returns the store. A database whose schema is
// newer than this build's is refused with ErrSchema.
func Open(ctx context.Context, dsn string, opts *Opts) (*DB, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.MaxFuture <= 0 {
		o.MaxFuture = store.DefaultMaxFuture
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The DSN may hold a password: pgconn's parse errors leave it out.
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := migrate(ctx, pool, o.Logger); err != nil {
		pool.Close()
		return nil, err
	}
	if err := checkDurability(ctx, pool, o.Logger); err != nil {
		pool.Close()
		return nil, err
	}
	return &DB{pool: pool, maxFuture: o.MaxFuture, log: o.Logger}, nil
}

// checkDurability warns when the server is set to acknowledge commits it
// may lose: the collector acknowledges readings to devices, which then
// delete them, once Append returns.
func checkDurability(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	var syncCommit, fsync string
	err := pool.QueryRow(ctx, "SELECT current_setting('synchronous_commit'), current_setting('fsync')").Scan(&syncCommit, &fsync)
	if err != nil {
		return fmt.Errorf("postgres: open: read the durability settings: %w", err)
	}
	if syncCommit == "off" || fsync == "off" {
		log.Warn("postgres: the server may lose committed transactions in a crash, and with them readings the devices have deleted",
			"synchronous_commit", syncCommit, "fsync", fsync)
	}
	return nil
}

// Close closes the pool, waiting for the connections in use to be
// returned. Calling it again does nothing; every other method returns
// store.ErrClosed afterwards.
func (db *DB) Close() error {
	if db.closed.CompareAndSwap(false, true) {
		db.pool.Close()
	}
	return nil
}

// check is the start of every method: op names it in errors.
func (db *DB) check(ctx context.Context, op string) error {
	if db.closed.Load() {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	return nil
}

// fail wraps err for op; an error caused by a concurrent Close becomes
// store.ErrClosed, and the others are marked with their store kinds (see
// classify).
func (db *DB) fail(op string, err error) error {
	if db.closed.Load() {
		return fmt.Errorf("postgres: %s: %w (%w)", op, store.ErrClosed, err)
	}
	return classify(fmt.Errorf("postgres: %s: %w", op, err))
}

// SQLSTATE codes (PostgreSQL Appendix A) of failures that pass when the
// transaction is run again.
var transientCodes = []string{
	"40001", // serialization_failure
	"40P01", // deadlock_detected
	"55P03", // lock_not_available
	"57P01", // admin_shutdown: the server is stopping, or the backend was terminated
	"57P02", // crash_shutdown
	"57P03", // cannot_connect_now: the server is starting
	"53300", // too_many_connections
}

// classify marks err with store.ErrTransient when running the call again
// may succeed (a lost or refused connection, SQLSTATE class 08, the codes
// of transientCodes) and with store.ErrInvalid when the server refused
// the data (class 22, data exception). A context's end is neither: the
// caller gave up.
func classify(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08") || slices.Contains(transientCodes, pgErr.Code):
			return store.Transient(err)
		case strings.HasPrefix(pgErr.Code, "22"):
			return store.Invalid(err)
		}
		return err
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if pgconn.SafeToRetry(err) || errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) {
		return store.Transient(err)
	}
	return err
}

// inTx runs fn in a read-committed transaction and commits it.
func (db *DB) inTx(ctx context.Context, op string, fn func(pgx.Tx) error) error {
	if err := db.check(ctx, op); err != nil {
		return err
	}
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, fn)
	if err != nil {
		return db.fail(op, err)
	}
	return nil
}
