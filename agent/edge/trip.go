package edge

import (
	"math"
	"time"
)

const (
	gravity = 9.80665 // m/s², standard gravity
	rAir    = 287.05  // J/(kg·K), specific gas constant of dry air
)

// motion is the car's vertical state: the accelerometer's static reading,
// the barometric rate tracker, the fused height and speed, and the trip
// state machine.
type motion struct {
	sign     float64   // +1, or −1 when the accelerometer is mounted upside down
	bias     float64   // m/s², the accelerometer's reading at rest (gravity and offset)
	biasN    int       // rest samples averaged so far, for a warm start
	lastA    time.Time // time of the latest accelerometer sample
	lastKick time.Time // latest sample whose acceleration reached StartAccel

	lastP time.Time // time of the latest barometer sample
	pOK   bool      // the tracker holds a level
	pL    float64   // Pa, tracked pressure
	pR    float64   // Pa/s, tracked pressure rate
	restP float64   // Pa, pressure at the car's held height while it rests; 0 before the first sample
	tempK float64   // K, air temperature for the pressure-to-height scale

	trip      bool      // integrating: a start was detected and no stop yet
	moving    bool      // the trip's speed stayed above MovingSpeed for MovingAfter: not a jolt
	fastSince time.Time // when the speed last rose above MovingSpeed; zero while below
	tripStart time.Time // when the trip in progress began
	h, v      float64   // m above the ground landing, m/s positive up
	refP      float64   // Pa read at height refH during this trip; 0 when none yet
	refH      float64

	quiet      bool      // speed below StopSpeed and height within StopBand since quietSince
	quietSince time.Time // when the car became steady
	quietH     float64   // height when it became steady
}

// scale is the barometric scale height R·T/g, m: height = scale·ln(P₀/P).
// At 293 K near sea level it gives 11.8 Pa per metre.
func (m *motion) scale() float64 { return rAir * m.tempK / gravity }

// step returns the seconds from last to t, or 0 when t is the first sample
// or follows a gap longer than maxGap.
func step(last, t time.Time, maxGap time.Duration) float64 {
	if last.IsZero() {
		return 0
	}
	if dt := t.Sub(last); dt > 0 && dt <= maxGap {
		return dt.Seconds()
	}
	return 0
}

// gains returns the complementary gains of a critically damped second-order
// loop with time constant tau over a step dt: α for the level and β/dt for
// the rate. They are clamped to the discrete loop's stable region, so a slow
// sensor degrades the filter instead of making it ring.
func gains(dt float64, tau time.Duration) (alpha, beta float64) {
	x := dt / tau.Seconds()
	return math.Min(2*x, 1), math.Min(x*x, 1) / dt
}

// accel takes one accelerometer sample z, m/s², gravity included.
func (d *Detector) accel(z float64, t time.Time) {
	m := &d.m
	dt := step(m.lastA, t, d.o.MaxGap)
	if dt == 0 && !m.lastA.IsZero() {
		d.vib.reset()
	}
	m.lastA = t
	d.vib.add(t, z)
	if m.biasN == 0 {
		m.bias, m.biasN = z, 1
	}
	a := m.sign * (z - m.bias)
	if math.Abs(a) >= d.o.StartAccel {
		m.lastKick = t
	}
	if !m.trip {
		if dt > 0 && math.Abs(a) > d.o.StartAccel {
			d.startTrip(t, a*dt)
			m.h += m.v / 2 * dt
			d.settle(t)
			return
		}
		// The car rests: whatever the accelerometer reads is gravity plus
		// its offset. A running mean until BiasTau's worth of samples, then
		// an exponential one that follows temperature.
		if m.biasN < math.MaxInt32 {
			m.biasN++
		}
		m.bias += math.Max(1/float64(m.biasN), dt/d.o.BiasTau.Seconds()) * (z - m.bias)
		return
	}
	if dt > 0 {
		// Trapezoids: exact for an acceleration constant over the step,
		// which is what an averaging (anti-aliased) sample reports.
		v0 := m.v
		m.v += a * dt
		m.h += (v0 + m.v) / 2 * dt
	}
	d.settle(t)
}

// pressure takes one barometer sample p, Pa.
func (d *Detector) pressure(p float64, t time.Time) {
	m := &d.m
	if p <= 0 {
		return
	}
	dt := step(m.lastP, t, d.o.MaxGap)
	m.lastP = t
	if !m.pOK || dt == 0 {
		// First sample, or after a gap: restart the tracker here and, in a
		// trip, take a new reference at the fused height.
		m.pOK, m.pL, m.pR = true, p, 0
		if m.trip {
			m.refP, m.refH = p, m.h
		} else {
			m.restP = p
		}
		return
	}
	m.pL += m.pR * dt
	e := p - m.pL
	alpha, beta := gains(dt, d.o.BaroTau)
	m.pL += alpha * e
	m.pR += beta * e
	rate := -m.pR / m.pL * m.scale() // m/s, d/dt of scale·ln(P₀/P)

	if !m.trip {
		if math.Abs(rate) > d.o.StartRate {
			// With a live accelerometer the filter takes the speed from
			// here, so a burst of barometric noise stays a jolt; without
			// one the tracker's rate is all there is.
			v0 := rate
			if d.accelLive(t) {
				v0 = 0
			}
			d.startTrip(t, v0)
			d.settle(t)
			return
		}
		// While the car rests its height is held, so a change of pressure
		// is weather: follow it, but not the first climb of a gentle start.
		if math.Abs(rate) < d.o.MovingSpeed {
			m.restP = m.pL
		}
		return
	}
	if m.refP == 0 {
		m.refP, m.refH = p, m.h
		return
	}
	if !d.accelLive(t) {
		m.h = m.refH + m.scale()*math.Log(m.refP/m.pL)
		m.v = rate
		d.settle(t)
		return
	}
	// Complementary filter: the accelerometer predicts, the barometer
	// corrects. The prediction is carried to the barometer's instant, which
	// may be a little before or after the latest accelerometer sample.
	hb := m.refH + m.scale()*math.Log(m.refP/p)
	e = hb - (m.h + m.v*t.Sub(m.lastA).Seconds())
	alpha, beta = gains(dt, d.o.FusionTau)
	m.h += alpha * e
	m.v += beta * e
	d.settle(t)
}

// accelLive reports whether the accelerometer has spoken within MaxGap.
func (d *Detector) accelLive(t time.Time) bool {
	return !d.m.lastA.IsZero() && t.Sub(d.m.lastA) <= d.o.MaxGap
}

// startTrip begins integrating from rest with speed v0.
func (d *Detector) startTrip(t time.Time, v0 float64) {
	m := &d.m
	m.trip, m.moving, m.quiet = true, false, false
	m.fastSince = time.Time{}
	m.tripStart = t
	m.v = v0
	m.refP, m.refH = m.restP, m.h
}

// settle confirms a trip once it is fast enough and ends it once speed and
// height have been steady for StopAfter.
func (d *Detector) settle(t time.Time) {
	m := &d.m
	if !m.moving {
		switch {
		case math.Abs(m.v) <= d.o.MovingSpeed:
			m.fastSince = time.Time{}
		case m.fastSince.IsZero():
			m.fastSince = t
		}
		if !m.fastSince.IsZero() && t.Sub(m.fastSince) >= d.o.MovingAfter {
			m.moving = true
			d.nextReport = time.Time{}
		}
	}
	switch {
	case math.Abs(m.v) >= d.o.StopSpeed:
		m.quiet = false
	case !m.quiet || math.Abs(m.h-m.quietH) > d.o.StopBand:
		m.quiet, m.quietSince, m.quietH = true, t, m.h
	}
	switch {
	case m.quiet && t.Sub(m.quietSince) >= d.o.StopAfter:
		d.stopTrip(m.quietSince)
	case t.Sub(m.tripStart) > d.o.MaxTrip && d.accelLive(t) && t.Sub(m.lastKick) >= d.o.StopAfter:
		d.stopTrip(t)
	}
}

// stopTrip ends the trip: the car came to rest at the instant at. The
// speed estimates are zeroed (ZUPT) and the height is held from now on.
func (d *Detector) stopTrip(at time.Time) {
	m := &d.m
	m.trip, m.quiet, m.v = false, false, 0
	if m.moving {
		m.moving = false
		d.stopSince = at
		d.nextReport = time.Time{}
	} else {
		// A jolt: the car never moved, whatever the filter wandered to.
		m.h = m.refH
	}
	if m.refP > 0 {
		// The pressure that belongs to the held height under this trip's
		// reference. The tracker restarts there at rest: its rate lags a
		// deceleration by seconds and would otherwise start a false trip.
		m.restP = m.refP * math.Exp(-(m.h-m.refH)/m.scale())
		m.pL, m.pR = m.restP, 0
	}
	d.rezero()
}
