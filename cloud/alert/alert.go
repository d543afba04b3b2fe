package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/cloud/rules"
	"github.com/xiuhua/xiuhua/cloud/store"
)

// Store is what the manager needs from the collector's store.
type Store interface {
	PutAlert(ctx context.Context, a store.Alert) error
	Alert(ctx context.Context, id string) (store.Alert, error)
	Alerts(ctx context.Context, q store.AlertQuery) ([]store.Alert, error)
}

// Sender queues alert messages durably (the notifier).
type Sender interface {
	Send(ctx context.Context, m notify.Message) error
}

// Office is an office as the manager routes to it.
type Office struct {
	ID, Name string
	Contacts []notify.Contact
	// EscalateAfter and EscalateTo: an alert of this office not
	// acknowledged within EscalateAfter of reaching it goes on to
	// EscalateTo. Zero: never escalated further.
	EscalateAfter time.Duration
	EscalateTo    string
}

// Place is where a device is.
type Place struct{ Site, District string }

// Opts configures a manager.
type Opts struct {
	Offices []Office
	// Route names the office for an alert of rule r on device (a rule's
	// own office, or the collector's routes by category and scope).
	// Nil: the rule's Office.
	Route func(r *rules.Rule, device string) string
	Place func(device string) Place // nil: no places
	// A stream whose rule opens FlapOpens times within FlapWindow is
	// flapping: further openings re-open its last alert instead of
	// raising new ones (counted in Flaps). The first is told as a
	// summary, and each re-opening and resolution after it is told too,
	// under keys of their own (see Key). Defaults 3 and 1 h.
	FlapOpens  int
	FlapWindow time.Duration
	Now        func() time.Time // the collector's clock; nil: time.Now
}

// Errors of Ack and Resolve.
var (
	ErrNotFound = store.ErrNotFound
	// ErrResolved is returned when acknowledging an alert already resolved.
	ErrResolved = errors.New("alert: already resolved")
)

type streamKey struct {
	plan, rule, device, sensor string
}

func keyOf(a store.Alert) streamKey { return streamKey{a.Plan, a.Rule, a.Device, a.Sensor} }

// Manager owns the alerts' lifecycle: open → acknowledged → resolved,
// routing, escalation and flap suppression. It is safe for concurrent
// use: ingest applies transitions while the API acknowledges.
type Manager struct {
	mu      sync.Mutex
	st      Store
	out     Sender
	o       Opts
	offices map[string]Office
	// active holds the alerts not resolved, by stream.
	active map[streamKey]store.Alert
	// known holds the id of every alert stored, so that replaying
	// readings (a collector restart) cannot raise one a second time.
	known map[string]bool
	// opens holds each stream's recent live openings (collector clock),
	// at most FlapOpens of them; last its newest live alert, the one flap
	// suppression re-opens. A restart forgets opens (a stream flapping
	// across it raises one new alert before folding again), not when an
	// alert was re-opened: that is stored (store.Alert.Reopened).
	opens map[streamKey][]time.Time
	last  map[streamKey]lastAlert
}

// lastAlert is a stream's newest live alert.
type lastAlert struct {
	id string
	// cleared is the event time at which its rule last cleared it; zero
	// while it is not resolved, or when it was resolved by hand.
	cleared time.Time
}

func lastOf(a store.Alert) lastAlert {
	l := lastAlert{id: a.ID}
	if a.State == store.Resolved && a.ResolvedBy == "auto" && a.Resolved != nil {
		l.cleared = *a.Resolved
	}
	return l
}

// New loads the alerts from st.
func New(ctx context.Context, st Store, out Sender, opts Opts) (*Manager, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FlapOpens <= 0 {
		opts.FlapOpens = 3
	}
	if opts.FlapWindow <= 0 {
		opts.FlapWindow = time.Hour
	}
	if opts.Place == nil {
		opts.Place = func(string) Place { return Place{} }
	}
	if opts.Route == nil {
		opts.Route = func(r *rules.Rule, _ string) string { return r.Office }
	}
	all, err := st.Alerts(ctx, store.AlertQuery{})
	if err != nil {
		return nil, fmt.Errorf("alert: load: %w", err)
	}
	m := &Manager{st: st, out: out, o: opts, offices: map[string]Office{},
		active: map[streamKey]store.Alert{}, known: make(map[string]bool, len(all)),
		opens: map[streamKey][]time.Time{}, last: map[streamKey]lastAlert{}}
	for _, o := range opts.Offices {
		m.offices[o.ID] = o
	}
	// Alerts come newest first: the first of a stream is its last.
	for _, a := range all {
		m.known[a.ID] = true
		k := keyOf(a)
		if _, ok := m.last[k]; !ok && !a.Retrospective {
			m.last[k] = lastOf(a)
		}
		if a.State != store.Resolved {
			if _, ok := m.active[k]; !ok {
				m.active[k] = a
			}
		}
	}
	return m, nil
}

// Active returns the alerts not resolved.
func (m *Manager) Active() []store.Alert {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]store.Alert, 0, len(m.active))
	for _, a := range m.active {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b store.Alert) int { return b.Opened.Compare(a.Opened) })
	return out
}

// ID is the deterministic id of the alert that rule raised on a stream at
// opened.
func ID(plan, rule, device, sensor string, opened time.Time) string {
	h := sha256.New()
	for _, s := range []string{plan, rule, device, sensor, strconv.FormatInt(opened.UnixMilli(), 10)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:10])
}

// Apply records the transitions and tells the offices. A store or queue
// error is returned; transitions after the failing one are not applied.
func (m *Manager) Apply(ctx context.Context, trs []rules.Transition) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, tr := range trs {
		var err error
		if tr.Change == rules.Opened {
			err = m.open(ctx, tr)
		} else {
			err = m.clear(ctx, tr)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (m *Manager) open(ctx context.Context, tr rules.Transition) error {
	r := tr.Rule
	k := streamKey{r.Plan, r.ID, tr.Device, tr.Sensor}
	id := ID(r.Plan, r.ID, tr.Device, tr.Sensor, tr.Time)
	if _, dup := m.active[k]; dup || m.known[id] {
		return nil
	}
	if tr.Retrospective {
		overlaps, err := m.overlaps(ctx, k, tr.Since)
		if err != nil || overlaps {
			return err
		}
	} else if l, ok := m.last[k]; ok && tr.Time.Before(l.cleared) {
		// A live transition older than the stream's last clearing is a
		// replay (a restart judging the stored readings again): its
		// alert was raised, or folded by flap suppression, already.
		return nil
	}
	now := m.o.Now()
	var recent []time.Time
	if !tr.Retrospective {
		recent = m.recentOpens(k, now)
		if len(recent) >= m.o.FlapOpens {
			if l, ok := m.last[k]; ok {
				return m.fold(ctx, k, l.id, now, recent, tr)
			}
		}
	}
	place := m.o.Place(tr.Device)
	a := store.Alert{
		ID: id, Rule: r.ID, Kind: string(r.Kind), Plan: r.Plan, Category: r.Category,
		Device: tr.Device, Sensor: tr.Sensor, Quantity: r.Quantity, Site: place.Site, District: place.District,
		Office: m.o.Route(r, tr.Device), Severity: r.Severity, State: store.Open,
		Opened: tr.Time.UTC(), Raised: now.UTC(), Retrospective: tr.Retrospective,
		Value: stored(tr), Limit: limitOf(r, tr.Value), Unit: unitOf(r), Message: openMessage(tr),
	}
	if err := m.tell(ctx, notify.EventOpened, a, "", a.Office); err != nil {
		return err
	}
	if err := m.put(ctx, a); err != nil {
		return err
	}
	if !tr.Retrospective {
		// Recorded only now: an opening that failed is applied again.
		m.opens[k] = append(recent, now)
		m.last[k] = lastOf(a)
	}
	return nil
}

// recentOpens returns the stream's live openings within FlapWindow of now.
func (m *Manager) recentOpens(k streamKey, now time.Time) []time.Time {
	var recent []time.Time
	for _, t := range m.opens[k] {
		if now.Sub(t) < m.o.FlapWindow {
			recent = append(recent, t)
		}
	}
	return recent
}

// fold applies flap suppression: the stream has opened FlapOpens times
// within FlapWindow, so this opening re-opens its last alert instead of
// raising a new one. The first fold is told as a summary, later ones as
// re-openings.
func (m *Manager) fold(ctx context.Context, k streamKey, lastID string, now time.Time, recent []time.Time, tr rules.Transition) error {
	a, err := m.st.Alert(ctx, lastID)
	if err != nil {
		return fmt.Errorf("alert: flapping %s: %w", lastID, err)
	}
	a.Flaps++
	// An acknowledgement holds across the flapping: someone is on it, so
	// the re-opened alert is not escalated again.
	a.State, a.Resolved, a.ResolvedBy = store.Open, nil, ""
	if a.AckedAt != nil {
		a.State = store.Acknowledged
	}
	reopened := tr.Time.UTC()
	a.Reopened = &reopened
	a.Value, a.Message = stored(tr), openMessage(tr)
	note := fmt.Sprintf("flapping: opened %d times within %s; further openings are folded into this alert",
		m.o.FlapOpens+1, span(m.o.FlapWindow))
	if a.Flaps > 1 {
		note = fmt.Sprintf("flapping: re-opened %d times since it was raised; each re-opening is folded into this alert", a.Flaps)
	}
	// Every re-opening is told, to everyone told of the resolution before
	// it: an office whose last word was "resolved" must hear that the
	// alert is open again.
	if err := m.tell(ctx, notify.EventFlapping, a, note, m.audience(a)...); err != nil {
		return err
	}
	if err := m.put(ctx, a); err != nil {
		return err
	}
	m.opens[k] = append(recent[1:], now)
	return nil
}

// overlaps reports whether an alert of the stream already covers an
// episode that began at since: a retrospective alert must not raise again
// what was raised live.
func (m *Manager) overlaps(ctx context.Context, k streamKey, since time.Time) (bool, error) {
	as, err := m.st.Alerts(ctx, store.AlertQuery{Device: k.device, Plan: k.plan})
	if err != nil {
		return false, fmt.Errorf("alert: %w", err)
	}
	for _, a := range as {
		if a.Rule == k.rule && a.Sensor == k.sensor && (a.Resolved == nil || a.Resolved.After(since)) {
			return true, nil
		}
	}
	return false, nil
}

func (m *Manager) clear(ctx context.Context, tr rules.Transition) error {
	r := tr.Rule
	k := streamKey{r.Plan, r.ID, tr.Device, tr.Sensor}
	a, ok := m.active[k]
	if !ok {
		return nil
	}
	if tr.Retrospective && !a.Retrospective {
		// Late data ended an episode of its own: the live alert of the
		// stream is the live state's to clear.
		return nil
	}
	if !tr.Retrospective && tr.Time.Before(began(a, r)) {
		// Cleared before the alert's episode began: a replay of older
		// readings (a restart), not the end of this episode.
		return nil
	}
	at := tr.Time.UTC()
	a.State, a.Resolved, a.ResolvedBy, a.Value = store.Resolved, &at, "auto", stored(tr)
	a.Message = clearMessage(tr)
	if err := m.tell(ctx, notify.EventResolved, a, "", m.audience(a)...); err != nil {
		return err
	}
	return m.put(ctx, a)
}

// began is the earliest event time at which a reading can end the episode
// of a, an active alert of rule r: its opening, or its last re-opening by
// flap suppression; for a silence, the last reading before it.
func began(a store.Alert, r *rules.Rule) time.Time {
	t := a.Opened
	if a.Reopened != nil && a.Reopened.After(t) {
		t = *a.Reopened
	}
	if r.Kind == rules.Silence {
		t = t.Add(-r.After)
	}
	return t
}

// Ack acknowledges the alert id on behalf of by. Acknowledging twice is
// not an error; acknowledging a resolved alert is ErrResolved.
func (m *Manager) Ack(ctx context.Context, id, by string) (store.Alert, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, err := m.st.Alert(ctx, id)
	if err != nil {
		return a, fmt.Errorf("alert: ack %s: %w", id, err)
	}
	switch a.State {
	case store.Resolved:
		return a, ErrResolved
	case store.Acknowledged:
		return a, nil
	}
	now := m.o.Now().UTC()
	a.State, a.AckedAt, a.AckedBy = store.Acknowledged, &now, by
	if err := m.tell(ctx, notify.EventAcknowledged, a, "", m.audience(a)...); err != nil {
		return a, err
	}
	return a, m.put(ctx, a)
}

// Resolve resolves the alert id by hand. Resolving twice is not an error.
// A rule whose condition persists raises again only after it has cleared.
func (m *Manager) Resolve(ctx context.Context, id, by string) (store.Alert, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, err := m.st.Alert(ctx, id)
	if err != nil {
		return a, fmt.Errorf("alert: resolve %s: %w", id, err)
	}
	if a.State == store.Resolved {
		return a, nil
	}
	now := m.o.Now().UTC()
	a.State, a.Resolved, a.ResolvedBy = store.Resolved, &now, by
	if err := m.tell(ctx, notify.EventResolved, a, "resolved by "+by, m.audience(a)...); err != nil {
		return a, err
	}
	return a, m.put(ctx, a)
}

// Tick escalates, at now on the collector's clock, every live alert not
// acknowledged within its current office's EscalateAfter.
func (m *Manager) Tick(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.o.Now().UTC()
	for _, a := range m.active {
		if a.State != store.Open || a.Retrospective {
			continue
		}
		cur, since := a.Office, a.Raised
		if n := len(a.Escalated); n > 0 {
			cur, since = a.Escalated[n-1], *a.EscalatedAt
		}
		o := m.offices[cur]
		next := o.EscalateTo
		if o.EscalateAfter <= 0 || next == "" || next == a.Office || slices.Contains(a.Escalated, next) || now.Sub(since) < o.EscalateAfter {
			continue
		}
		a.Escalation++
		a.Escalated = append(slices.Clone(a.Escalated), next)
		a.EscalatedAt = &now
		note := fmt.Sprintf("not acknowledged by %s within %s", m.name(cur), span(o.EscalateAfter))
		if err := m.tell(ctx, notify.EventEscalated, a, note, next); err != nil {
			return err
		}
		if err := m.put(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// audience is every office that has been told of a: its own and those it
// was escalated to.
func (m *Manager) audience(a store.Alert) []string {
	return append([]string{a.Office}, a.Escalated...)
}

func (m *Manager) name(office string) string {
	if o, ok := m.offices[office]; ok && o.Name != "" {
		return o.Name
	}
	return office
}

// tell queues one message per office, durably, before the alert itself is
// stored: a crash in between leaves a message whose alert is raised again
// on replay with the same id and so the same key, which the queue drops.
func (m *Manager) tell(ctx context.Context, event string, a store.Alert, note string, offices ...string) error {
	for _, office := range offices {
		key := Key(a, event, office)
		o := m.offices[office]
		msg := notify.Message{Key: key, Event: event, Alert: a, Office: office, OfficeName: m.name(office), Contacts: o.Contacts, Note: note}
		if err := m.out.Send(ctx, msg); err != nil {
			return fmt.Errorf("alert: notify %s: %w", a.ID, err)
		}
	}
	return nil
}

// Key is the idempotency key of the message telling office of event on
// a: "<id>:<event>[:<n>]:<office>". It follows from what the alert
// stores, so that a restart that tells the same event again makes the
// same key, and every event an office must hear makes a key of its own:
// n is the escalation's number for alert.escalated, the flaps folded in
// so far for alert.opened (0) and alert.flapping (1, 2, …), and for
// alert.resolved of an alert that has flapped (a resolution of a folded
// alert follows a re-opening the office was told of). The first
// resolution and the acknowledgement (which a re-opening keeps, so there
// is one) have none.
func Key(a store.Alert, event, office string) string {
	key := a.ID + ":" + event
	switch event {
	case notify.EventEscalated:
		key += ":" + strconv.Itoa(a.Escalation)
	case notify.EventFlapping, notify.EventOpened:
		key += ":" + strconv.Itoa(a.Flaps)
	case notify.EventResolved:
		if a.Flaps > 0 {
			key += ":" + strconv.Itoa(a.Flaps)
		}
	}
	return key + ":" + office
}

func (m *Manager) put(ctx context.Context, a store.Alert) error {
	if err := m.st.PutAlert(ctx, a); err != nil {
		return fmt.Errorf("alert: store %s: %w", a.ID, err)
	}
	m.known[a.ID] = true
	k := keyOf(a)
	if l, ok := m.last[k]; ok && l.id == a.ID {
		m.last[k] = lastOf(a)
	}
	if a.State == store.Resolved {
		if cur, ok := m.active[k]; ok && cur.ID == a.ID {
			delete(m.active, k)
		}
	} else {
		m.active[k] = a
	}
	return nil
}
