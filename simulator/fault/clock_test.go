package fault

import (
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/agent/clock"
)

// A wrong clock keeps its offset, and its epoch, until the agent asks
// Synced after Sync; then it steps to the host's time.
func TestClockStepsWhenAsked(t *testing.T) {
	c := NewClock(-3*time.Hour, 0)
	if c.Synced() || c.Skew() != -3*time.Hour {
		t.Fatalf("new clock: synced %v skew %v, want false and -3h", c.Synced(), c.Skew())
	}
	before := clock.Epoch(c)
	c.Sync()
	if c.Skew() != -3*time.Hour {
		t.Errorf("skew %v before the agent asks Synced, want still -3h", c.Skew())
	}
	if !c.Synced() || c.Skew() != 0 {
		t.Fatalf("after Sync: synced %v skew %v, want true and 0", c.Synced(), c.Skew())
	}
	// The epoch moves by the step; two readings of the host's clock
	// apart, so to within a millisecond.
	if step := clock.Epoch(c).Sub(before); (step - 3*time.Hour).Abs() > time.Millisecond {
		t.Errorf("epoch stepped by %v, want 3h", step)
	}
	if d := time.Until(c.Now()); d.Abs() > time.Second {
		t.Errorf("synced clock is %v off the host's", d)
	}
}

// A clock told to synchronise after a while does so on the first ask
// after it; each clock has its own boot id.
func TestClockSyncsAfter(t *testing.T) {
	c := NewClock(2*time.Hour, time.Millisecond)
	time.Sleep(2 * time.Millisecond)
	if !c.Synced() || c.Skew() != 0 {
		t.Errorf("synced %v skew %v after syncAfter, want true and 0", c.Synced(), c.Skew())
	}
	if d := NewClock(0, 0); d.BootID() == c.BootID() || len(d.BootID()) != 36 {
		t.Errorf("boot ids %q and %q: want two distinct uuid-shaped ids", c.BootID(), d.BootID())
	}
}
