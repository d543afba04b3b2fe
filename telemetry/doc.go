// Package telemetry is the contract shared by the agent, the collector and
// the simulator: what a reading is, how readings are numbered and batched,
// the topics they travel on and the bytes they travel as.
//
// A reading is one value of one quantity from one configured sensor at one
// instant. The agent numbers every reading it commits with a per-device
// sequence number that starts at 1 and never repeats, even across reboots;
// the collector stores readings idempotently by (device, seq) and
// acknowledges the ranges it has stored. Seq ranges are the unit of that
// conversation (see Range and Ranges).
//
// The wire codec (Encode*/Decode*) is CBOR in array form behind a one-byte
// version prefix, so that a field can be added in version 2 without
// breaking collectors that still read version 1.
//
// Topics live under "xiuhua/v1/dev/<device>/": "up" carries batches from
// the device, "ack" carries the collector's acknowledgements back, and
// "status" carries the retained birth and last-will messages.
package telemetry
