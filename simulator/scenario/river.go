package scenario

import (
	"math"
	"time"
)

// DefaultTidePeriod is the period of the principal lunar semi-diurnal
// tide (M2), 12.42 h: the Huangpu's tide at Wusong is dominated by it.
const DefaultTidePeriod = 12*time.Hour + 25*time.Minute + 12*time.Second

// River is the water at a tidal river gauge: a semi-diurnal tide about a
// mean level, a storm surge on top of it when a typhoon comes, and the
// rain that falls on the station's gauge. Levels are in metres in the
// station's datum; times are offsets from the scenario's start.
type River struct {
	Mean      float64       // m: the mean water level
	Amplitude float64       // m: half the tidal range
	Period    time.Duration // the tide's period; 0 means DefaultTidePeriod
	HighWater time.Duration // the first high water, from the start (may be negative)
	// Surge is the typhoon's storm surge added to the tide: a linear rise
	// (Ramp) to Peak metres, a hold, and an exponential decay.
	Surge *Episode
	// Rain is the rain's intensity, mm/h, between its points linear, and
	// 0 before the first point and after the last.
	Rain []RainPoint
}

// RainPoint is the rain's intensity at an instant.
type RainPoint struct {
	At        time.Duration // from the start
	MMPerHour float64
}

// Level returns the water level at since: the tide plus the surge.
func (r *River) Level(since time.Duration) float64 {
	period := r.Period
	if period <= 0 {
		period = DefaultTidePeriod
	}
	phase := 2 * math.Pi * float64(since-r.HighWater) / float64(period)
	level := r.Mean + r.Amplitude*math.Cos(phase)
	if r.Surge != nil {
		level += r.Surge.level(since)
	}
	return level
}

// RainRate returns the rain's intensity at since, mm/h.
func (r *River) RainRate(since time.Duration) float64 {
	p := r.Rain
	for i := 1; i < len(p); i++ {
		if since >= p[i-1].At && since < p[i].At {
			f := float64(since-p[i-1].At) / float64(p[i].At-p[i-1].At)
			return p[i-1].MMPerHour + f*(p[i].MMPerHour-p[i-1].MMPerHour)
		}
	}
	return 0
}

// Rainfall returns the rain that has fallen from the start to since, mm:
// the integral of RainRate, exact for the piecewise-linear profile.
func (r *River) Rainfall(since time.Duration) float64 {
	total := 0.0
	p := r.Rain
	for i := 1; i < len(p) && since > p[i-1].At; i++ {
		a, b := p[i-1], p[i]
		end := min(since, b.At)
		atEnd := a.MMPerHour + float64(end-a.At)/float64(b.At-a.At)*(b.MMPerHour-a.MMPerHour)
		total += (end - a.At).Hours() * (a.MMPerHour + atEnd) / 2
	}
	return total
}
