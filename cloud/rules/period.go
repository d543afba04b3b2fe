package rules

import (
	"time"
)

// period accumulates the readings of the current calendar period.
type period struct {
	start, end time.Time
	n          int
	sum        float64
	min, max   float64
}

func (p *period) add(v float64) {
	if p.n == 0 || v < p.min {
		p.min = v
	}
	if p.n == 0 || v > p.max {
		p.max = v
	}
	p.n++
	p.sum += v
}

func (p *period) value(a Aggregate) float64 {
	switch a {
	case Max:
		return p.max
	case Min:
		return p.min
	}
	return p.sum / float64(p.n)
}

// periodOf returns the calendar period of length d (a divisor of a day,
// or Year) holding t, in China Standard Time.
func periodOf(t time.Time, d time.Duration) (start, end time.Time) {
	if d == Year {
		y := t.In(CST).Year()
		return time.Date(y, 1, 1, 0, 0, 0, 0, CST), time.Date(y+1, 1, 1, 0, 0, 0, 0, CST)
	}
	day := dayStart(t)
	start = day.Add(t.Sub(day) / d * d)
	return start, start.Add(d)
}

// dayStart is the start of t's day in China Standard Time.
func dayStart(t time.Time) time.Time {
	c := t.In(CST)
	return time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, CST)
}

// observePeriod adds (t, v) to its period. A reading of a later period
// first closes (judges) the current one; a reading of a period already
// closed is late. The calendar year is judged to date on every reading.
func (st *state) observePeriod(r *Rule, t time.Time, v float64) ([]Transition, bool) {
	p := st.per
	var out []Transition
	switch {
	case p.start.IsZero() || (p.n == 0 && !t.Before(p.end)):
		p.start, p.end = periodOf(t, r.Period)
	case t.Before(p.start):
		return nil, false
	case !t.Before(p.end):
		if r.Period != Year {
			out = st.closePeriod(r)
		}
		*p = period{}
		p.start, p.end = periodOf(t, r.Period)
	}
	p.add(v)
	st.advance(t, v)
	if r.Period == Year && p.n >= r.MinSamples {
		x := p.value(r.Aggregate)
		out = append(out, st.judge(r, st.last, x, p.n, r.breaks(x), r.clears(x))...)
	}
	return out, true
}

// closePeriod judges the current (complete) period at its end and starts
// waiting for the next. A period with fewer than MinSamples readings is
// not valid and not judged.
func (st *state) closePeriod(r *Rule) []Transition {
	p := st.per
	if p.n == 0 {
		return nil
	}
	start, end, n, x := p.start, p.end, p.n, p.value(r.Aggregate)
	*p = period{start: end, end: end.Add(r.Period)} // the next period; emptied
	if n < r.MinSamples {
		return nil
	}
	broken := r.breaks(x)
	if r.Allowed > 0 {
		if d := dayStart(start).Unix(); d != st.day {
			st.day, st.exceedances = d, 0
		}
		if broken {
			st.exceedances++
			broken = st.exceedances > r.Allowed
		}
	}
	trs := st.judge(r, end, x, n, broken, r.clears(x))
	for i := range trs {
		if trs[i].Change == Opened && st.since.Equal(end) {
			// A period's episode begins when the period began.
			trs[i].Since, st.since = start, start
		}
	}
	return trs
}
