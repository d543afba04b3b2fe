package gpiopin

import (
	"context"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	_ "github.com/xiuhua/xiuhua/drivers/door"
	_ "github.com/xiuhua/xiuhua/drivers/ebike"
	_ "github.com/xiuhua/xiuhua/drivers/pir"
	_ "github.com/xiuhua/xiuhua/drivers/raingauge"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/telemetry"
)

// settle waits until the driver watching p has taken every edge and is
// back to waiting between bursts, in slices longer than the 20 ms
// debounce the tests configure (drivers/gpioin waits 200 ms at a time).
func settle(t *testing.T, p *Pin) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := p.Stats()
		if s.Queued == 0 && s.Waiting > 100*time.Millisecond {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the driver did not settle: %+v", p, s)
		}
		time.Sleep(time.Millisecond)
	}
}

func openOn(t *testing.T, b *board.Board, driver string, pins, params map[string]string) sensor.Sensor {
	t.Helper()
	s := sensortest.MustOpen(t, driver, sensor.Spec{Name: driver, Driver: driver, Pins: pins, Params: params}, b)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("%s Close: %v", driver, err)
		}
	})
	return s
}

func values(t *testing.T, s sensor.Sensor, q telemetry.Quantity) []float64 {
	t.Helper()
	rs, err := s.Sense(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var v []float64
	for _, r := range rs {
		if r.Quantity != q {
			t.Errorf("reading %+v, want %s", r, q)
		}
		v = append(v, r.Value)
	}
	return v
}

func TestRainGauge(t *testing.T) {
	b := board.New()
	reed := New("GPIO17", 17)
	b.AddPin(reed)
	s := openOn(t, b, "raingauge", map[string]string{"input": "GPIO17"}, map[string]string{"debounce": "20ms"})
	if reed.Read() != gpio.High {
		t.Fatal("the driver did not pull the open reed up")
	}
	if v := values(t, s, telemetry.Rainfall); len(v) != 1 || v[0] != 0 {
		t.Fatalf("before rain: %v", v)
	}
	tip := func(slow bool) {
		reed.Bounce(gpio.Low, 4, 0) // magnet passes: the reed closes, bouncing
		if slow {
			settle(t, reed) // closure and opening are separate bursts
		}
		reed.Bounce(gpio.High, 3, 0) // and opens again, bouncing
		reed.Release()
		settle(t, reed)
	}
	tip(true)
	tip(false) // a fast tip: one burst
	tip(false)
	if v := values(t, s, telemetry.Rainfall); len(v) != 1 || v[0] != 0.6 {
		t.Errorf("after 3 tips: %v mm, want 0.6", v)
	}
	tip(true)
	if v := values(t, s, telemetry.Rainfall); len(v) != 1 || v[0] != 0.2 {
		t.Errorf("after 1 more tip: %v mm, want 0.2", v)
	}
}

func TestDoor(t *testing.T) {
	b := board.New()
	reed := New("GPIO27", 27)
	b.AddPin(reed)
	s := openOn(t, b, "door", map[string]string{"input": "GPIO27"}, map[string]string{"debounce": "20ms"})
	if v := values(t, s, telemetry.DoorOpen); len(v) != 1 || v[0] != 1 {
		t.Fatalf("reed open, pulled up: %v, want open", v)
	}
	reed.Bounce(gpio.Low, 3, 0) // door closes: the magnet closes the reed
	settle(t, reed)
	if v := values(t, s, telemetry.DoorOpen); len(v) != 1 || v[0] != 0 {
		t.Errorf("door closed: %v", v)
	}
	reed.Release() // opened and closed between two samples
	settle(t, reed)
	reed.Bounce(gpio.Low, 2, 0)
	settle(t, reed)
	if v := values(t, s, telemetry.DoorOpen); len(v) != 2 || v[0] != 1 || v[1] != 0 {
		t.Errorf("opened and closed: %v, want [1 0]", v)
	}
}

func TestPIR(t *testing.T) {
	b := board.New()
	out := New("GPIO22", 22)
	b.AddPin(out)
	s := openOn(t, b, "pir", map[string]string{"input": "GPIO22"}, map[string]string{"debounce": "20ms", "warmup": "0s"})
	if v := values(t, s, telemetry.Presence); len(v) != 1 || v[0] != 0 {
		t.Fatalf("idle: %v", v)
	}
	out.Set(gpio.High)
	settle(t, out)
	if v := values(t, s, telemetry.Presence); len(v) != 1 || v[0] != 1 {
		t.Errorf("motion: %v", v)
	}
}

func TestEBikeWithRelay(t *testing.T) {
	b := board.New()
	contact, relay := New("GPIO5", 5), New("GPIO6", 6)
	b.AddPin(contact)
	b.AddPin(relay)
	s := openOn(t, b, "ebike", map[string]string{"input": "GPIO5", "relay": "GPIO6"}, map[string]string{"debounce": "20ms"})
	if l, out := relay.Output(); !out || l != gpio.Low {
		t.Fatalf("relay at open: %v, output %v; want released (low)", l, out)
	}
	contact.Bounce(gpio.Low, 3, 0) // the detector's relay closes
	settle(t, contact)
	if v := values(t, s, telemetry.EBike); len(v) != 1 || v[0] != 1 {
		t.Fatalf("e-bike: %v", v)
	}
	h, ok := s.(interface{ HoldDoors(bool) error })
	if !ok {
		t.Fatal("no HoldDoors")
	}
	if err := h.HoldDoors(true); err != nil {
		t.Fatal(err)
	}
	if l, _ := relay.Output(); l != gpio.High {
		t.Error("relay not energised")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if l, _ := relay.Output(); l != gpio.Low {
		t.Error("relay still energised after Close")
	}
}
