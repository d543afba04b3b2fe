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
// The received set is the current incarnation's (telemetry.Batch.Incarnation,
// the device's outbox file). A batch of an incarnation the device has not
// had starts a new one: the set restarts empty, its count moves to
// previous_received, and the old incarnation joins the device's list of
// earlier ones (the latest 64). A batch of a listed incarnation is stale:
// no set is kept for it, so its records and blocks are duplicates exactly
// when their keys are taken. Keys carry the incarnation, so two outboxes'
// records with the same (time, seq) never overwrite each other.
//
// # File layout (schema version 3)
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
// A device state is last_seen as Unix microseconds (8 bytes, big-endian,
// two's complement), the duplicate count (uvarint), then the received set:
// the number of ranges (uvarint) and, for each range, First minus the
// previous range's Last (uvarint, the previous Last being 0 for the first
// range) and Last minus First (uvarint); then the condensed, replayed and
// future-time counts (uvarint each); then the current incarnation
// (8 bytes, big-endian, 0 when unknown), the incarnations,
// previous_received and stale_incarnation counts and the number of earlier
// incarnations (uvarint each), and the earlier incarnations, oldest first
// (8 bytes, big-endian, each). The highest sequence number and the
// received count are derived from the received set (Ranges.Max and
// Ranges.Count) rather than stored, so they can never disagree with it. A
// device with many gaps has a long set; it stays canonical through
// telemetry.Ranges.Add.
//
// # Versions
//
// Schema 3 added the incarnation to keys (as an optional suffix) and the
// incarnation fields to device states. Schema 1 and 2 encodings are valid
// schema 3 encodings (no suffix; no incarnation fields, read as zero), so
// Open migrates a schema 1 or 2 file in one transaction that adds what is
// missing, rewrites each device state with incarnations 1 (its one outbox,
// incarnation unknown) and writes version 3. The version was bumped so
// that a schema 2 build refuses the file rather than calling its 24-byte
// keys corrupt.
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
