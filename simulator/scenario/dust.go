package scenario

import (
	"math"
	"time"
)

// Dust is the PM2.5 a construction site's monitor sees: a background with
// a daily swing (dust settles at night and rises with the working day),
// and episodes (earthworks, demolition, a truck wash that failed) that
// ramp up, hold and decay. PM1 and PM10 follow PM2.5 with fixed ratios.
type Dust struct {
	Start      time.Time // the scenario's zero; episodes are offsets from it
	Background float64   // µg/m³ PM2.5 mean over the day
	DailySwing float64   // µg/m³ amplitude of the daily cycle (peak at 14:00 local)
	Episodes   []Episode
	// PM10Ratio is PM10/PM2.5; 0 means 1.6 (construction dust is coarse).
	PM10Ratio float64
	// PM1Ratio is PM1/PM2.5; 0 means 0.7.
	PM1Ratio float64
}

// Episode is one dust event on top of the background.
type Episode struct {
	At    time.Duration // offset from Start when it begins
	Ramp  time.Duration // linear rise to Peak
	Hold  time.Duration // time at Peak
	Decay time.Duration // e-folding time after Hold
	Peak  float64       // µg/m³ PM2.5 added at the top
}

// PM at t: PM1, PM2.5 and PM10 in µg/m³, never negative.
func (d Dust) PM(t time.Time) (pm1, pm25, pm10 float64) {
	local := t.In(time.FixedZone("CST", 8*3600))
	hour := float64(local.Hour()) + float64(local.Minute())/60
	pm25 = d.Background + d.DailySwing*math.Cos((hour-14)/24*2*math.Pi)
	since := t.Sub(d.Start)
	for _, e := range d.Episodes {
		pm25 += e.level(since)
	}
	pm25 = math.Max(pm25, 0)
	r10, r1 := d.PM10Ratio, d.PM1Ratio
	if r10 == 0 {
		r10 = 1.6
	}
	if r1 == 0 {
		r1 = 0.7
	}
	return pm25 * r1, pm25, pm25 * r10
}

func (e Episode) level(since time.Duration) float64 {
	x := since - e.At
	switch {
	case x < 0:
		return 0
	case x < e.Ramp:
		return e.Peak * float64(x) / float64(e.Ramp)
	case x < e.Ramp+e.Hold:
		return e.Peak
	case e.Decay <= 0:
		return 0
	default:
		return e.Peak * math.Exp(-float64(x-e.Ramp-e.Hold)/float64(e.Decay))
	}
}
