package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Store is what the collector keeps. Implementations are safe for
// concurrent use.
//
// Times. A record's time and an aggregate's minute are kept to the
// millisecond, as the wire carries them: Append truncates finer parts
// (time.Time.UnixMilli), AppendResult.New carries the truncated times,
// and the bounds of Readings, Aggregates and Rollups compare exactly
// with the stored milliseconds. An alert keeps every time exactly, and
// AlertQuery bounds Opened exactly. Every other time (LastSeen, a
// notification's Created, NextAttempt and Done) is kept to the
// millisecond at least: a backend may drop finer parts by truncation
// (bolt keeps nanoseconds, PostgreSQL microseconds), so callers must not
// rely on telling apart, ordering or comparing with now two such times
// less than a millisecond apart. Times come back in any location:
// compare them with Equal.
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
	// all its aggregates, which then also summarise those records, and
	// adds all of them to the rollups: see Rollup).
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
	// Rollups returns the hourly rollups of q (see Rollup and
	// RollupQuery), ordered by device, sensor, quantity and hour.
	Rollups(ctx context.Context, q RollupQuery) ([]Rollup, error)

	// PutAlert creates or replaces the alert with a.ID.
	PutAlert(ctx context.Context, a Alert) error
	// Alert returns the alert with id, or ErrNotFound.
	Alert(ctx context.Context, id string) (Alert, error)
	// Alerts lists the alerts q selects, newest opened first (ties by id).
	Alerts(ctx context.Context, q AlertQuery) ([]Alert, error)

	// Notifications is the durable outbox of alert messages.
	Notifications
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

// Alert states: open → acknowledged → resolved (an open alert may also
// resolve without being acknowledged).
const (
	Open         = "open"
	Acknowledged = "acknowledged"
	Resolved     = "resolved"
)

// Alert is a plan's rule broken by one stream of one device.
//
// Stores keep an alert as a whole (a JSON document does): fields may be
// added without a schema change. The fields AlertQuery filters on must be
// queryable.
type Alert struct {
	ID       string             `json:"id"` // deterministic: same rule, stream and start give the same id
	Rule     string             `json:"rule"`
	Kind     string             `json:"kind,omitempty"` // the rule's kind: threshold, window, period, rate, event, silence, stuck, range
	Plan     string             `json:"plan"`
	Category string             `json:"category,omitempty"` // dust, air, water, elevator or sensor
	Device   string             `json:"device"`
	Sensor   string             `json:"sensor"`
	Quantity telemetry.Quantity `json:"quantity"`
	Site     string             `json:"site,omitempty"`
	District string             `json:"district,omitempty"`
	Office   string             `json:"office"`
	Severity string             `json:"severity"`
	State    string             `json:"state"`
	Opened   time.Time          `json:"opened"`             // event time at which the rule broke
	Resolved *time.Time         `json:"resolved,omitempty"` // event time at which it cleared, or when someone resolved it
	// Raised is the collector's clock when the alert was raised: what
	// escalation counts from.
	Raised time.Time `json:"raised,omitzero"`
	// Retrospective is true for an alert found in data that arrived after
	// the fact (a backlog replayed after an outage): it is told, marked
	// as such, never escalated.
	Retrospective bool       `json:"retrospective,omitempty"`
	AckedAt       *time.Time `json:"acked_at,omitempty"` // collector clock
	AckedBy       string     `json:"acked_by,omitempty"`
	ResolvedBy    string     `json:"resolved_by,omitempty"` // "auto" when the rule cleared; else who resolved it
	// Escalation is how many times the alert has been escalated; Escalated
	// lists the offices it reached that way, in order.
	Escalation  int        `json:"escalation,omitempty"`
	Escalated   []string   `json:"escalated,omitempty"`
	EscalatedAt *time.Time `json:"escalated_at,omitempty"`
	// Flaps counts the re-openings folded into this alert by flap
	// suppression instead of raising new ones.
	Flaps int `json:"flaps,omitempty"`
	// Reopened is the event time of the latest of those re-openings; nil
	// until there is one. With Opened it says when the current episode
	// began, so that judging older readings again (a restart) cannot end
	// it. Alerts stored before the field existed have none.
	Reopened *time.Time `json:"reopened,omitempty"`
	// Value is the value judged when opened (or, once resolved, when
	// cleared), rounded by cloud/alert for reading beside its rule's
	// limit and clear edge (internal/sigfig); Limit is the plan's,
	// unrounded.
	Value   float64 `json:"value"`
	Limit   float64 `json:"limit"`
	Unit    string  `json:"unit"`
	Message string  `json:"message"`
}

// AlertQuery selects alerts. Zero fields do not filter.
type AlertQuery struct {
	State    string // one of the alert states
	Office   string // the alert's office, or one it was escalated to
	Device   string
	Plan     string
	Category string
	Severity string
	// Active selects the alerts not resolved (open or acknowledged).
	Active bool
	// From and To bound Opened: From ≤ Opened < To.
	From, To time.Time
	Limit    int // ≤ 0 means no limit
}

// Match reports whether a satisfies q's filters (not its Limit): the one
// definition of the filters, for backends that filter in Go.
func (q AlertQuery) Match(a Alert) bool {
	switch {
	case q.State != "" && a.State != q.State,
		q.Active && a.State == Resolved,
		q.Device != "" && a.Device != q.Device,
		q.Plan != "" && a.Plan != q.Plan,
		q.Category != "" && a.Category != q.Category,
		q.Severity != "" && a.Severity != q.Severity,
		!q.From.IsZero() && a.Opened.Before(q.From),
		!q.To.IsZero() && !a.Opened.Before(q.To):
		return false
	}
	return q.Office == "" || a.Office == q.Office || slices.Contains(a.Escalated, q.Office)
}

// Rollup summarises one hour of one stream: the good readings with a
// trusted time (quality Good, neither ClockUnsynced nor FutureTime) that
// Append stored as new, raw or condensed. Rollups are what compliance
// reports are computed from, so that a year's report reads 8,760 rows
// per stream rather than millions of readings. A condensed aggregate adds
// its count, sum (mean × count), min and max to the hour of its minute.
//
// A condensed block stored after raw records of its range (a device that
// condensed readings the collector had stored but not acknowledged) adds
// every aggregate, as Aggregates keeps them all: the readings both stored
// raw and summarised in the block count twice in their hour. The other
// way round cannot happen: a raw record inside a stored block's range is
// a duplicate and adds nothing.
type Rollup struct {
	Device   string             `json:"device"`
	Sensor   string             `json:"sensor"`
	Quantity telemetry.Quantity `json:"quantity"`
	Hour     time.Time          `json:"hour"` // start of the hour, UTC
	Count    uint64             `json:"count"`
	Sum      float64            `json:"sum"`
	Min      float64            `json:"min"`
	Max      float64            `json:"max"`
	// Minutes has bit m set when the hour's minute m holds at least one
	// reading: validity rules count minutes covered, not readings.
	Minutes uint64 `json:"minutes"`
}

// Mean is the hour's mean.
func (r Rollup) Mean() float64 { return r.Sum / float64(r.Count) }

// RollupQuery selects hourly rollups with From ≤ Hour < To.
type RollupQuery struct {
	Devices  []string           // nil or empty means every device
	Quantity telemetry.Quantity // "" means every quantity
	From, To time.Time
}

// Notification is one message waiting in the durable outbox for one
// channel (a webhook, a robot, an MQTT topic).
type Notification struct {
	Channel string `json:"channel"` // the channel's name
	// Key is the idempotency key: (Channel, Key) is unique, and enqueuing
	// it again, before or after delivery, changes nothing.
	Key     string    `json:"key"`
	Body    []byte    `json:"body"` // what the channel sends, formatted when enqueued
	Created time.Time `json:"created"`
	// State is Pending until delivered (Delivered) or given up (Failed).
	State       string    `json:"state"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"` // a pending message is due from then
	LastError   string    `json:"last_error,omitempty"`
	Done        time.Time `json:"done,omitzero"` // when it was delivered or given up
}

// Notification states.
const (
	Pending   = "pending"
	Delivered = "delivered"
	Failed    = "failed"
)

// Notifications is the durable outbox of alert messages.
type Notifications interface {
	// Enqueue stores ns as Pending, due at their NextAttempt, in one
	// durable transaction. A zero NextAttempt means Created; a zero
	// Created is kept as it is (the message lists first and is due at
	// once). A (Channel, Key) already stored, in any state, is left as it
	// is, and so is the second of a pair repeated within ns.
	Enqueue(ctx context.Context, ns ...Notification) error
	// Due returns at most limit pending notifications with NextAttempt ≤
	// now, ordered by NextAttempt, then Created, then Channel and Key. A
	// limit of 0 or less means no limit.
	Due(ctx context.Context, now time.Time, limit int) ([]Notification, error)
	// Settle records an attempt at (channel, key): with state Delivered or
	// Failed the message is done at now; with Pending it is due again at
	// next. Attempts grows by one and LastError becomes errText. Settling
	// a message that is not stored returns ErrNotFound.
	Settle(ctx context.Context, channel, key, state string, now, next time.Time, errText string) error
	// Notifications lists the messages of one channel (every channel when
	// empty) in state (every state when empty), oldest created first.
	Notifications(ctx context.Context, channel, state string) ([]Notification, error)
}

// Errors of every store.
var (
	// ErrClosed is returned by a store used after Close.
	ErrClosed = errors.New("store: closed")
	// ErrNotFound is returned for an alert or notification not stored.
	ErrNotFound = errors.New("store: not found")
	// ErrTransient is matched (errors.Is) by the errors of a call that
	// may succeed if it is made again unchanged: the database's
	// connection was lost or refused, it aborted the transaction to
	// resolve a conflict (serialization failure, deadlock), or a lock was
	// not had in time. Nothing of the call was stored, except when the
	// connection was lost while committing: the commit may then have
	// happened, and the call made again finds what it stored (Append is
	// idempotent; its records come back as duplicates).
	ErrTransient = errors.New("store: transient failure")
	// ErrInvalid is matched by the errors of a call whose data the store
	// refuses (an invalid device id, a sequence number 0, a value the
	// database cannot hold): the same call fails again whatever the
	// store's state, and nothing of it was stored.
	ErrInvalid = errors.New("store: invalid data")
)

// Transient marks err as one of ErrTransient's, keeping its text; nil
// stays nil. Backends mark their errors with it.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return kindError{err, ErrTransient}
}

// Invalid marks err as one of ErrInvalid's, keeping its text; nil stays
// nil.
func Invalid(err error) error {
	if err == nil {
		return nil
	}
	return kindError{err, ErrInvalid}
}

// kindError is err with a kind that errors.Is matches but the text does
// not repeat.
type kindError struct {
	err  error
	kind error
}

func (e kindError) Error() string        { return e.err.Error() }
func (e kindError) Unwrap() error        { return e.err }
func (e kindError) Is(target error) bool { return target == e.kind }

// CeilMilli is the smallest Unix millisecond not before t. A record at
// millisecond m is at or after t exactly when m ≥ CeilMilli(t), which
// makes both half-open bounds of a query exact for sub-millisecond times
// (see Store's Times): each backend compares its stored milliseconds
// with it.
func CeilMilli(t time.Time) int64 {
	ms := t.UnixMilli() // floors: the nanoseconds within a second are never negative
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		ms++
	}
	return ms
}
