// Package outbox keeps every reading the agent takes on local disk until
// the collector acknowledges that it has stored it.
//
// The outbox is a bbolt file. Append gives each reading the device's next
// sequence number and commits it before returning: a reading that Append
// acknowledged survives a power cut, and its sequence number is never given
// again. Appends that arrive while a commit is running are grouped into
// the next one (one fsync for many readings).
//
// Two lanes: events (telemetry.Quantity.IsEvent: a trapped passenger, a
// local alarm) go to the urgent lane, measurements to the data lane. The
// uplink drains the urgent lane first. Sequence numbers are shared by both
// lanes, so the collector sees one gap-free series per device.
//
// A byte budget bounds the file. bbolt files never shrink, so the outbox
// budgets the file, not the records: it keeps the bytes in use below a
// high-water mark and makes bbolt grow the file in small steps. When an
// append pushes the bytes in use over the mark, the oldest raw readings of
// the data lane are condensed into per-stream, per-minute aggregates (min,
// max, mean, count) that keep their sequence numbers, instead of being
// dropped. Records the uplink has leased (sent and awaiting an ack) are
// never condensed, so a batch in flight and its ack always match what is on
// disk.
//
// Bucket layout (schema version 1):
//
//	meta    "schema"    → uint64 schema version
//	        "next_seq"  → uint64, the sequence number the next reading gets (starts at 1)
//	        "depth"     → uint64, sequence numbers held (raw and condensed)
//	        "condensed" → uint64, readings condensed since the outbox was created
//	        "unsynced"  → the current boot's unsynchronised-clock span (see clock.go)
//	        "incarnation" → uint64, random and non-zero, drawn when the file is created
//	                      (or first opened by a build that knows it); never changed
//	                      (see Outbox.Incarnation)
//	urgent  seq (8-byte big-endian) → 'R' + telemetry.MarshalRecord
//	data    seq (8-byte big-endian) → 'R' + telemetry.MarshalRecord
//	                                  'C' + telemetry.MarshalCondensed (keyed by its first seq)
//
// The incarnation was added without a schema version bump: a file without
// it is given one on open, and a build that predates it ignores the key.
//
// Records leave the outbox only through Ack, which the uplink calls with
// the ranges the collector acknowledged. An ack takes the entries out of
// the queue at once, in memory (Pending and Stats no longer see them), but
// does not commit: their deletion rides on the next write transaction,
// which is normally the next group commit of appends, so that an ack costs
// no fsync of its own (it used to cost one commit, two fdatasyncs, per ack:
// with thousands of devices in one process, 17 % of its CPU). When no
// append comes, the committer deletes them alone after Opts.AckLinger
// (1 min), or once Opts.MaxGroup entries wait; Close deletes what is left;
// condensing and clock correction delete them first in their own
// transaction, so acknowledged entries are never condensed or rewritten.
// Deletions need not be durable: after a power cut the entries acked but
// not yet deleted are pending again and go out once more, and the collector
// drops them as duplicates of (device, seq): nothing committed is lost.
package outbox
