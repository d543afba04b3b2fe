package backoff

import (
	"context"
	"testing"
	"time"
)

func TestNextDoublesWithinJitterAndCaps(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	steps := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, s := range steps {
		step := s * time.Millisecond
		got := b.Next()
		if got < step/2 || got > step {
			t.Fatalf("attempt %d: wait %v outside [%v, %v]", i, got, step/2, step)
		}
	}
	b.Reset()
	if got := b.Next(); got > 100*time.Millisecond {
		t.Fatalf("after Reset: wait %v, want ≤ 100ms", got)
	}
}

func TestWaitHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := Backoff{Min: time.Hour, Max: time.Hour}
	if b.Wait(ctx) {
		t.Fatal("Wait on a cancelled context reported a full wait")
	}
}
