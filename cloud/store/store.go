package store

import (
	"context"
	"errors"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Store is what the collector keeps. Implementations are safe for
// concurrent use.
type Store interface {
	// Append stores the batches' records and condensed blocks in one
	// durable transaction and returns one result per batch, in order.
	//
	// A record whose (device, seq) is already stored is a duplicate: it is
	// not stored again, and it is still acknowledged. A condensed block's
	// sequence numbers count exactly like records': those already stored
	// are duplicates, the others become received, and the block's
	// aggregates are stored once, when at least one of its sequence
	// numbers is new (a block that overlaps records stored before keeps
	// all its aggregates, which then also summarise those records).
	//
	// A device remembers the incarnation of its current outbox
	// (telemetry.Batch.Incarnation); the received set, SeqHigh and Missing
	// are the current incarnation's. A batch naming an incarnation the
	// device has not had starts a new one: a new outbox file numbers from
	// 1 again, so its records are new, not duplicates. The earlier
	// incarnation's received count moves to PreviousReceived, its
	// readings stay stored and queryable (two incarnations' records with
	// the same time and seq are both kept), and Incarnations counts one
	// more. A batch of an earlier incarnation (a board that came back and
	// re-sends) is stale: its records and blocks are stored unless that
	// incarnation's same record (time, seq) or block is already stored,
	// counted in StaleIncarnation (or Duplicates), acknowledged, and never
	// touch the current incarnation's completeness. Incarnation 0 means
	// unknown (an agent from before incarnations): such a batch counts
	// against the current incarnation, and a device whose incarnation is
	// unknown adopts the first it is told, without a restart (the same
	// outbox file gains an incarnation when its agent is upgraded).
	//
	// arrived is the collector's clock when the batches were received; it
	// becomes the devices' LastSeen. A new record whose time is more than
	// the backend's MaxFuture (DefaultMaxFuture unless configured) after
	// arrived is stored with telemetry.FutureTime set, and counted; the
	// flag is the collector's to set, so Append clears it on every other
	// record.
	Append(ctx context.Context, arrived time.Time, batches ...telemetry.Batch) ([]AppendResult, error)
	// Devices lists every device that has sent a batch, sorted by id.
	Devices(ctx context.Context) ([]Device, error)
	// Readings returns the records of q.Device with From ≤ time < To,
	// ordered by time and then by seq, at most q.Limit of them. Records
	// of different incarnations may share a time and a seq; both are
	// returned.
	Readings(ctx context.Context, q ReadingQuery) ([]telemetry.Record, error)
	// Aggregates returns the condensed aggregates of q.Device whose minute
	// is in [From, To), ordered by minute, then by the sequence range of
	// their block, then in the order the device listed them; at most
	// q.Limit of them.
	Aggregates(ctx context.Context, q ReadingQuery) ([]telemetry.Aggregate, error)
	// PutAlert creates or replaces the alert with a.ID.
	PutAlert(ctx context.Context, a Alert) error
	// Alerts lists alerts, newest opened first.
	Alerts(ctx context.Context) ([]Alert, error)
	Close() error
}

// AppendResult says what happened to one batch.
type AppendResult struct {
	// Stored is every sequence number of the batch that is now durably
	// stored, new or duplicate, raw or condensed: what the collector
	// acknowledges.
	Stored telemetry.Ranges
	// New holds the raw records that were not stored before, in seq
	// order, with their flags as stored: what the rules must see.
	New []telemetry.Record
	// Condensed counts the sequence numbers of the batch's condensed
	// blocks that were not stored before.
	Condensed uint64
	// Duplicates counts the sequence numbers, raw or condensed, that were
	// already stored.
	Duplicates int
	// Stale is true when the batch came from an earlier incarnation of
	// the device's outbox (see Append).
	Stale bool
}

// Device is one device's completeness as the collector sees it.
type Device struct {
	ID       string    `json:"id"`
	LastSeen time.Time `json:"last_seen"` // collector clock at the latest batch
	SeqHigh  uint64    `json:"seq_high"`  // highest sequence number stored
	// Missing lists the sequence numbers in [1, SeqHigh] not stored yet;
	// never nil, empty when the device's record is complete.
	Missing    telemetry.Ranges `json:"missing"`
	Received   uint64           `json:"received"`   // distinct sequence numbers stored, raw or condensed
	Duplicates uint64           `json:"duplicates"` // re-sent sequence numbers dropped, raw or condensed
	Condensed  uint64           `json:"condensed"`  // sequence numbers received as condensed aggregates
	// Replayed counts the raw records that first arrived in a batch marked
	// Replay (backlog from an outage).
	Replayed uint64 `json:"replayed"`
	// FutureTime counts the raw records stored with telemetry.FutureTime.
	FutureTime uint64 `json:"future_time"`
	// Incarnation is the current outbox's (telemetry.Batch.Incarnation):
	// SeqHigh, Missing and Received are about it. 0 means unknown. A
	// string in JSON: it is a random 64-bit number.
	Incarnation uint64 `json:"incarnation,string"`
	// Incarnations counts the outboxes the device has had (a new board,
	// a reflashed card), the current one included.
	Incarnations uint64 `json:"incarnations"`
	// PreviousReceived counts the distinct sequence numbers received
	// under earlier incarnations while each was current, so that
	// Received+PreviousReceived counts every reading (raw or condensed)
	// the device's outboxes delivered, StaleIncarnation apart.
	// Duplicates, Condensed, Replayed and FutureTime count over all
	// incarnations.
	PreviousReceived uint64 `json:"previous_received"`
	// StaleIncarnation counts the sequence numbers, raw or condensed,
	// stored from batches of an earlier incarnation after a newer one
	// started; they are in no incarnation's Received.
	StaleIncarnation uint64 `json:"stale_incarnation"`
}

// DefaultMaxFuture is how far ahead of its arrival a reading's time may be
// before Append flags it telemetry.FutureTime: beyond clock skew and
// transit, a device clock that far ahead is wrong.
const DefaultMaxFuture = 5 * time.Minute

// ReadingQuery selects readings, or aggregates by their minute, of one
// device in a half-open time range.
type ReadingQuery struct {
	Device   string
	From, To time.Time
	Limit    int // ≤ 0 means DefaultLimit
}

// Limits on Readings and Aggregates.
const (
	DefaultLimit = 10000
	MaxLimit     = 100000
)

// Alert states.
const (
	Open     = "open"
	Resolved = "resolved"
)

// Alert is a plan's threshold broken by one stream of one device.
type Alert struct {
	ID       string             `json:"id"` // deterministic: same rule, stream and start give the same id
	Rule     string             `json:"rule"`
	Plan     string             `json:"plan"`
	Device   string             `json:"device"`
	Sensor   string             `json:"sensor"`
	Quantity telemetry.Quantity `json:"quantity"`
	Office   string             `json:"office"`
	Severity string             `json:"severity"`
	State    string             `json:"state"`
	Opened   time.Time          `json:"opened"`             // event time of the reading that broke the threshold
	Resolved *time.Time         `json:"resolved,omitempty"` // event time of the reading that cleared it
	Value    float64            `json:"value"`              // the aggregate when opened (or, once resolved, when cleared)
	Limit    float64            `json:"limit"`
	Unit     string             `json:"unit"`
	Message  string             `json:"message"`
}

// ErrClosed is returned by a store used after Close.
var ErrClosed = errors.New("store: closed")
