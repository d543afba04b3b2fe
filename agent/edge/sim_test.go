package edge_test

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/agent/edge"
	"github.com/xiuhua/xiuhua/telemetry"
)

// The physics of the simulated world. They are the standard values the
// detector assumes, so that a noiseless trace gives exact results.
const (
	g       = 9.80665  // m/s²
	rAir    = 287.05   // J/(kg·K)
	tempK   = 293.15   // K
	p0      = 101325.0 // Pa at the ground landing
	accelDT = 20 * time.Millisecond
	baroDT  = 100 * time.Millisecond
)

var t0 = time.Date(2026, 7, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))

// sec turns seconds into a duration, rounded to the nanosecond.
func sec(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

// move is one trip on a trapezoidal speed profile: constant acceleration
// to vmax (or less, on a short trip), cruise, constant deceleration.
type move struct {
	at       time.Duration // when the car starts
	from, to float64       // m above the ground landing
	vmax     float64       // m/s; 0 means 1
	acc      float64       // m/s²; 0 means 0.8
}

// state returns the height and speed τ seconds after the move began.
func (m move) state(tau float64) (z, v float64) {
	vmax, acc := cmp.Or(m.vmax, 1.0), cmp.Or(m.acc, 0.8)
	dist, dir := math.Abs(m.to-m.from), math.Copysign(1, m.to-m.from)
	ta := vmax / acc
	if vmax*ta > dist { // never reaches vmax
		vmax = math.Sqrt(dist * acc)
		ta = vmax / acc
	}
	tc := (dist - vmax*ta) / vmax
	total := 2*ta + tc
	var s float64
	switch {
	case tau <= 0:
		return m.from, 0
	case tau < ta:
		s, v = acc*tau*tau/2, acc*tau
	case tau < ta+tc:
		s, v = vmax*ta/2+vmax*(tau-ta), vmax
	case tau < total:
		r := total - tau
		s, v = dist-acc*r*r/2, acc*r
	default:
		return m.to, 0
	}
	return m.from + dir*s, dir * v
}

// burst adds a square wave of ±amp to n consecutive accelerometer samples.
type burst struct {
	at  time.Duration
	n   int
	amp float64
}

// change is a state sensor's reading.
type change struct {
	at time.Duration
	q  telemetry.Quantity
	v  float64
}

// world describes a trace: a car at rest at h0, its moves in time order,
// the weather and the sensors' flaws.
type world struct {
	dur     time.Duration
	h0      float64
	moves   []move
	drift   float64 // Pa/s of weather
	noiseA  float64 // m/s², σ of accelerometer noise
	noiseP  float64 // Pa, σ of barometer noise
	biasA   float64 // m/s², accelerometer offset
	invertA bool    // accelerometer mounted upside down
	bursts  []burst
	changes []change
	seed    uint64
	// The accelerometer's offset grows by biasStep from biasStepAt on.
	biasStepAt time.Duration
	biasStep   float64
	// drop, when set, removes readings from the trace (a silent sensor).
	drop func(r telemetry.Reading) bool
}

// at returns the car's true height and speed at d.
func (w *world) at(d time.Duration) (z, v float64) {
	z = w.h0
	for _, m := range w.moves {
		if d < m.at {
			break
		}
		z, v = m.state((d - m.at).Seconds())
	}
	return z, v
}

// readings returns the trace's readings in time order: the accelerometer
// at 50 Hz reporting the mean acceleration over its sampling interval (as an
// anti-aliased chip does), the barometer at 10 Hz, states as they change.
func (w *world) readings() []telemetry.Reading {
	rng := rand.New(rand.NewPCG(w.seed, 1))
	var rs []telemetry.Reading
	add := func(sensor string, q telemetry.Quantity, d time.Duration, v float64) {
		rs = append(rs, telemetry.Reading{Sensor: sensor, Quantity: q, Value: v, Time: t0.Add(d)})
	}
	sign := 1.0
	if w.invertA {
		sign = -1
	}
	for d := time.Duration(0); d <= w.dur; d += accelDT {
		a := 0.0
		if d > 0 {
			_, v0 := w.at(d - accelDT)
			_, v1 := w.at(d)
			a = (v1 - v0) / accelDT.Seconds()
		}
		for _, b := range w.bursts {
			if k := int((d - b.at) / accelDT); d >= b.at && k < b.n {
				a += b.amp * float64(1-2*(k%2))
			}
		}
		off := w.biasA
		if w.biasStep != 0 && d >= w.biasStepAt {
			off += w.biasStep
		}
		add("accel", telemetry.AccelZ, d, sign*(g+a)+off+w.noiseA*rng.NormFloat64())
	}
	for d := time.Duration(0); d <= w.dur; d += baroDT {
		z, _ := w.at(d)
		p := p0*math.Exp(-g*z/(rAir*tempK)) + w.drift*d.Seconds() + w.noiseP*rng.NormFloat64()
		add("baro", telemetry.Pressure, d, p)
	}
	for _, c := range w.changes {
		add(string(c.q), c.q, c.at, c.v)
	}
	if w.drop != nil {
		rs = slices.DeleteFunc(rs, w.drop)
	}
	slices.SortStableFunc(rs, func(a, b telemetry.Reading) int { return a.Time.Compare(b.Time) })
	return rs
}

// firstSample returns the first accelerometer sample at or after from at
// which the true speed satisfies cond. It fails the test when a sample's
// speed lies so close to threshold that rounding could decide the answer.
func (w *world) firstSample(t *testing.T, from time.Duration, threshold float64, cond func(v float64) bool) time.Duration {
	t.Helper()
	for d := from.Truncate(accelDT); d <= w.dur; d += accelDT {
		_, v := w.at(d)
		if math.Abs(math.Abs(v)-threshold) < 1e-4 {
			t.Fatalf("speed %v at %v is too close to the threshold %v: choose another trace", v, d, threshold)
		}
		if d >= from && cond(math.Abs(v)) {
			return d
		}
	}
	t.Fatalf("no sample after %v satisfies the condition", from)
	return 0
}

// event is one event reading, its time as an offset from t0.
type event struct {
	q  telemetry.Quantity
	v  float64
	at time.Duration
}

// result is what a trace gave.
type result struct {
	events []event             // event readings in order
	out    []telemetry.Reading // every output
	trips  int                 // trips that began (State.Moving turned true)
}

// feed runs a trace through d, checking what every output must satisfy:
// the detector's name, time order, begin and end in turn.
func feed(t *testing.T, d *edge.Detector, rs []telemetry.Reading) result {
	t.Helper()
	var (
		res    result
		last   time.Time
		moving bool
		open   = map[telemetry.Quantity]bool{}
	)
	for _, r := range rs {
		for _, o := range d.Observe(r) {
			if o.Sensor != "edge" {
				t.Fatalf("output %+v: sensor %q, want edge", o, o.Sensor)
			}
			if o.Time.Before(last) {
				t.Fatalf("output %+v goes back in time from %v", o, last)
			}
			last = o.Time
			res.out = append(res.out, o)
			if !o.Quantity.IsEvent() {
				continue
			}
			if on := o.Value == 1; on == open[o.Quantity] || (o.Value != 0 && o.Value != 1) {
				t.Fatalf("event %+v repeats its state", o)
			}
			open[o.Quantity] = o.Value == 1
			res.events = append(res.events, event{o.Quantity, o.Value, o.Time.Sub(t0)})
		}
		if m := d.State().Moving; m != moving {
			moving = m
			if m {
				res.trips++
			}
		}
	}
	return res
}

// lastFloor returns the value of the latest Floor reading, or NaN.
func (r result) lastFloor() float64 {
	f := math.NaN()
	for _, o := range r.out {
		if o.Quantity == telemetry.Floor {
			f = o.Value
		}
	}
	return f
}
