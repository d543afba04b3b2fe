package raingauge

import (
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

const testDebounce = 20 * time.Millisecond

func newPin(l gpio.Level) *gpiotest.Pin {
	return &gpiotest.Pin{N: "GPIO17", Num: 17, L: l, EdgesChan: make(chan gpio.Level, 64)}
}

// burst sends levels as back-to-back edges, then waits until the gauge
// has seen the line go quiet.
func burst(t *testing.T, d *Dev, p *gpiotest.Pin, ls ...gpio.Level) {
	t.Helper()
	sensortest.Burst(t, d.w, p, ls...)
}

var (
	hi, lo = gpio.High, gpio.Low
	// A reed closing with bounce, and opening with bounce, as separate
	// bursts: a closure longer than the debounce time.
	closeBounce = []gpio.Level{lo, hi, lo, hi, lo}
	openBounce  = []gpio.Level{hi, lo, hi}
	// A closure shorter than the debounce time, bounce and all: one burst.
	shortTip = []gpio.Level{lo, hi, lo, hi}
)

func TestCountsTips(t *testing.T) {
	tests := []struct {
		name   string
		edge   gpio.Edge
		idle   gpio.Level
		bursts [][]gpio.Level
		want   uint64
	}{
		{"one long closure with bounce", gpio.FallingEdge, hi, [][]gpio.Level{closeBounce, openBounce}, 1},
		{"short closures", gpio.FallingEdge, hi, [][]gpio.Level{shortTip, shortTip, shortTip}, 3},
		{"mixed", gpio.FallingEdge, hi, [][]gpio.Level{closeBounce, openBounce, shortTip, {lo}, {hi}}, 3},
		{"default edge is falling", gpio.NoEdge, hi, [][]gpio.Level{{lo}, {hi}}, 1},
		{"rising-edge gauge", gpio.RisingEdge, lo, [][]gpio.Level{{hi, lo, hi}, {lo}, {hi, lo}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPin(tt.idle)
			d, err := New(p, &Opts{Edge: tt.edge, Pull: gpio.PullNoChange, Debounce: testDebounce})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Halt()
			for _, b := range tt.bursts {
				burst(t, d, p, b...)
			}
			if got := d.Tips(); got != tt.want {
				t.Errorf("Tips = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestTakeLosesNothing(t *testing.T) {
	p := newPin(hi)
	start := time.Now()
	d, err := New(p, &Opts{Pull: gpio.PullUp, Debounce: testDebounce})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Halt()
	if !d.LastTip().IsZero() {
		t.Error("LastTip before any tip")
	}
	if p.P != gpio.PullUp {
		t.Errorf("pull %v, want up", p.P)
	}
	if n, rain := d.Take(); n != 0 || rain != 0 {
		t.Errorf("Take before rain = %d, %v", n, rain)
	}
	for range 3 {
		burst(t, d, p, shortTip...)
	}
	if n, rain := d.Take(); n != 3 || rain != 600*physic.MicroMetre {
		t.Errorf("Take = %d tips, %v; want 3, 0.6 mm", n, rain)
	}
	burst(t, d, p, shortTip...)
	if n, rain := d.Take(); n != 1 || rain != 200*physic.MicroMetre {
		t.Errorf("second Take = %d tips, %v; want 1, 0.2 mm", n, rain)
	}
	if n, _ := d.Take(); n != 0 {
		t.Errorf("third Take = %d", n)
	}
	if d.Tips() != 4 || d.LastTip().Before(start) {
		t.Errorf("Tips = %d, LastTip %v", d.Tips(), d.LastTip())
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(newPin(hi), &Opts{Bucket: -1}); err == nil {
		t.Error("negative bucket accepted")
	}
	if _, err := New(newPin(hi), &Opts{Edge: gpio.BothEdges}); err == nil {
		t.Error("both edges accepted")
	}
	if _, err := New(&gpiotest.Pin{N: "GPIO4"}, nil); err == nil || err.Error()[:10] != "raingauge:" {
		t.Errorf("pin without edges: %v", err)
	}
}

func TestHaltAndString(t *testing.T) {
	p := newPin(hi)
	d, err := New(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Bucket() != DefaultBucket {
		t.Errorf("Bucket = %v", d.Bucket())
	}
	if s := d.String(); s != "raingauge on GPIO17(17) (200µm per tip, FallingEdge)" {
		t.Errorf("String = %q", s)
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := d.Halt(); err != nil {
		t.Fatalf("second Halt: %v", err)
	}
	// Edges after Halt are not counted.
	p.EdgesChan <- lo
	time.Sleep(4 * testDebounce)
	if d.Tips() != 0 {
		t.Errorf("counted %d tips after Halt", d.Tips())
	}
}
