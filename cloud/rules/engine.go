package rules

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Change says whether a transition opens or clears an alert.
type Change int

// Changes.
const (
	Opened Change = iota + 1
	Cleared
)

func (c Change) String() string {
	switch c {
	case Opened:
		return "opened"
	case Cleared:
		return "cleared"
	}
	return fmt.Sprintf("change(%d)", int(c))
}

// Transition is a stream crossing a rule.
type Transition struct {
	Change Change
	Rule   *Rule
	Device string
	Sensor string
	// Time is the event time at which the rule opened or cleared: the
	// reading that completed the condition, or a period's end.
	Time time.Time
	// Since is when the condition began (the first breaking reading, the
	// period's start, the last reading before a silence).
	Since   time.Time
	Value   float64 // the value judged
	Samples int     // readings in the window or period (1 for a reading)
	// Exceedances counts, for a Period rule with Allowed, the day's
	// exceeding periods so far.
	Exceedances int
	// Retrospective marks a transition found by Replay in data that
	// arrived late.
	Retrospective bool
}

// Stream identifies one series of one device.
type Stream struct {
	Device string
	Sensor string
}

// Late is a span of readings of one stream that arrived too late for a
// rule's live state: Replay judges them with the stored readings around
// them.
type Late struct {
	Rule     *Rule
	Stream   Stream
	From, To time.Time // event times of the earliest and latest late readings
}

// Span is the range of stored readings a replay of l needs.
func (l Late) Span() (from, to time.Time) {
	r := l.Rule
	from = l.From.Add(-r.lookback())
	if r.Kind == Period && r.Period != Year {
		from = dayStart(l.From)
	}
	return from, l.To.Add(r.lookback())
}

// Stats counts what the engine did not judge.
type Stats struct {
	Untrusted uint64 // readings skipped for their time (unsynced clock, future) or a non-finite value
	Late      uint64 // judgements deferred to a replay
	Streams   int    // rule states held
}

// Engine evaluates rules over streams. It is not safe for concurrent use:
// the collector feeds it from one goroutine.
type Engine struct {
	rules   []*Rule
	byQ     map[telemetry.Quantity][]*Rule
	applies func(r *Rule, device string) bool
	// streams holds the states of each stream's quantity under the rules
	// of that quantity: one look-up per reading, however many rules judge
	// it.
	streams map[streamKey]*streamStates
	nstates int
	// tickers are the states that time alone can change (silence and
	// period rules): Tick walks them only, not every stream. A city's
	// 100,000 streams walked each second held the engine 30–100 ms.
	tickers []ticker
	stats   Stats
}

// ticker is the state of one stream under its i-th rule.
type ticker struct {
	ss *streamStates
	i  int
}

type streamKey struct {
	stream   Stream
	quantity telemetry.Quantity
}

// streamStates is one stream's quantity under the rules of that quantity.
type streamStates struct {
	stream Stream
	rules  []*Rule // the engine's byQ of the quantity
	// covers says which rules cover the stream's device (their scope);
	// states holds each rule's state, made by its first judgement (or
	// MarkOpen), nil before.
	covers []bool
	states []*state
}

// New returns an engine for rules, which it checks. applies says whether
// a rule covers a device (its scope); nil means every rule covers every
// device.
func New(rules []Rule, applies func(r *Rule, device string) bool) (*Engine, error) {
	if applies == nil {
		applies = func(*Rule, string) bool { return true }
	}
	e := &Engine{byQ: map[telemetry.Quantity][]*Rule{}, applies: applies, streams: map[streamKey]*streamStates{}}
	seen := map[string]bool{}
	for i := range rules {
		r := rules[i]
		if err := r.check(); err != nil {
			return nil, err
		}
		if seen[r.name()] {
			return nil, fmt.Errorf("rules: %s: defined twice", r.name())
		}
		seen[r.name()] = true
		e.rules = append(e.rules, &r)
		e.byQ[r.Quantity] = append(e.byQ[r.Quantity], &r)
	}
	return e, nil
}

// Rules returns the engine's rules.
func (e *Engine) Rules() []*Rule { return e.rules }

// Rule returns the rule of plan with id, or nil.
func (e *Engine) Rule(plan, id string) *Rule {
	for _, r := range e.rules {
		if r.Plan == plan && r.ID == id {
			return r
		}
	}
	return nil
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.Streams = e.nstates
	return s
}

// MarkOpen tells the engine that the alert of rule on stream s is open
// (loaded from the store after a restart, or opened by a replay), so that
// it is cleared rather than raised again.
func (e *Engine) MarkOpen(plan, rule string, s Stream) {
	r := e.Rule(plan, rule)
	if r == nil {
		return
	}
	ss := e.stream(s, r.Quantity)
	for i, x := range ss.rules {
		if x == r {
			ss.state(e, i).open = true
		}
	}
}

// trusted reports whether a record may be judged at all: only readings
// with a trusted time and a finite value are. One reading stamped days
// ahead by a wrong clock would move its streams' windows there and make
// every true reading after it late.
func trusted(rec telemetry.Record) bool {
	return rec.Flags&(telemetry.ClockUnsynced|telemetry.FutureTime) == 0 &&
		!math.IsNaN(rec.Value) && !math.IsInf(rec.Value, 0)
}

// judges reports whether rule r judges a trusted record: every kind judges
// good readings only, except range, the sanity check, which exists for
// the readings a driver marked Bad or Suspect (a 4–20 mA loop at 3.5 mA is
// Bad, and is what the loop-broken rule must see).
func judges(r *Rule, rec telemetry.Record) bool {
	return rec.Quality == telemetry.Good || r.Kind == Range
}

// Observe judges one device's new records (in any order) and returns the
// transitions they cause, in event-time order per stream, and the spans
// of readings that came too late for the live state (see Replay).
func (e *Engine) Observe(device string, recs []telemetry.Record) ([]Transition, []Late) {
	sorted := recs
	byTime := func(a, b telemetry.Record) int { return a.Time.Compare(b.Time) }
	if !slices.IsSortedFunc(recs, byTime) {
		sorted = slices.Clone(recs)
		slices.SortStableFunc(sorted, byTime)
	}
	var out []Transition
	var late []Late
	var ss *streamStates
	for _, rec := range sorted {
		if len(e.byQ[rec.Quantity]) == 0 {
			continue
		}
		if !trusted(rec) {
			e.stats.Untrusted++
			continue
		}
		s := Stream{Device: device, Sensor: rec.Sensor}
		if ss == nil || ss.stream != s || ss.rules[0].Quantity != rec.Quantity {
			ss = e.stream(s, rec.Quantity)
		}
		for i, r := range ss.rules {
			if !ss.covers[i] || !r.inForce(rec.Time) || !judges(r, rec) {
				continue
			}
			tr, ok := ss.state(e, i).observe(r, rec.Time, rec.Value)
			if !ok {
				e.stats.Late++
				late = addLate(late, Late{Rule: r, Stream: s, From: rec.Time, To: rec.Time})
				continue
			}
			for _, t := range tr {
				t.Rule, t.Device, t.Sensor = r, device, rec.Sensor
				out = append(out, t)
			}
		}
	}
	return out, late
}

func addLate(ls []Late, l Late) []Late {
	for i := range ls {
		if ls[i].Rule == l.Rule && ls[i].Stream == l.Stream {
			if l.From.Before(ls[i].From) {
				ls[i].From = l.From
			}
			if l.To.After(ls[i].To) {
				ls[i].To = l.To
			}
			return ls
		}
	}
	return append(ls, l)
}

// Tick judges what time alone changes, at now on the collector's clock:
// silent streams, and periods whose end (plus the rule's grace) has
// passed without a reading of the next period.
func (e *Engine) Tick(now time.Time) []Transition {
	var out []Transition
	for _, tk := range e.tickers {
		ss, r := tk.ss, tk.ss.rules[tk.i]
		for _, t := range ss.states[tk.i].tick(r, now) {
			t.Rule, t.Device, t.Sensor = r, ss.stream.Device, ss.stream.Sensor
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b Transition) int { return a.Time.Compare(b.Time) })
	return out
}

// Replay judges the readings of one stream under one rule from a clean
// state, as though they had all arrived in time, and returns every
// transition marked Retrospective. recs should cover l.Span(); readings
// of other streams or quantities are ignored. Replay leaves the live
// state alone.
func (e *Engine) Replay(l Late, recs []telemetry.Record) []Transition {
	r := l.Rule
	recs = slices.Clone(recs)
	slices.SortStableFunc(recs, func(a, b telemetry.Record) int { return a.Time.Compare(b.Time) })
	st := newState(r)
	var out []Transition
	for _, rec := range recs {
		if rec.Sensor != l.Stream.Sensor || rec.Quantity != r.Quantity || !trusted(rec) || !judges(r, rec) || !r.inForce(rec.Time) {
			continue
		}
		trs, _ := st.observe(r, rec.Time, rec.Value)
		for _, t := range trs {
			t.Rule, t.Device, t.Sensor, t.Retrospective = r, l.Stream.Device, l.Stream.Sensor, true
			out = append(out, t)
		}
	}
	return out
}

// stream returns the states of stream s's quantity q, made (and its
// rules' scopes asked) on first use. q must have rules.
func (e *Engine) stream(s Stream, q telemetry.Quantity) *streamStates {
	k := streamKey{s, q}
	ss := e.streams[k]
	if ss == nil {
		rules := e.byQ[q]
		ss = &streamStates{stream: s, rules: rules, covers: make([]bool, len(rules)), states: make([]*state, len(rules))}
		for i, r := range rules {
			ss.covers[i] = e.applies(r, s.Device)
		}
		e.streams[k] = ss
	}
	return ss
}

// state returns the state of the stream under its i-th rule, made on
// first use.
func (ss *streamStates) state(e *Engine, i int) *state {
	st := ss.states[i]
	if st == nil {
		st = newState(ss.rules[i])
		ss.states[i] = st
		e.nstates++
		if k := ss.rules[i].Kind; k == Silence || k == Period {
			e.tickers = append(e.tickers, ticker{ss, i})
		}
	}
	return st
}
