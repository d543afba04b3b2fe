package rules

import (
	"math"
	"time"
)

// state is one rule's judgement of one stream. Its memory is bounded: a
// sliding window keeps Buckets buckets, a period one running aggregate.
type state struct {
	open bool
	// pending: the rule has been broken since pendSince but not for For
	// yet. clearing: an open rule has been clear since clearSince.
	pending, clearing     bool
	pendSince, clearSince time.Time
	// since is when the open episode's condition began.
	since time.Time

	seen  bool      // a reading has been judged
	last  time.Time // the newest reading judged: the live watermark
	lastV float64

	win *ring   // Window, Rate
	per *period // Period

	// Stuck: the value the stream has held since ref.
	refV float64
	refT time.Time

	// Period with Allowed: exceeding periods counted on day.
	day         int64
	exceedances int
}

func newState(r *Rule) *state {
	st := &state{}
	switch r.Kind {
	case Window, Rate:
		st.win = newRing(r.Window, r.Aggregate, r.Kind == Rate)
	case Period:
		st.per = &period{}
	}
	return st
}

// observe judges the reading (t, v). ok is false when the reading is too
// late for the state (before its watermark or window) and was not judged.
func (st *state) observe(r *Rule, t time.Time, v float64) (out []Transition, ok bool) {
	switch r.Kind {
	case Window:
		if !st.win.add(t, v) {
			return nil, false
		}
		st.advance(t, v)
		if st.win.n < r.MinSamples {
			return nil, true
		}
		at := st.last // the window is judged at its newest reading
		x := st.win.value(r.Aggregate)
		return st.judge(r, at, x, st.win.n, r.breaks(x), r.clears(x)), true
	case Rate:
		if !st.win.add(t, v) {
			return nil, false
		}
		st.advance(t, v)
		t0, v0, _ := st.win.oldest()
		span := st.last.Sub(t0)
		// A rate over less than half the window is too noisy to judge.
		if st.win.n < max(r.MinSamples, 2) || span < r.Window/2 {
			return nil, true
		}
		x := (st.lastV - v0) / span.Seconds() * r.Per.Seconds()
		return st.judge(r, st.last, x, st.win.n, r.breaks(x), r.clears(x)), true
	case Period:
		return st.observePeriod(r, t, v)
	}
	if st.seen && t.Before(st.last) {
		return nil, false
	}
	st.advance(t, v)
	switch r.Kind {
	case Threshold:
		return st.judge(r, t, v, 1, r.breaks(v), r.clears(v)), true
	case Event:
		return st.judge(r, t, v, 1, v >= 0.5, v < 0.5), true
	case Range:
		bad := v < r.Min || v > r.Max
		return st.judge(r, t, v, 1, bad, !bad), true
	case Stuck:
		if st.refT.IsZero() || math.Abs(v-st.refV) > r.Tolerance {
			st.refV, st.refT = v, t
		}
		stuck := t.Sub(st.refT) >= r.For
		if stuck && !st.open && !st.pending {
			// The episode began when the value settled, not For later.
			st.pending, st.pendSince = true, st.refT
		}
		return st.judge(r, t, v, 1, stuck, !stuck), true
	case Silence:
		if st.open {
			return st.judge(r, t, v, 1, false, true), true
		}
		return nil, true
	}
	return nil, true
}

// advance moves the watermark to t.
func (st *state) advance(t time.Time, v float64) {
	if !st.seen || !t.Before(st.last) {
		st.last, st.lastV = t, v
	}
	st.seen = true
}

// judge applies the rule's durations and hysteresis to one judgement at
// event time t: broken opens the rule once it has lasted For; clear
// resolves an open one once it has lasted ClearFor. A value in the band
// between (neither broken nor clear) restarts both durations.
func (st *state) judge(r *Rule, t time.Time, v float64, n int, broken, clear bool) []Transition {
	if !st.open {
		st.clearing = false
		if !broken {
			st.pending = false
			return nil
		}
		if !st.pending {
			st.pending, st.pendSince = true, t
		}
		if t.Sub(st.pendSince) < r.For {
			return nil
		}
		st.open, st.pending, st.since = true, false, st.pendSince
		return []Transition{{Change: Opened, Time: t, Since: st.since, Value: v, Samples: n, Exceedances: st.exceedances}}
	}
	st.pending = false
	if !clear {
		st.clearing = false
		return nil
	}
	if !st.clearing {
		st.clearing, st.clearSince = true, t
	}
	if t.Sub(st.clearSince) < r.ClearFor {
		return nil
	}
	st.open, st.clearing = false, false
	return []Transition{{Change: Cleared, Time: t, Since: st.since, Value: v, Samples: n, Exceedances: st.exceedances}}
}

// tick judges what time alone changes at now (collector clock).
func (st *state) tick(r *Rule, now time.Time) []Transition {
	switch r.Kind {
	case Silence:
		if st.seen && !st.open && now.Sub(st.last) >= r.After {
			st.open, st.since = true, st.last
			return []Transition{{Change: Opened, Time: st.last.Add(r.After), Since: st.last, Value: now.Sub(st.last).Seconds(), Samples: 0}}
		}
	case Period:
		if st.per.n > 0 && r.Period != Year && !now.Before(st.per.end.Add(r.Grace)) {
			return st.closePeriod(r)
		}
	}
	return nil
}
