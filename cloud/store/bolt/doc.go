// Package bolt is the collector's embedded store.Store on go.etcd.io/bbolt:
// one file, no server, the default for a single-node collector.
//
// Every Append is one bbolt write transaction, so one fsync covers all the
// batches a caller groups together; callers that want throughput group
// several MQTT messages into one call. Records are idempotent by (device,
// seq): the device's received set decides whether a record is new, so a
// re-sent record is counted and acknowledged but never rewritten.
//
// # File layout (schema version 1)
//
//	meta/                      bucket
//	  "schema"                 uint32, big-endian: the schema version
//	devices/                   bucket
//	  <device id>              device state, see below
//	readings/                  bucket of buckets
//	  <device id>/             one bucket per device, the time index
//	    <time><seq>            record value, see below
//	alerts/                    bucket
//	  <alert id>               store.Alert as JSON
//
// A reading key is 16 bytes: the reading's Unix milliseconds as a
// big-endian uint64 with the sign bit flipped (so that times before 1970
// still sort first), then the sequence number as a big-endian uint64. Keys
// therefore sort by (time, seq) and Readings is a cursor range scan.
//
// A record value is the quality (1 byte), the value as IEEE 754 bits
// (8 bytes, big-endian), then the sensor and the quantity, each as a uvarint
// length followed by the bytes. The time and sequence number live in the key.
// Times are kept to the millisecond, as on the wire.
//
// A device state is last_seen as Unix microseconds (8 bytes, big-endian,
// two's complement), the duplicate count (uvarint), then the received set:
// the number of ranges (uvarint) and, for each range, First minus the
// previous range's Last (uvarint, the previous Last being 0 for the first
// range) and Last minus First (uvarint). The highest sequence number and
// the received count are derived from that set (Ranges.Max and
// Ranges.Count) rather than stored, so they can never disagree with it. A
// device with many gaps has a long set; it stays canonical through
// telemetry.Ranges.Add.
//
// A file whose schema version is not the one this build writes, or a bbolt
// file without a schema version that already holds buckets (an agent's
// outbox, say), is refused with ErrSchema. Changing any encoding above means
// a new schema version and a migration.
package bolt
