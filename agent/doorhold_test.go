package agent

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip/gpiopin"
)

// With hold_doors_for_ebike, an e-bike in the car energises the detector's
// door-hold relay once the edge detector raises the event, and its
// leaving releases it. No broker is needed: the policy is local.
func TestEBikeHoldsTheDoors(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "lift.yaml")
	os.WriteFile(cfgPath, []byte(`device: {id: lift-1}
sensors:
  - {name: ebike, driver: ebike, pins: {input: GPIO24, relay: GPIO25}, interval: 100ms}
edge:
  elevator: {hold_doors_for_ebike: true}
outbox: {path: outbox.db}
uplink: {broker: "tcp://127.0.0.1:1"}
clock: {require_sync: false}
`), 0o600)
	cfg, err := configs.LoadAgent(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	b := board.New()
	in, relay := gpiopin.New("GPIO24", 24), gpiopin.New("GPIO25", 25)
	in.Set(gpio.High) // the detector's contact is open: no e-bike
	b.AddPin(in)
	b.AddPin(relay)
	a, err := New(cfg, b, Opts{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	relayIs := func(want gpio.Level, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			if l, out := relay.Output(); out && l == want {
				return
			}
			if time.Now().After(deadline) {
				l, out := relay.Output()
				t.Fatalf("relay = %v (output %v), want %v within %v", l, out, want, within)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	relayIs(gpio.Low, 3*time.Second) // released at start
	in.Set(gpio.Low)                 // an e-bike rolls in
	relayIs(gpio.High, 5*time.Second)
	in.Set(gpio.High) // and out
	relayIs(gpio.Low, 3*time.Second)
}
