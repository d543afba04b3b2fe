package tipbucket

import (
	"context"
	"sync"
	"testing"
	"time"

	_ "github.com/xiuhua/xiuhua/drivers/raingauge" // registers "raingauge"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip/gpiopin"
	"github.com/xiuhua/xiuhua/telemetry"
)

// sky is rain that a test lets fall, and jams.
type sky struct {
	mu     sync.Mutex
	mm     float64
	jammed bool
}

func (s *sky) set(mm float64, jammed bool) { s.mu.Lock(); s.mm, s.jammed = mm, jammed; s.mu.Unlock() }
func (s *sky) rain(time.Time) float64      { s.mu.Lock(); defer s.mu.Unlock(); return s.mm }
func (s *sky) jam(time.Time) bool          { s.mu.Lock(); defer s.mu.Unlock(); return s.jammed }

// TestRealDriver runs drivers/raingauge against the gauge: every tip the
// rain earns is counted once, owed tips come out at the gauge's pace and
// are not merged, and rain that falls on a jammed bucket is lost.
func TestRealDriver(t *testing.T) {
	b := board.New()
	reed := gpiopin.New("GPIO17", 17)
	b.AddPin(reed)
	f, err := sensor.Lookup("raingauge")
	if err != nil {
		t.Fatal(err)
	}
	s, err := f(context.Background(), sensor.Spec{Name: "rain", Driver: "raingauge",
		Pins: map[string]string{"input": "GPIO17"}, Params: map[string]string{"debounce": "20ms"}}, b)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	w := &sky{}
	g := New(reed, w.rain, &Opts{Closure: 40 * time.Millisecond, MinGap: 120 * time.Millisecond, Jammed: w.jam})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	rainfall := func(tips uint64) float64 {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			st, ps := g.Stats(), reed.Stats()
			// Every tip made, the reed open again, and the driver back to
			// waiting between bursts with no edge queued.
			if st.Tips == tips && st.Owed == 0 && !st.Closed && ps.Queued == 0 && ps.Waiting > 100*time.Millisecond {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("gauge %+v, pin %+v: want %d tips, settled", st, ps, tips)
			}
			time.Sleep(5 * time.Millisecond)
		}
		rs, err := s.Sense(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].Quantity != telemetry.Rainfall {
			t.Fatalf("readings %+v", rs)
		}
		return rs[0].Value
	}

	w.set(1.0, false) // 5 tips owed at once: tipped out one by one
	if got := rainfall(5); got != 1.0 {
		t.Errorf("after 1.0 mm: %v mm", got)
	}
	w.set(1.5, false) // 2 more tips; 0.1 mm waits in the bucket
	if got := rainfall(7); got != 0.4 {
		t.Errorf("after 1.5 mm: %v mm, want 0.4", got)
	}
	w.set(1.5, true)
	w.set(2.5, true) // falls on a jammed bucket
	for deadline := time.Now().Add(20 * time.Second); g.Stats().LostMM < 0.999; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the gauge never saw the jam: %+v", g.Stats())
		}
	}
	w.set(2.5, false)
	w.set(2.7, false) // 0.1 in the bucket + 0.2 = one tip
	if got := rainfall(8); got != 0.2 {
		t.Errorf("after the jam: %v mm, want 0.2", got)
	}
	if st := g.Stats(); st.LostMM < 0.999 || st.LostMM > 1.001 {
		t.Errorf("lost %v mm while jammed, want 1.0", st.LostMM)
	}
}
