package scenario

import (
	"math"
	"testing"
	"time"
)

// near fails the test unless got is want to within 1e-9: the rounding of
// float64 arithmetic, nothing more.
func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %.12g, want %.12g", what, got, want)
	}
}

func TestTideAndSurge(t *testing.T) {
	T := DefaultTidePeriod
	r := River{Mean: 3.1, Amplitude: 1.2, Surge: &Episode{At: 0, Ramp: T / 2, Decay: time.Hour, Peak: 1.6}}
	if T != 12*time.Hour+25*time.Minute+12*time.Second || T.Hours() != 12.42 {
		t.Fatalf("M2 period %v (%v h)", T, T.Hours())
	}
	near(t, "high water at t=0", r.Level(0), 4.3)
	near(t, "t=T/4: mean level, surge half-way up", r.Level(T/4), 3.1+0.8)
	near(t, "t=T/2: low water under the surge's peak", r.Level(T/2), 1.9+1.6)
	near(t, "t=T/2+1h: the surge one e-folding down", r.Level(T/2+time.Hour),
		3.1+1.2*math.Cos(2*math.Pi*(T/2+time.Hour).Hours()/12.42)+1.6/math.E)
	near(t, "before the surge", r.Level(-T/4), 3.1)

	// High water need not be at the start; Period 0 is the M2 tide's.
	r = River{Mean: 2, Amplitude: 1, HighWater: 3 * time.Hour}
	near(t, "at high water", r.Level(3*time.Hour), 3)
	near(t, "a period before it", r.Level(3*time.Hour-T), 3)
	near(t, "half a period after", r.Level(3*time.Hour+T/2), 1)
}

func TestRain(t *testing.T) {
	r := River{Rain: []RainPoint{{0, 0}, {time.Hour, 30}, {2 * time.Hour, 30}, {3 * time.Hour, 0}}}
	for _, c := range []struct {
		at         time.Duration
		rate, fall float64
	}{
		{-time.Minute, 0, 0},
		{0, 0, 0},
		{30 * time.Minute, 15, 3.75},
		{time.Hour, 30, 15},
		{90 * time.Minute, 30, 30},
		{2 * time.Hour, 30, 45},
		{150 * time.Minute, 15, 56.25},
		{3 * time.Hour, 0, 60},
		{5 * time.Hour, 0, 60},
	} {
		near(t, "rate at "+c.at.String(), r.RainRate(c.at), c.rate)
		near(t, "rainfall by "+c.at.String(), r.Rainfall(c.at), c.fall)
	}
}

func TestClock(t *testing.T) {
	w0 := time.Date(2026, 9, 15, 10, 0, 0, 0, time.UTC)
	s0 := time.Date(2026, 9, 15, 2, 0, 0, 0, time.UTC)
	c := Clock{Wall0: w0, Scen0: s0, K: 60}
	if got := c.Since(w0.Add(1500 * time.Millisecond)); got != 90*time.Second {
		t.Errorf("1.5 s into a ×60 scenario: %v, want 1m30s", got)
	}
	if got := c.At(w0.Add(time.Minute)); !got.Equal(s0.Add(time.Hour)) {
		t.Errorf("a wall minute in: %v, want %v", got, s0.Add(time.Hour))
	}
	if got := c.Wall(DefaultTidePeriod); !got.Equal(w0.Add(12*time.Minute + 25*time.Second + 200*time.Millisecond)) {
		t.Errorf("a tide passes at %v, want after 12m25.2s", got.Sub(w0))
	}
	if got := c.Since(w0.Add(-time.Second)); got != -time.Minute {
		t.Errorf("before the start: %v", got)
	}
	real := Clock{Wall0: w0, Scen0: w0}
	if got := real.At(w0.Add(7 * time.Second)); !got.Equal(w0.Add(7 * time.Second)) {
		t.Errorf("K 0 means real time: %v", got)
	}
}
