package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/cloud/rules"
	"github.com/xiuhua/xiuhua/cloud/store"
)

// Store is what the manager needs from the collector's store.
type Store interface {
	PutAlert(ctx context.Context, a store.Alert) error
	Alerts(ctx context.Context) ([]store.Alert, error)
}

// Sender delivers alert messages (the notifier).
type Sender interface {
	Send(m notify.Message)
}

type streamKey struct {
	plan, rule, device, sensor string
}

// Manager owns the open alerts. It is not safe for concurrent use: the
// collector calls it from its ingest goroutine.
type Manager struct {
	st   Store
	out  Sender
	open map[streamKey]store.Alert
	// known holds the id of every alert stored, so that replaying
	// readings (a collector restart) cannot raise one a second time.
	known map[string]bool
}

// New loads the open alerts from st.
func New(ctx context.Context, st Store, out Sender) (*Manager, error) {
	all, err := st.Alerts(ctx)
	if err != nil {
		return nil, fmt.Errorf("alert: load: %w", err)
	}
	m := &Manager{st: st, out: out, open: make(map[streamKey]store.Alert), known: make(map[string]bool, len(all))}
	for _, a := range all {
		m.known[a.ID] = true
		if a.State == store.Open {
			m.open[streamKey{a.Plan, a.Rule, a.Device, a.Sensor}] = a
		}
	}
	return m, nil
}

// Open returns the alerts open now.
func (m *Manager) Open() []store.Alert {
	out := make([]store.Alert, 0, len(m.open))
	for _, a := range m.open {
		out = append(out, a)
	}
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

// Apply records the transitions and notifies. A store error is returned;
// transitions after the failing one are not applied.
func (m *Manager) Apply(ctx context.Context, trs []rules.Transition) error {
	for _, tr := range trs {
		r := tr.Rule
		k := streamKey{r.Plan, r.ID, tr.Device, tr.Sensor}
		var a store.Alert
		var event string
		switch tr.Kind {
		case rules.Opened:
			if _, dup := m.open[k]; dup || m.known[ID(r.Plan, r.ID, tr.Device, tr.Sensor, tr.Time)] {
				continue
			}
			a = store.Alert{
				ID: ID(r.Plan, r.ID, tr.Device, tr.Sensor, tr.Time), Rule: r.ID, Plan: r.Plan,
				Device: tr.Device, Sensor: tr.Sensor, Quantity: r.Quantity, Office: r.Office,
				Severity: r.Severity, State: store.Open, Opened: tr.Time.UTC(), Value: round(tr.Value),
				Limit: r.Above, Unit: r.Quantity.Unit(),
				Message: fmt.Sprintf("%s: %s %s mean over %v is %.1f %s, above %.1f (%d readings)",
					r.Title, tr.Device, r.Quantity, window(r.Window), tr.Value, r.Quantity.Unit(), r.Above, tr.Samples),
			}
			event = "alert.opened"
		case rules.Cleared:
			open, ok := m.open[k]
			if !ok {
				continue
			}
			a = open
			at := tr.Time.UTC()
			a.State, a.Resolved, a.Value = store.Resolved, &at, round(tr.Value)
			a.Message = fmt.Sprintf("%s: %s %s mean over %v is back to %.1f %s (clears at %.1f)",
				r.Title, tr.Device, r.Quantity, window(r.Window), tr.Value, r.Quantity.Unit(), r.ClearBelow)
			event = "alert.resolved"
		default:
			continue
		}
		if err := m.st.PutAlert(ctx, a); err != nil {
			return fmt.Errorf("alert: store %s: %w", a.ID, err)
		}
		m.known[a.ID] = true
		if a.State == store.Open {
			m.open[k] = a
		} else {
			delete(m.open, k)
		}
		m.out.Send(notify.Message{Key: a.ID + ":" + a.State, Event: event, Alert: a})
	}
	return nil
}

func round(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 2, 64), 64)
	return f
}

// window writes a rule window the way plans do: "15m", not "15m0s".
func window(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
