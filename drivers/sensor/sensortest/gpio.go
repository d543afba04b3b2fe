package sensortest

import (
	"context"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Burst sends levels to p as back-to-back edges (a bouncing contact),
// then waits until w, a drivers/gpioin Input or Watcher on p, has seen the
// line go quiet.
func Burst(t testing.TB, w interface{ Bursts() uint64 }, p *gpiotest.Pin, ls ...gpio.Level) {
	t.Helper()
	n := w.Bursts()
	for _, l := range ls {
		p.EdgesChan <- l
	}
	deadline := time.Now().Add(10 * time.Second)
	for w.Bursts() == n {
		if time.Now().After(deadline) {
			t.Fatalf("burst %v did not settle", ls)
		}
		time.Sleep(time.Millisecond)
	}
}

// SenseValues takes one sample of a level sensor, failing the test on
// error, checks that every reading is of q from sensorName at quality,
// unflagged and in time order, and returns their values.
func SenseValues(t testing.TB, s sensor.Sensor, q telemetry.Quantity, sensorName string, quality telemetry.Quality) []float64 {
	t.Helper()
	rs, err := s.Sense(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var v []float64
	for i, r := range rs {
		if r.Quantity != q || r.Sensor != sensorName || r.Quality != quality || r.Flags != 0 {
			t.Errorf("reading %+v, want %s of %s, quality %v", r, q, sensorName, quality)
		}
		if i > 0 && r.Time.Before(rs[i-1].Time) {
			t.Errorf("readings out of time order: %+v", rs)
		}
		v = append(v, r.Value)
	}
	return v
}
