package gpiopin

import (
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
)

var hi, lo = gpio.High, gpio.Low

func TestLevels(t *testing.T) {
	p := New("GPIO17", 17)
	if p.Read() != lo || p.String() != "GPIO17(17)" || p.Name() != "GPIO17" || p.Number() != 17 || p.Function() != "IN" {
		t.Fatalf("new pin: %v %s %s %d %s", p.Read(), p, p.Name(), p.Number(), p.Function())
	}
	steps := []struct {
		do   func()
		want gpio.Level
	}{
		{func() { p.In(gpio.PullUp, gpio.NoEdge) }, hi}, // released: the pull-up wins
		{func() { p.Set(lo) }, lo},                      // driven low
		{func() { p.In(gpio.PullDown, gpio.NoEdge) }, lo},
		{func() { p.Set(hi) }, hi},
		{func() { p.Release() }, lo},                                           // the pull-down wins
		{func() { p.In(gpio.Float, gpio.NoEdge); p.Set(hi); p.Release() }, hi}, // floating keeps its level
	}
	for i, s := range steps {
		s.do()
		if got := p.Read(); got != s.want {
			t.Errorf("step %d: Read = %v, want %v", i, got, s.want)
		}
	}
	if p.Pull() != gpio.Float || p.DefaultPull() != gpio.PullDown {
		t.Errorf("Pull %v, DefaultPull %v", p.Pull(), p.DefaultPull())
	}
}

func TestEdges(t *testing.T) {
	tests := []struct {
		edge gpio.Edge
		want int // of the four changes low→high→low→high→low
	}{
		{gpio.NoEdge, 0}, {gpio.RisingEdge, 2}, {gpio.FallingEdge, 2}, {gpio.BothEdges, 4},
	}
	for _, tt := range tests {
		p := New("GPIO4", 4)
		p.In(gpio.PullNoChange, tt.edge)
		for _, l := range []gpio.Level{hi, lo, hi, lo, lo} { // the last is no change
			p.Set(l)
		}
		n := 0
		for p.WaitForEdge(0) {
			n++
		}
		if n != tt.want || p.Stats().Edges != uint64(tt.want) {
			t.Errorf("%v: %d edges (stats %+v), want %d", tt.edge, n, p.Stats(), tt.want)
		}
	}
}

func TestQueueOverflowAndFlush(t *testing.T) {
	p := New("GPIO4", 4)
	p.In(gpio.PullNoChange, gpio.BothEdges)
	for i := range QueueSize + 10 {
		p.Set(i%2 == 0)
	}
	if s := p.Stats(); s.Edges != QueueSize || s.Dropped != 10 {
		t.Errorf("Stats = %+v", s)
	}
	p.In(gpio.PullNoChange, gpio.BothEdges)
	if p.WaitForEdge(0) {
		t.Error("In did not flush queued edges")
	}
}

func TestWaitForEdge(t *testing.T) {
	p := New("GPIO4", 4)
	p.In(gpio.PullDown, gpio.RisingEdge)
	start := time.Now()
	if p.WaitForEdge(30 * time.Millisecond) {
		t.Fatal("edge from nowhere")
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("timed out after %v", d)
	}
	go func() { time.Sleep(20 * time.Millisecond); p.Set(hi) }()
	if !p.WaitForEdge(5 * time.Second) {
		t.Fatal("missed an edge while waiting")
	}
	// Halt ends a wait without a timeout, and turns edges off.
	done := make(chan bool)
	go func() { done <- p.WaitForEdge(-1) }()
	time.Sleep(20 * time.Millisecond)
	p.Halt()
	select {
	case got := <-done:
		if got {
			t.Error("WaitForEdge = true after Halt")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Halt did not end WaitForEdge(-1)")
	}
	p.Set(lo)
	p.Set(hi)
	if p.WaitForEdge(0) {
		t.Error("edge after Halt turned detection off")
	}
	// In ends a wait too.
	p.In(gpio.PullNoChange, gpio.BothEdges)
	go func() { done <- p.WaitForEdge(-1) }()
	time.Sleep(20 * time.Millisecond)
	p.In(gpio.PullNoChange, gpio.BothEdges)
	if <-done {
		t.Error("WaitForEdge = true after In")
	}
}

func TestBounce(t *testing.T) {
	p := New("GPIO4", 4)
	p.In(gpio.PullUp, gpio.BothEdges)
	p.Bounce(lo, 5, time.Millisecond)
	if p.Read() != lo {
		t.Errorf("settled at %v", p.Read())
	}
	if s := p.Stats(); s.Edges != 5 || s.Queued != 5 {
		t.Errorf("%+v for a 5-toggle bounce ending low, want 5 edges queued", s)
	}
	p.Bounce(hi, 3, 0)
	if s := p.Stats(); s.Edges != 8 || p.Read() != hi {
		t.Errorf("%+v, level %v after bouncing high at once", s, p.Read())
	}
}

func TestWaitingShowsTheTimeout(t *testing.T) {
	p := New("GPIO4", 4)
	p.In(gpio.PullNoChange, gpio.BothEdges)
	for _, timeout := range []time.Duration{-1, 200 * time.Millisecond} {
		done := make(chan struct{})
		go func() { p.WaitForEdge(timeout); close(done) }()
		deadline := time.Now().Add(5 * time.Second)
		for p.Stats().Waiting != timeout {
			if time.Now().After(deadline) {
				t.Fatalf("Waiting = %v, want %v", p.Stats().Waiting, timeout)
			}
			time.Sleep(time.Millisecond)
		}
		p.Set(!p.Read())
		<-done
		if w := p.Stats().Waiting; w != 0 {
			t.Errorf("Waiting = %v after the wait", w)
		}
	}
}

func TestOutput(t *testing.T) {
	p := New("GPIO6", 6)
	if _, out := p.Output(); out {
		t.Error("new pin is an output")
	}
	p.Out(hi)
	if l, out := p.Output(); !out || l != hi || p.Read() != hi || p.Function() != "OUT" {
		t.Errorf("Output = %v, %v; Read %v", l, out, p.Read())
	}
	if p.PWM(0, 0) == nil {
		t.Error("PWM succeeded")
	}
	if err := p.SetFunc(gpio.IN); err != nil || p.Function() != "IN" {
		t.Errorf("SetFunc(IN) = %v", err)
	}
	if err := p.SetFunc("I2C1_SDA"); err == nil {
		t.Error("SetFunc(I2C) succeeded")
	}
	if len(p.SupportedFuncs()) != 2 {
		t.Error("SupportedFuncs")
	}
}
