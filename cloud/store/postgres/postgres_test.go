package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/storetest"
)

// The tests talk to a real PostgreSQL server: XIUHUA_TEST_POSTGRES names
// a database through which they create (and afterwards drop) one database
// per test. "off" skips them; an unreachable server fails them, so that CI
// cannot pass without running them.
const (
	dsnEnv     = "XIUHUA_TEST_POSTGRES"
	defaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
)

func adminDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	switch dsn {
	case "off":
		t.Skipf("%s=off: PostgreSQL tests skipped", dsnEnv)
	case "":
		dsn = defaultDSN
	}
	return dsn
}

// newDatabase creates an empty database for t, dropped when t ends, and
// returns its DSN.
func newDatabase(t testing.TB) string {
	t.Helper()
	dsn := adminDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("PostgreSQL is unreachable through %s (%s): %v\n"+
			"These tests need a server: start one, point %s at it, or set %s=off to skip them.",
			dsnEnv, redact(dsn), err, dsnEnv, dsnEnv)
	}
	defer conn.Close(ctx)
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "xiuhua_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(t, dsn, name)
}

// withDatabase returns dsn naming database name instead.
func withDatabase(t testing.TB, dsn, name string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s: %v", dsnEnv, err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name // key=value: the last one counts
}

// redact is dsn without its password, for messages.
func redact(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "an unparsable DSN"
	}
	return cfg.User + "@" + cfg.Host + ":" + strconv.Itoa(int(cfg.Port)) + "/" + cfg.Database
}

// openTest opens a store over dsn, closed when t ends.
func openTest(t testing.TB, dsn string, opts *Opts) *DB {
	t.Helper()
	db, err := Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	var (
		mu  sync.Mutex
		dbs = map[*testing.T]string{} // each test's database, reopened by the same test
	)
	storetest.Run(t, func(t *testing.T) store.Store {
		mu.Lock()
		dsn, ok := dbs[t]
		if !ok {
			dsn = newDatabase(t)
			dbs[t] = dsn
		}
		mu.Unlock()
		return openTest(t, dsn, nil)
	})
}

// TestOpenWarnsNotDurable: a session that commits without waiting for the
// WAL flush could lose acknowledged readings; Open says so.
func TestOpenWarnsNotDurable(t *testing.T) {
	dsn := newDatabase(t)
	for _, tc := range []struct {
		dsn  string
		warn bool
	}{
		{dsn, false},
		{withParam(t, dsn, "synchronous_commit", "off"), true},
	} {
		var logged bytes.Buffer
		openTest(t, tc.dsn, &Opts{Logger: slog.New(slog.NewTextHandler(&logged, nil))}).Close()
		if got := strings.Contains(logged.String(), "synchronous_commit=off"); got != tc.warn {
			t.Errorf("Open(%s) logged %q; want a warning %v", redact(tc.dsn), logged.String(), tc.warn)
		}
	}
}

// withParam adds a run-time parameter to dsn.
func withParam(t *testing.T, dsn, key, value string) string {
	t.Helper()
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " " + key + "=" + value
}

// TestOpenUnreachable: the error says what failed and keeps the password
// out.
func TestOpenUnreachable(t *testing.T) {
	for _, dsn := range []string{
		"postgres://collector:sekrit@127.0.0.1:1/xiuhua?connect_timeout=2",
		"postgres://collector:sekrit@127.0.0.1:5432/xiuhua?sslmode=bogus",
	} {
		db, err := Open(context.Background(), dsn, nil)
		if err == nil {
			db.Close()
			t.Fatalf("Open(%s) succeeded", redact(dsn))
		}
		if !strings.HasPrefix(err.Error(), "postgres: open: ") || strings.Contains(err.Error(), "sekrit") {
			t.Errorf("Open = %q, want a postgres: open error without the password", err)
		}
	}
}
