package gpioin

import (
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

const testDebounce = 30 * time.Millisecond

func newPin(l gpio.Level) *gpiotest.Pin {
	return &gpiotest.Pin{N: "GPIO17", Num: 17, L: l, EdgesChan: make(chan gpio.Level, 64)}
}

// edges sends levels to the pin as edges, back to back: one burst.
func edges(p *gpiotest.Pin, ls ...gpio.Level) {
	for _, l := range ls {
		p.EdgesChan <- l
	}
}

func watch(t *testing.T, p gpio.PinIn) (*Watcher, <-chan Burst) {
	t.Helper()
	ch := make(chan Burst, 16)
	w, err := Watch(p, Opts{Pull: gpio.PullUp, Debounce: testDebounce}, func(b Burst) { ch <- b })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Halt(); err != nil {
			t.Error(err)
		}
	})
	return w, ch
}

func next(t *testing.T, ch <-chan Burst) Burst {
	t.Helper()
	select {
	case b := <-ch:
		return b
	case <-time.After(5 * time.Second):
		t.Fatal("no burst")
	}
	return Burst{}
}

func TestBursts(t *testing.T) {
	tests := []struct {
		name     string
		send     []gpio.Level
		from, to gpio.Level
	}{
		{"clean fall", []gpio.Level{gpio.Low}, gpio.High, gpio.Low},
		{"bouncing fall", []gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High, gpio.Low}, gpio.High, gpio.Low},
		{"pulse shorter than the debounce", []gpio.Level{gpio.Low, gpio.High}, gpio.High, gpio.High},
		{"bouncing pulse", []gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High}, gpio.High, gpio.High},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPin(gpio.High)
			w, ch := watch(t, p)
			if p.P != gpio.PullUp {
				t.Errorf("pull %v, want up", p.P)
			}
			before := time.Now()
			edges(p, tt.send...)
			b := next(t, ch)
			if b.From != tt.from || b.To != tt.to || b.Edges != len(tt.send) {
				t.Errorf("burst %v→%v with %d edges, want %v→%v with %d", b.From, b.To, b.Edges, tt.from, tt.to, len(tt.send))
			}
			if b.Began.Before(before) || b.Settled.Sub(b.Began) < testDebounce {
				t.Errorf("burst began %v, settled %v after; want after %v and ≥ %v", b.Began, b.Settled.Sub(b.Began), before, testDebounce)
			}
			if w.Level() != tt.to {
				t.Errorf("settled level %v, want %v", w.Level(), tt.to)
			}
		})
	}
}

func TestSeparateBursts(t *testing.T) {
	p := newPin(gpio.High)
	_, ch := watch(t, p)
	edges(p, gpio.Low, gpio.High, gpio.Low)
	if b := next(t, ch); b.To != gpio.Low {
		t.Fatalf("first burst settled %v", b.To)
	}
	edges(p, gpio.High, gpio.Low, gpio.High)
	if b := next(t, ch); b.From != gpio.Low || b.To != gpio.High {
		t.Fatalf("second burst %v→%v, want low→high", b.From, b.To)
	}
}

func TestHaltStopsAndDisablesEdges(t *testing.T) {
	p := newPin(gpio.Low)
	w, err := Watch(p, Opts{Debounce: testDebounce}, func(Burst) {})
	if err != nil {
		t.Fatal(err)
	}
	w.Halt()
	p = newPin(gpio.Low)
	if w, err = Watch(p, Opts{Pull: gpio.Float, Debounce: testDebounce}, func(Burst) {}); err != nil {
		t.Fatal(err)
	}
	if p.P != gpio.Float {
		t.Errorf("pull %v, want the Float Opts asked for", p.P)
	}
	start := time.Now()
	if err := w.Halt(); err != nil {
		t.Fatal(err)
	}
	// gpiotest's WaitForEdge ignores Halt, so the goroutine notices within
	// one idle wait.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Halt took %v", d)
	}
	if err := w.Halt(); err != nil {
		t.Errorf("second Halt: %v", err)
	}
	// gpiotest records In(PullNoChange, NoEdge) as the pull it was given.
	if p.P != gpio.PullNoChange {
		t.Errorf("after Halt, pull %v: edge detection not turned off with In", p.P)
	}
}

func TestWatchErrors(t *testing.T) {
	noEdges := &gpiotest.Pin{N: "GPIO4"} // gpiotest refuses edges without EdgesChan
	if _, err := Watch(noEdges, Opts{}, func(Burst) {}); err == nil || !strings.HasPrefix(err.Error(), "gpioin: GPIO4") {
		t.Errorf("Watch without edge support = %v", err)
	}
	if _, err := Watch(newPin(gpio.Low), Opts{Debounce: -time.Second}, func(Burst) {}); err == nil {
		t.Error("negative debounce accepted")
	}
}

func TestInputReadings(t *testing.T) {
	p := newPin(gpio.High)
	in, err := New(p, Opts{Pull: gpio.PullUp, Debounce: testDebounce})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Halt()

	rs := in.Readings("door", telemetry.DoorOpen, gpio.High)
	if len(rs) != 1 || rs[0].Value != 1 || rs[0].Sensor != "door" || rs[0].Quantity != telemetry.DoorOpen {
		t.Fatalf("idle readings %+v, want one door_open=1", rs)
	}

	// Closed, then opened again, both within one sampling interval; and a
	// pulse too short to count.
	t0 := time.Now()
	settled(t, in, p, gpio.Low, gpio.High, gpio.Low)
	settled(t, in, p, gpio.High)
	settled(t, in, p, gpio.Low, gpio.High)

	rs = in.Readings("door", telemetry.DoorOpen, gpio.High)
	if len(rs) != 2 || rs[0].Value != 0 || rs[1].Value != 1 {
		t.Fatalf("readings %+v, want door_open 0 then 1", rs)
	}
	if rs[0].Time.Before(t0) || rs[1].Time.Before(rs[0].Time) {
		t.Errorf("times %v, %v: want ordered after %v", rs[0].Time, rs[1].Time, t0)
	}
	if rs = in.Readings("door", telemetry.DoorOpen, gpio.High); len(rs) != 1 || rs[0].Value != 1 {
		t.Errorf("after taking: %+v", rs)
	}
}

func TestInputDropsOldest(t *testing.T) {
	in := &Input{now: time.Now}
	l := gpio.High
	for i := range MaxChanges + 3 {
		in.add(Burst{From: !l, To: l, Began: time.Unix(int64(i), 0)})
		l = !l
	}
	c := in.Take()
	if len(c) != MaxChanges || in.Dropped() != 3 || c[0].Time.Unix() != 3 {
		t.Errorf("kept %d from t=%d, dropped %d", len(c), c[0].Time.Unix(), in.Dropped())
	}
}

// settled sends a burst of edges and waits until the input has seen it
// end.
func settled(t *testing.T, in *Input, p *gpiotest.Pin, ls ...gpio.Level) {
	t.Helper()
	sensortest.Burst(t, in, p, ls...)
}

func TestParams(t *testing.T) {
	p := Params{Spec: sensor.Spec{Name: "door", Params: map[string]string{
		"pull": "up", "open_level": "low", "debounce": "20ms", "bad_pull": "sideways", "bad_level": "1", "bad_debounce": "1h",
	}}, Driver: "door"}
	if v, err := p.Pull("pull", gpio.Float); err != nil || v != gpio.PullUp {
		t.Errorf("Pull = %v, %v", v, err)
	}
	if v, err := p.Pull("missing", gpio.PullDown); err != nil || v != gpio.PullDown {
		t.Errorf("Pull default = %v, %v", v, err)
	}
	if v, err := p.Level("open_level", gpio.High); err != nil || v != gpio.Low {
		t.Errorf("Level = %v, %v", v, err)
	}
	if v, err := p.Debounce(); err != nil || v != 20*time.Millisecond {
		t.Errorf("Debounce = %v, %v", v, err)
	}
	for _, tc := range []struct {
		err  error
		want []string
	}{
		{second(p.Pull("bad_pull", gpio.Float)), []string{`sensor "door": door: param bad_pull="sideways"`, `"up", "down" or "none"`}},
		{second(p.Level("bad_level", gpio.High)), []string{`bad_level="1"`, `"high" or "low"`}},
		{second(p.Duration("bad_debounce", DefaultDebounce, time.Millisecond, 10*time.Second)), []string{`bad_debounce="1h"`, "1ms to 10s"}},
		{p.Check("pull", "open_level", "debounce"), []string{"unknown param bad_debounce, bad_level, bad_pull", "(it has debounce, open_level, pull)"}},
	} {
		if tc.err == nil {
			t.Errorf("no error, want %q", tc.want)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(tc.err.Error(), w) {
				t.Errorf("error %q does not contain %q", tc.err, w)
			}
		}
	}
	if LevelName(gpio.High) != "high" || LevelName(gpio.Low) != "low" {
		t.Error("LevelName")
	}
}

func second[T any](_ T, err error) error { return err }
