package scenario

import (
	"testing"
	"time"
)

func TestDustEpisodeShape(t *testing.T) {
	start := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC) // 14:00 in Shanghai: the daily peak
	d := Dust{Start: start, Background: 40, DailySwing: 10,
		Episodes: []Episode{{At: 10 * time.Second, Ramp: 10 * time.Second, Hold: time.Minute, Decay: time.Minute, Peak: 100}}}
	cases := []struct {
		at   time.Duration
		want float64
	}{
		{0, 50},                 // background + full swing at 14:00
		{15 * time.Second, 100}, // half-way up the ramp
		{30 * time.Second, 150}, // holding
	}
	for _, c := range cases {
		_, pm25, pm10 := d.PM(start.Add(c.at))
		if diff := pm25 - c.want; diff > 0.01 || diff < -0.01 {
			t.Errorf("PM2.5 at +%v = %.3f, want %.3f", c.at, pm25, c.want)
		}
		if pm10 != pm25*1.6 {
			t.Errorf("PM10 at +%v = %.3f, want 1.6 × PM2.5", c.at, pm10)
		}
	}
	_, decayed, _ := d.PM(start.Add(80*time.Second + 10*time.Minute))
	if decayed > 51 {
		t.Errorf("after 10 e-folding times PM2.5 = %.2f, want ≈ background", decayed)
	}
}
