// Package outbox keeps every reading the agent takes on local disk until
// the collector acknowledges that it has stored it.
//
// The outbox is a bbolt file. Append gives each reading the device's next
// sequence number and commits it before returning: a reading that Append
// acknowledged survives a power cut, and its sequence number is never given
// again. Appends that arrive while a commit is running are grouped into
// the next one (one fsync for many readings).
//
// Bucket layout (schema version 1):
//
//	meta  "schema"   → uint64 schema version
//	      "next_seq" → uint64, the sequence number the next reading gets (starts at 1)
//	      "depth"    → uint64, how many records the data bucket holds
//	data  seq (8-byte big-endian) → telemetry.MarshalRecord
//
// Records leave the outbox only through Ack, which the uplink calls with
// the ranges the collector acknowledged.
package outbox
