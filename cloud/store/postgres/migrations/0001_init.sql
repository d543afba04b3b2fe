-- Schema version 1: devices, readings, condensed aggregates, hourly
-- rollups, alerts and the notification outbox. See doc.go for why each
-- table and index looks the way it does.
--
-- Identifiers and names use the "C" collation: ORDER BY then sorts by
-- bytes, as the contract's "sorted by id" means and as the bolt backend
-- does, whatever the database's locale; comparisons are cheaper too.
--
-- Times of readings, aggregates and rollups are Unix milliseconds
-- (bigint): exactly what the wire carries, over its whole range, so that a
-- device clock set to an absurd year is stored rather than failing the
-- collector's transaction. to_timestamp(time_ms / 1000.0) reads them.

CREATE TABLE devices (
    id                text COLLATE "C" PRIMARY KEY,
    last_seen         timestamptz NOT NULL,
    -- The current incarnation's received set (see encodeRanges); seq_high
    -- and received_count are derived from it by every Append, for SQL
    -- readers.
    received          bytea NOT NULL DEFAULT '',
    seq_high          bigint NOT NULL DEFAULT 0,
    received_count    bigint NOT NULL DEFAULT 0,
    duplicates        bigint NOT NULL DEFAULT 0,
    condensed         bigint NOT NULL DEFAULT 0,
    replayed          bigint NOT NULL DEFAULT 0,
    future_time       bigint NOT NULL DEFAULT 0,
    incarnation       bigint NOT NULL DEFAULT 0,
    incarnations      bigint NOT NULL DEFAULT 0,
    previous_received bigint NOT NULL DEFAULT 0,
    stale_incarnation bigint NOT NULL DEFAULT 0,
    previous          bigint[] NOT NULL DEFAULT '{}'
);

-- Fixed-width columns first: no alignment padding inside a row.
CREATE TABLE readings (
    time_ms     bigint NOT NULL,
    seq         bigint NOT NULL,
    incarnation bigint NOT NULL, -- of the outbox that numbered it; 0 unknown
    value       double precision NOT NULL,
    quality     smallint NOT NULL,
    flags       smallint NOT NULL,
    device      text COLLATE "C" NOT NULL,
    sensor      text COLLATE "C" NOT NULL,
    quantity    text COLLATE "C" NOT NULL,
    PRIMARY KEY (device, time_ms, seq, incarnation)
) WITH (fillfactor = 100); -- rows are never updated in place

CREATE TABLE aggregates (
    minute_ms   bigint NOT NULL,
    first_seq   bigint NOT NULL, -- the condensed block's range
    last_seq    bigint NOT NULL,
    incarnation bigint NOT NULL,
    count       bigint NOT NULL,
    min         double precision NOT NULL,
    max         double precision NOT NULL,
    mean        double precision NOT NULL,
    idx         integer NOT NULL, -- position in the block
    device      text COLLATE "C" NOT NULL,
    sensor      text COLLATE "C" NOT NULL,
    quantity    text COLLATE "C" NOT NULL,
    PRIMARY KEY (device, minute_ms, first_seq, last_seq, idx, incarnation)
);

CREATE TABLE rollups (
    hour_ms  bigint NOT NULL,
    count    bigint NOT NULL,
    sum      double precision NOT NULL,
    min      double precision NOT NULL,
    max      double precision NOT NULL,
    minutes  bigint NOT NULL, -- bit m: minute m of the hour holds a reading
    quantity text COLLATE "C" NOT NULL,
    device   text COLLATE "C" NOT NULL,
    sensor   text COLLATE "C" NOT NULL,
    PRIMARY KEY (quantity, device, sensor, hour_ms)
);

CREATE TABLE alerts (
    id        text COLLATE "C" PRIMARY KEY,
    -- opened to the microsecond, opened_ns the nanoseconds below it: the
    -- pair orders and bounds Opened exactly.
    opened    timestamptz NOT NULL,
    opened_ns smallint NOT NULL,
    state     text COLLATE "C" NOT NULL,
    device    text COLLATE "C" NOT NULL,
    plan      text COLLATE "C" NOT NULL,
    category  text COLLATE "C" NOT NULL,
    severity  text COLLATE "C" NOT NULL,
    -- The alert's office, then the offices it was escalated to.
    offices   text[] COLLATE "C" NOT NULL,
    doc       jsonb NOT NULL -- the whole store.Alert
);
CREATE INDEX alerts_opened ON alerts (opened DESC, opened_ns DESC, id);
CREATE INDEX alerts_active ON alerts (opened DESC, opened_ns DESC, id) WHERE state <> 'resolved';
CREATE INDEX alerts_device ON alerts (device, opened DESC, opened_ns DESC, id);
CREATE INDEX alerts_offices ON alerts USING gin (offices);

CREATE TABLE notifications (
    channel      text COLLATE "C" NOT NULL,
    key          text COLLATE "C" NOT NULL,
    body         bytea NOT NULL,
    created      timestamptz NOT NULL,
    state        text COLLATE "C" NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    next_attempt timestamptz NOT NULL,
    last_error   text NOT NULL DEFAULT '',
    done         timestamptz,
    PRIMARY KEY (channel, key)
);
CREATE INDEX notifications_due ON notifications (next_attempt, created, channel, key) WHERE state = 'pending';
CREATE INDEX notifications_created ON notifications (created, channel, key);
