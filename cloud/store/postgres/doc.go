// Package postgres is the collector's production store.Store on PostgreSQL
// (tested with version 15), through a github.com/jackc/pgx/v5 connection
// pool.
//
//	db, err := postgres.Open(ctx, "postgres://collector@db.internal/xiuhua", nil)
//
// It keeps the semantics of the embedded backend, store/bolt, exactly:
// both pass store/storetest, and a test feeds both the same random calls
// and compares every answer.
//
// # Schema
//
// The schema is in migrations/*.sql; schema version 1 has these tables.
//
//	devices        one row per device: the counters of store.Device, the
//	               current incarnation, the earlier ones (bigint[], at
//	               most 64, oldest first) and the current incarnation's
//	               received set as a compact bytea (see encodeRanges: a
//	               device that sends in order has one range, a few bytes).
//	               seq_high and received_count repeat what the set says,
//	               for SQL readers; Devices reads the set.
//	readings       one row per stored record, primary key (device, time_ms,
//	               seq, incarnation): the time index Readings scans. No
//	               other index, and no foreign key to devices: a per-row
//	               check would cost more than the whole insert.
//	aggregates     condensed blocks' aggregates, primary key (device,
//	               minute_ms, first_seq, last_seq, idx, incarnation): the
//	               order Aggregates returns.
//	rollups        one row per stream and hour, primary key (quantity,
//	               device, sensor, hour_ms): a report of one quantity reads
//	               one key range, already in the order it returns.
//	alerts         the whole store.Alert as a JSONB document (fields may be
//	               added without a migration) beside the columns AlertQuery
//	               filters on. Indexes: opened (newest first, ties by id),
//	               the same restricted to alerts not resolved (the
//	               dashboard's list), device, and a GIN index on offices,
//	               the alert's office followed by those it was escalated to,
//	               so that "alerts of this office" is one containment test.
//	notifications  the outbox, primary key (channel, key): the idempotency
//	               key, so Enqueue is one INSERT … ON CONFLICT DO NOTHING.
//	               A partial index on (next_attempt, created, channel, key)
//	               WHERE state = 'pending' is Due's order and holds only what
//	               is still owed, however many delivered messages are kept.
//
// Times of readings, aggregates and rollups are Unix milliseconds in
// bigint columns: exactly what the wire carries, over its whole range, so
// that a device whose clock says year 30000 is stored (and flagged) rather
// than failing the transaction, and with it the collector.
// to_timestamp(time_ms / 1000.0) reads them in SQL. Sequence numbers and
// incarnations are uint64s kept as the same 64 bits in bigint columns:
// lossless, readable below 2^63 (a random incarnation often is not), and
// ordered as signed numbers, which only matters for ties between
// incarnations in Readings, whose order the contract leaves open.
// Collector clock times (last_seen, the notifications' times) are
// timestamptz, kept to the microsecond as bolt keeps last_seen; an
// alert's document keeps every time exactly, and opened_ns beside opened
// makes AlertQuery's bounds and order exact to the nanosecond.
//
// Every name column uses the "C" collation: ORDER BY sorts by bytes, as
// the contract's "sorted by id" and the bolt backend do, whatever the
// database's locale. PostgreSQL text holds neither NUL nor invalid UTF-8,
// which the wire allows in sensor and quantity names: Append replaces such
// bytes with U+FFFD rather than fail the call (ingest stops the collector
// when Append fails).
//
// # Migrations
//
// Migrations are SQL files embedded in the binary, numbered from 0001
// without gaps; a released file is never edited, a change is a new file.
// Open applies those the database lacks, each in its own transaction that
// also records it in schema_migrations, so a failed migration leaves the
// version before it. The whole check-and-apply runs under a session
// advisory lock (pg_advisory_lock, scoped to the database), so collectors
// starting together take turns and the later ones find nothing to do. A
// database at a version this build does not know (a newer collector
// migrated it), or whose recorded history differs from the embedded files,
// is refused with ErrSchema and left untouched. Open on an up-to-date
// database reads schema_migrations and changes nothing.
//
// # Append and concurrency
//
// Every Append is one read-committed transaction:
//
//  1. One round trip creates the rows of devices new to the store
//     (INSERT … ON CONFLICT DO NOTHING) and locks every device row of the
//     call with SELECT … ORDER BY id FOR UPDATE. All Appends take their
//     locks in id order, so concurrent calls never deadlock; calls for
//     the same device run one after the other, calls for different
//     devices in parallel. Every write of a device's readings happens
//     under its row lock, which is why read committed suffices.
//  2. The received sets decide in Go which records and blocks are new,
//     exactly as bolt decides (incarnations, stale batches, duplicates,
//     the FutureTime flag). A stale batch's keys are looked up in
//     readings and aggregates, the one case where the database decides.
//  3. New readings go in by one COPY in the binary format, encoded here
//     (copyData), the fastest path PostgreSQL has: measured with
//     BenchmarkAppend, it took half the time or less of a multi-row
//     INSERT … ON CONFLICT from arrays, and a fraction of COPY into a
//     temporary table followed by INSERT … SELECT … ON CONFLICT (the
//     per-row conflict check is what costs). COPY cannot skip a taken
//     key, and the received set guarantees none is
//     taken except in two cases it can see (mayHold): readings without an
//     incarnation once the device's set has restarted, and any reading of
//     a device that has forgotten an incarnation (more than 64). Those go
//     in by INSERT … ON CONFLICT DO UPDATE, overwriting as bolt's Put
//     does. Should COPY still meet a taken key (rows written behind the
//     store's back), the transaction is rolled back, Append logs a warning
//     and runs again with every reading upserted.
//  4. One pipelined round trip then updates the device rows, upserts the
//     aggregates and the rollups (count and sum added, least and greatest,
//     minutes OR-ed; one row per key, summed in Go first, since one
//     statement may not update a row twice), and COMMIT makes it durable:
//     Append returns after the server has flushed its WAL, which is what
//     lets the collector acknowledge. Open warns when synchronous_commit
//     or fsync is off.
//
// Column values travel as binary arrays (unnest) or binary COPY, so a call
// costs five round trips (BEGIN, lock, COPY, write, COMMIT) whatever its
// size; callers that want throughput group batches, as ingest does.
// BenchmarkAppend measures this backend and bolt in one run.
//
// # Reads
//
// Readings, Aggregates and Rollups are index range scans of the primary
// keys with exact half-open bounds (ceilMilli). Devices reads the small
// devices table. Alerts builds one statement from the filters it is given;
// Due scans the partial index; Notifications sorts by creation, which
// the notifications_created index serves.
//
// # Not done here
//
// Readings are not partitioned or expired: at city scale a retention job
// (monthly partitions of readings by time_ms, dropped whole) belongs with
// the compliance rules that say how long readings must be kept, and needs
// a migration that turns readings into a partitioned table.
package postgres
