package registry

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Reasons a device is offline (Device.Reason).
const (
	ReasonLastWill = "last will"
	ReasonClean    = "disconnected cleanly"
	ReasonTimeout  = "heartbeat timeout"
	ReasonNoStatus = "no status"
)

// TimeoutFactor is how many heartbeat intervals may pass without a birth,
// heartbeat or batch before a device is offline: one late heartbeat is
// jitter, two missed ones are not.
const TimeoutFactor = 2.5

// maxInterval is the longest interval whose timeout is representable; a
// device announcing a longer one never times out.
const maxInterval = time.Duration(math.MaxInt64 / 3)

// MaxPayload bounds a status or heartbeat payload, in bytes.
const MaxPayload = 64 << 10

// Opts configures New. Nil means the defaults.
type Opts struct {
	Now    func() time.Time // the collector's clock; nil means time.Now
	Logger *slog.Logger     // receives malformed messages; nil discards
}

// Stats counts the registry's messages since it was made.
type Stats struct {
	Statuses   uint64 // statuses applied, including cleared ones
	Heartbeats uint64 // heartbeats applied
	Malformed  uint64 // statuses and heartbeats ignored as malformed
}

// Device is one device's state at the moment it was read.
type Device struct {
	ID     string
	Online bool
	State  string    // telemetry.Online or telemetry.Offline
	Since  time.Time // when the state began (collector clock); zero when unknown
	Reason string    // why it is offline (a Reason constant); "" when online
	// Heartbeat is the latest heartbeat, nil before the first. It is
	// shared: callers must not modify it.
	Heartbeat   *telemetry.Heartbeat
	HeartbeatAt time.Time // collector clock when Heartbeat arrived
	// ConfigHash is the hash of the config the device runs, from the
	// latest status or heartbeat that carried one; "" when none has.
	ConfigHash string
}

// Registry holds every device's latest status and heartbeat. It is safe
// for concurrent use.
type Registry struct {
	now func() time.Time
	log *slog.Logger

	mu      sync.Mutex
	devices map[string]*entry
	stats   Stats
}

// entry holds the facts about one device; state evaluates them.
type entry struct {
	hasStatus bool
	online    bool      // the last status said online
	since     time.Time // when the state the last event left began
	reason    string    // why offline, when !online
	active    time.Time // latest birth, heartbeat or batch arrival
	interval  time.Duration
	hb        *telemetry.Heartbeat
	hbAt      time.Time
	config    string // the latest config hash heard
}

// New returns an empty registry.
func New(opts *Opts) *Registry {
	r := &Registry{now: time.Now, log: slog.New(slog.DiscardHandler), devices: make(map[string]*entry)}
	if opts != nil {
		if opts.Now != nil {
			r.now = opts.Now
		}
		if opts.Logger != nil {
			r.log = opts.Logger
		}
	}
	return r
}

// state evaluates e at now.
func (e *entry) state(now time.Time) (online bool, since time.Time, reason string) {
	if !e.online {
		return false, e.since, e.reason
	}
	if e.interval > 0 && e.interval <= maxInterval {
		deadline := e.active.Add(time.Duration(float64(e.interval) * TimeoutFactor))
		if now.After(deadline) {
			return false, deadline, ReasonTimeout
		}
	}
	return true, e.since, ""
}

// alive records an arrival from the device at now: it ends a timeout.
func (e *entry) alive(now time.Time) {
	wasOnline, _, _ := e.state(now)
	e.active = later(e.active, now)
	if e.online && !wasOnline {
		e.since = now
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// entry returns id's entry, creating it. r.mu must be held.
func (r *Registry) entry(id string) *entry {
	e, ok := r.devices[id]
	if !ok {
		e = &entry{reason: ReasonNoStatus}
		r.devices[id] = e
	}
	return e
}

var errState = errors.New("registry: status state is neither online nor offline")

// SetStatus applies a status of device id. An online status is a birth:
// it counts as an arrival. An offline status without a time is the last
// will; with one, a clean disconnect.
func (r *Registry) SetStatus(id string, s telemetry.Status) error {
	if s.State != telemetry.Online && s.State != telemetry.Offline {
		return fmt.Errorf("%w: %q", errState, s.State)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	e := r.entry(id)
	wasOnline, since, _ := e.state(now)
	if s.State == telemetry.Online {
		if !wasOnline {
			e.since = now
		}
		e.online, e.reason = true, ""
		e.active = later(e.active, now)
	} else {
		switch {
		case wasOnline || !e.hasStatus:
			e.since = now
		default: // already offline: since the timeout or the earlier status
			e.since = since
		}
		e.online, e.reason = false, ReasonLastWill
		if !s.Time.IsZero() {
			e.reason = ReasonClean
		}
	}
	e.hasStatus = true
	if s.ConfigHash != "" {
		e.config = s.ConfigHash
	}
	r.stats.Statuses++
	return nil
}

// ClearStatus forgets device id's status, as when its retained status is
// deleted (an empty retained message): it is offline for want of one.
func (r *Registry) ClearStatus(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.entry(id)
	e.hasStatus, e.online, e.since, e.reason = false, false, time.Time{}, ReasonNoStatus
	r.stats.Statuses++
}

var errInterval = errors.New("registry: heartbeat interval is negative")

// SetHeartbeat applies a heartbeat of device id: it is kept as the latest,
// its interval becomes the device's, and it counts as an arrival. The
// registry keeps hb's Sensors map; the caller must not modify it.
func (r *Registry) SetHeartbeat(id string, hb telemetry.Heartbeat) error {
	if hb.Interval < 0 {
		return fmt.Errorf("%w: %v", errInterval, time.Duration(hb.Interval))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	e := r.entry(id)
	e.alive(now)
	e.hb, e.hbAt, e.interval = &hb, now, time.Duration(hb.Interval)
	if hb.ConfigHash != "" {
		e.config = hb.ConfigHash
	}
	r.stats.Heartbeats++
	return nil
}

// Seen records that a batch from device id arrived: it counts as an
// arrival. It creates no status.
func (r *Registry) Seen(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entry(id).alive(r.now())
}

// HandleStatus applies a message from the status topic; see SetStatus and
// ClearStatus. A malformed one is counted, logged and ignored.
func (r *Registry) HandleStatus(topic string, payload []byte) {
	err := func() error {
		id, err := telemetry.DeviceFromStatusTopic(topic)
		if err != nil {
			return err
		}
		if len(payload) == 0 {
			r.ClearStatus(id)
			return nil
		}
		var s telemetry.Status
		if err := decode(payload, &s); err != nil {
			return err
		}
		return r.SetStatus(id, s)
	}()
	if err != nil {
		r.malformed("status", topic, payload, err)
	}
}

// HandleHeartbeat applies a message from the heartbeat topic; see
// SetHeartbeat. A malformed one is counted, logged and ignored.
func (r *Registry) HandleHeartbeat(topic string, payload []byte) {
	err := func() error {
		id, err := telemetry.DeviceFromHeartbeatTopic(topic)
		if err != nil {
			return err
		}
		var hb telemetry.Heartbeat
		if err := decode(payload, &hb); err != nil {
			return err
		}
		return r.SetHeartbeat(id, hb)
	}()
	if err != nil {
		r.malformed("heartbeat", topic, payload, err)
	}
}

// decode parses a JSON payload. Unknown fields are allowed, so that
// devices can add some before the collector knows them.
func decode(payload []byte, v any) error {
	if len(payload) > MaxPayload {
		return fmt.Errorf("registry: payload of %d bytes is over the limit of %d", len(payload), MaxPayload)
	}
	if err := json.Unmarshal(payload, v); err != nil {
		return fmt.Errorf("registry: decode: %w", err)
	}
	return nil
}

func (r *Registry) malformed(kind, topic string, payload []byte, err error) {
	r.mu.Lock()
	r.stats.Malformed++
	r.mu.Unlock()
	r.log.Warn("registry: malformed "+kind+" ignored", "topic", topic, "bytes", len(payload), "err", err)
}

// Device returns device id's state now, and whether the registry has
// heard of it.
func (r *Registry) Device(id string) (Device, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.devices[id]
	if !ok {
		return Unknown(id), false
	}
	return e.device(id, r.now()), true
}

// Devices returns the state now of every device the registry has heard
// of, sorted by id.
func (r *Registry) Devices() []Device {
	r.mu.Lock()
	now := r.now()
	out := make([]Device, 0, len(r.devices))
	for id, e := range r.devices {
		out = append(out, e.device(id, now))
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b Device) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Stats returns the registry's counters.
func (r *Registry) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Unknown is the state of a device the registry has not heard of.
func Unknown(id string) Device {
	return Device{ID: id, State: telemetry.Offline, Reason: ReasonNoStatus}
}

func (e *entry) device(id string, now time.Time) Device {
	online, since, reason := e.state(now)
	d := Device{ID: id, Online: online, State: telemetry.Offline, Since: since, Reason: reason, Heartbeat: e.hb, HeartbeatAt: e.hbAt,
		ConfigHash: e.config}
	if online {
		d.State = telemetry.Online
	}
	return d
}
