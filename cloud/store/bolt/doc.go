// Package bolt is the collector's embedded store.Store on go.etcd.io/bbolt:
// one file, no server, the default for a single-node collector.
//
// Every Append is one bbolt write transaction, so one fsync covers all the
// batches a caller groups together; callers that want throughput group
// several MQTT messages into one call. Records are idempotent by (device,
// seq): the device's received set decides whether a record is new, so a
// re-sent record is counted and acknowledged but never rewritten. A
// condensed block's sequence numbers join the same received set, so a
// re-sent block is a duplicate too.
//
// Append writes each batch to the journal (schema 6), one value at the
// end of an append-only bucket, and judges it against every device's
// state, which the store keeps in memory (the mirror): the answer is the
// one a direct write would give, from a tenth of a page written a batch
// instead of four or five. The journal's batches belong to 1,024
// partitions by device; a compactor moves each partition's batches into
// the indexes below every minute (Opts.CompactEvery), with the code a
// direct write runs, in one transaction a partition, so that a device's
// several batches share its pages; it deletes the journal's head once no
// partition needs it. Reads of readings, aggregates and rollups first
// compact the partitions they read, and Devices answers from the mirror.
// Open rebuilds the mirror by replaying the journal's unapplied batches
// over the stored states, so a power cut loses nothing a committed Append
// wrote. A batch of an earlier incarnation, whose duplicates only the
// stored keys tell, is written directly after its devices' partitions are
// compacted in the same transaction; so is every batch with
// Opts.NoJournal. See journal.go for why.
//
// The received set is the current incarnation's (telemetry.Batch.Incarnation,
// the device's outbox file). A batch of an incarnation the device has not
// had starts a new one: the set restarts empty, its count moves to
// previous_received, and the old incarnation joins the device's list of
// earlier ones (the latest 64). A batch of a listed incarnation is stale:
// no set is kept for it, so its records and blocks are duplicates exactly
// when their keys are taken. Keys carry the incarnation, so two outboxes'
// records with the same (time, seq) never overwrite each other.
//
// The same transaction keeps the hourly rollups: Append sums its new
// records of good quality and trusted time, and its new blocks'
// aggregates, per (device, sensor, quantity, hour) in memory, so that a
// re-sent record, a duplicate, can never be summed twice. Each stream's
// latest hour is kept open in the device's state, which Append rewrites
// anyway; it is merged into the rollups bucket (one read and one write)
// when a later hour of the stream arrives, and a sum of an earlier hour
// (late data) is merged at once. Rollups adds a device's open hours to
// its bucket's. With devices at random phases, one commit's devices share
// few pages: a rollup written with every batch was a page of its own per
// device and commit, the largest part of a commit under a city's load.
//
// Alerts are JSON documents filtered in Go (store.AlertQuery.Match): a
// collector holds thousands, not millions. Notifications are JSON
// documents too, with an index of the pending ones in Due's order, so
// that Due reads the head of the index rather than every message.
//
// # File layout (schema version 6)
//
//	meta/                      bucket
//	  "schema"                 uint32, big-endian: the schema version
//	devices/                   bucket
//	  <device id>              device state, see below
//	readings/                  bucket of buckets
//	  <device id>/             one bucket per device, the time index
//	    <time><seq>[<incarnation>]  record value, see below
//	aggregates/                bucket of buckets (schema 2)
//	  <device id>/             one bucket per device that sent a condensed block
//	    <minute><first><last><index>[<incarnation>]  aggregate value, see below
//	alerts/                    bucket
//	  <alert id>               store.Alert as JSON
//	rollups/                   bucket of buckets (schema 4)
//	  <device id>/             one bucket per device with a rollup
//	    <quantity><sensor><hour>  rollup value, see below
//	notifications/             bucket (schema 4)
//	  <channel> 0x00 <key>     store.Notification as JSON
//	notify_due/                bucket (schema 4): the pending notifications
//	  <next attempt><created><channel> 0x00 <key>  empty value
//	journal/                   bucket (schema 6)
//	  <n>                      big-endian uint64, the bucket's sequence: a journal entry
//	journal_marks/             bucket (schema 6)
//	  <partition>              big-endian uint16, FNV-1a (32 bit) of the device id mod 1024:
//	                           the last entry of the partition a compaction applied (uint64)
//
// A reading key is 16 bytes: the reading's Unix milliseconds as a
// big-endian uint64 with the sign bit flipped (so that times before 1970
// still sort first), then the sequence number as a big-endian uint64; then,
// when the batch named one, the incarnation as a big-endian uint64 (24
// bytes; never 0: incarnation 0 is written as none). Keys therefore sort by
// (time, seq, incarnation) and Readings is a cursor range scan.
//
// A record value is the quality (1 byte), the value as IEEE 754 bits
// (8 bytes, big-endian), then the sensor and the quantity, each as a uvarint
// length followed by the bytes, then, only when a flag is set, the
// telemetry.Flags (1 byte, never 0). The time and sequence number live in
// the key. Times are kept to the millisecond, as on the wire.
//
// An aggregate key is 28 bytes: the aggregate's minute as Unix
// milliseconds encoded like a reading's time, the first and last sequence
// numbers of its condensed block (big-endian uint64 each) and its index in
// the block (big-endian uint32), then the incarnation as in a reading key
// (36 bytes). Aggregates is a range scan as Readings is.
// An aggregate value is the count (big-endian uint32), min, max and mean
// (IEEE 754 bits, 8 bytes each, big-endian), then the sensor and the
// quantity as in a record value.
//
// A rollup key is the quantity and then the sensor, each as a uvarint
// length followed by the bytes, then the start of the hour as Unix seconds
// in a big-endian uint64 with the sign bit flipped. A quantity's keys
// therefore share a prefix and each stream's hours are one range in time
// order: Rollups seeks to each stream's first hour asked for. A rollup
// value is 40 bytes, each field 8 bytes big-endian: the count, the sum,
// min and max (IEEE 754 bits) and the minutes bitmask (bit m: minute m of
// the hour holds a reading).
//
// A notification's key is its channel, a 0 byte and its idempotency key;
// channels may not hold a 0 byte, so keys sort by (channel, key) and a
// channel's are one range. A pending notification also has a key in
// notify_due: its next attempt and its creation, each as Unix seconds
// (big-endian uint64, sign bit flipped) and nanoseconds (big-endian
// uint32), then its notifications key; Settle moves or deletes it.
//
// A journal entry is a batch as Append was given it, with what Append
// judged it by: the arrival time and the time after which records are in
// the future, as Unix nanoseconds (big-endian int64 each); the device id
// (uvarint length and bytes); the incarnation (big-endian uint64, 0 when
// none); a flags byte (bit 0: Replay); the number of records (uvarint) and
// each record as its length (uvarint), its reading key without an
// incarnation and its record value; the number of condensed blocks
// (uvarint) and for each its first and last sequence numbers and number of
// aggregates (uvarint each) and each aggregate as its length (uvarint),
// its aggregate key without an incarnation and its aggregate value. A
// device's entries are all of one partition and in the order Append wrote
// them. A compaction applies a partition's oldest entries in order and
// records the last in journal_marks, in the same transaction; an entry at
// or below its partition's mark is applied and stays only until every
// entry before it is (the compaction deletes the journal's head up to the
// oldest entry still pending).
//
// A device state is last_seen as Unix microseconds (8 bytes, big-endian,
// two's complement), the duplicate count (uvarint), then the received set:
// the number of ranges (uvarint) and, for each range, First minus the
// previous range's Last (uvarint, the previous Last being 0 for the first
// range) and Last minus First (uvarint); then the condensed, replayed and
// future-time counts (uvarint each); then the current incarnation
// (8 bytes, big-endian, 0 when unknown), the incarnations,
// previous_received and stale_incarnation counts and the number of earlier
// incarnations (uvarint each), and the earlier incarnations, oldest first
// (8 bytes, big-endian, each); then, when the device has any, its open
// rollup hours: their number (uvarint, at least 1) and, for each stream
// in ascending order of quantity and then sensor, the quantity and the
// sensor (each a uvarint length and the bytes), the hour (as in a rollup
// key) and the sums (a rollup value). The highest sequence number and the
// received count are derived from the received set (Ranges.Max and
// Ranges.Count) rather than stored, so they can never disagree with it. A
// device with many gaps has a long set; it stays canonical through
// telemetry.Ranges.Add.
//
// # Versions
//
// Schema 6 added the journal and journal_marks buckets and changed no
// encoding: Open adds them to a schema 5 file. The version was bumped so that a schema
// 5 build, which would not see the journal's batches, refuses the file;
// to go back, Compact and then set the version to 5 and drop the bucket.
//
// Schema 5 added the open rollup hours at the end of device states and
// changed nothing else: a schema 4 file is schema 5 as it is (its states
// have no open hours; an hour in its bucket that a schema 5 Append then
// keeps open is summed with it by Rollups), so Open only writes the new
// version. The version was bumped so that a schema 4 build, which would
// call a state with open hours corrupt and miss their sums, refuses the
// file. A migration from schema 3 or earlier rebuilds the rollups bucket
// whole and leaves no open hours.
//
// Schema 4 added the rollups, notifications and notify_due buckets and
// changed no encoding. Open migrates a file of schema 1, 2 or 3 in one
// transaction that adds the buckets, makes the device states of schema 1
// and 2 ones of schema 3 (below), sums every stored reading and
// aggregate into the rollups as Append would have, and writes the current version;
// a reading or aggregate that does not decode fails the migration and
// leaves the file as it was. The version was bumped so that a schema 3
// build, which would not keep the rollups, refuses the file.
//
// Schema 3 added the incarnation to keys (as an optional suffix) and the
// incarnation fields to device states. Schema 1 and 2 encodings are valid
// schema 3 encodings (no suffix; no incarnation fields, read as zero), so
// the migration from a schema 1 or 2 file adds what is missing and
// rewrites each device state with incarnations 1 (its one outbox,
// incarnation unknown). The version was bumped so that a schema 2 build
// refuses the file rather than calling its 24-byte keys corrupt.
//
// Schema 1 had no aggregates bucket, no flags byte and no counts after the
// received set. Its encodings are therefore valid schema 2 encodings (no
// flags; counts zero); schema 2 was migrated to by adding the aggregates
// bucket. That version was bumped so that a schema 1 build refuses a
// migrated file with ErrSchema rather than misreading its flagged records
// and device states as corrupt.
//
// A file whose schema version is none of these, or a bbolt file without a schema
// version that already holds buckets (an agent's outbox, say), is refused
// with ErrSchema. Changing any encoding above means a new schema version
// and a migration.
package bolt
