package rules

import (
	"fmt"
	"sort"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Rule is one threshold of a plan on a windowed mean.
type Rule struct {
	Plan       string
	ID         string
	Title      string
	Quantity   telemetry.Quantity
	Window     time.Duration // trailing window length, > 0
	Above      float64       // opens when the window mean is > Above
	ClearBelow float64       // clears when the window mean is ≤ ClearBelow (≤ Above)
	MinSamples int           // readings the window needs before it is judged; ≥ 1
	Office     string
	Severity   string
}

// Kind says whether a transition opens or clears an alert.
type Kind int

const (
	Opened Kind = iota + 1
	Cleared
)

func (k Kind) String() string {
	switch k {
	case Opened:
		return "opened"
	case Cleared:
		return "cleared"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Transition is a stream crossing a rule's threshold.
type Transition struct {
	Kind    Kind
	Rule    *Rule
	Device  string
	Sensor  string
	Time    time.Time // event time at which the window crossed (its newest reading)
	Value   float64   // the window mean after that reading
	Samples int       // readings in the window
}

// Stream identifies one series of one device.
type Stream struct {
	Device string
	Sensor string
}

// Engine evaluates rules over streams. It is not safe for concurrent use:
// the collector feeds it from one goroutine.
type Engine struct {
	rules     []*Rule
	states    map[stateKey]*window
	late      uint64
	untrusted uint64
}

type stateKey struct {
	rule   *Rule
	stream Stream
}

// New returns an engine for rules, which it checks.
func New(rules []Rule) (*Engine, error) {
	e := &Engine{states: make(map[stateKey]*window)}
	for i := range rules {
		r := rules[i]
		switch {
		case r.Window <= 0:
			return nil, fmt.Errorf("rules: %s/%s: window %v must be positive", r.Plan, r.ID, r.Window)
		case r.ClearBelow > r.Above:
			return nil, fmt.Errorf("rules: %s/%s: clear_below %v is above the limit %v", r.Plan, r.ID, r.ClearBelow, r.Above)
		case r.MinSamples < 1:
			r.MinSamples = 1
		}
		e.rules = append(e.rules, &r)
	}
	return e, nil
}

// Rules returns the engine's rules.
func (e *Engine) Rules() []*Rule { return e.rules }

// Late counts readings that arrived too late for their window.
func (e *Engine) Late() uint64 { return e.late }

// Untrusted counts readings not judged for their quality or their time.
func (e *Engine) Untrusted() uint64 { return e.untrusted }

// MarkOpen tells the engine that an alert for rule and stream is already
// open (for example, loaded from the store after a restart), so that it
// is cleared rather than raised again.
func (e *Engine) MarkOpen(plan, rule string, s Stream) {
	for _, r := range e.rules {
		if r.Plan == plan && r.ID == rule {
			e.state(r, s).open = true
		}
	}
}

// Observe evaluates one device's new records (in any order) and returns
// the transitions they cause, in event-time order per stream.
func (e *Engine) Observe(device string, recs []telemetry.Record) []Transition {
	sorted := recs
	if !sort.SliceIsSorted(recs, func(i, j int) bool { return recs[i].Time.Before(recs[j].Time) }) {
		sorted = append([]telemetry.Record(nil), recs...)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Time.Before(sorted[j].Time) })
	}
	var out []Transition
	for _, rec := range sorted {
		// Only good readings with a trusted time are judged: one reading
		// stamped days ahead by a wrong clock would move the stream's
		// window there and make every true reading after it "late".
		if rec.Quality != telemetry.Good || rec.Flags&(telemetry.ClockUnsynced|telemetry.FutureTime) != 0 {
			e.untrusted++
			continue
		}
		for _, r := range e.rules {
			if r.Quantity != rec.Quantity {
				continue
			}
			s := Stream{Device: device, Sensor: rec.Sensor}
			w := e.state(r, s)
			if !w.add(rec.Time, rec.Value, r.Window) {
				e.late++
				continue
			}
			if w.len() < r.MinSamples {
				continue
			}
			// The window is judged at its end, which is this reading's time
			// unless the reading arrived out of order.
			mean, at := w.mean(), w.end()
			switch {
			case !w.open && mean > r.Above:
				w.open = true
				out = append(out, Transition{Kind: Opened, Rule: r, Device: device, Sensor: rec.Sensor, Time: at, Value: mean, Samples: w.len()})
			case w.open && mean <= r.ClearBelow:
				w.open = false
				out = append(out, Transition{Kind: Cleared, Rule: r, Device: device, Sensor: rec.Sensor, Time: at, Value: mean, Samples: w.len()})
			}
		}
	}
	return out
}

func (e *Engine) state(r *Rule, s Stream) *window {
	k := stateKey{r, s}
	w := e.states[k]
	if w == nil {
		w = &window{}
		e.states[k] = w
	}
	return w
}
