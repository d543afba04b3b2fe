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
	// Append stores the batches' records in one durable transaction and
	// returns one result per batch, in order. A record whose (device, seq)
	// is already stored is a duplicate: it is not stored again, and it is
	// still acknowledged. arrived is the collector's clock when the
	// batches were received; it becomes the devices' LastSeen.
	Append(ctx context.Context, arrived time.Time, batches ...telemetry.Batch) ([]AppendResult, error)
	// Devices lists every device that has sent a batch, sorted by id.
	Devices(ctx context.Context) ([]Device, error)
	// Readings returns the records of q.Device with From ≤ time < To,
	// ordered by time and then by seq, at most q.Limit of them.
	Readings(ctx context.Context, q ReadingQuery) ([]telemetry.Record, error)
	// PutAlert creates or replaces the alert with a.ID.
	PutAlert(ctx context.Context, a Alert) error
	// Alerts lists alerts, newest opened first.
	Alerts(ctx context.Context) ([]Alert, error)
	Close() error
}

// AppendResult says what happened to one batch.
type AppendResult struct {
	// Stored is every sequence number of the batch that is now durably
	// stored, new or duplicate: what the collector acknowledges.
	Stored telemetry.Ranges
	// New holds the records that were not stored before, in seq order:
	// what the rules must see.
	New []telemetry.Record
	// Duplicates counts the records that were already stored.
	Duplicates int
}

// Device is one device's completeness as the collector sees it.
type Device struct {
	ID       string    `json:"id"`
	LastSeen time.Time `json:"last_seen"` // collector clock at the latest batch
	SeqHigh  uint64    `json:"seq_high"`  // highest sequence number stored
	// Missing lists the sequence numbers in [1, SeqHigh] not stored yet;
	// never nil, empty when the device's record is complete.
	Missing    telemetry.Ranges `json:"missing"`
	Received   uint64           `json:"received"`   // distinct records stored
	Duplicates uint64           `json:"duplicates"` // re-sent records dropped
}

// ReadingQuery selects readings of one device in a half-open time range.
type ReadingQuery struct {
	Device   string
	From, To time.Time
	Limit    int // ≤ 0 means DefaultLimit
}

// Limits on Readings.
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
