// Package board is a virtual Raspberry Pi-class board for the simulator:
// a sensor.Env whose serial ports are pseudo-terminals (opened through the
// agent's real serial code) or in-memory UARTs (AddUART, for large
// fleets), whose I2C buses carry emulated chips, and
// whose GPIO pins are emulated pins. The real agent runs on it unchanged.
package board

import (
	"fmt"
	"sort"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/tty"
	"github.com/xiuhua/xiuhua/simulator/chip"
)

// Board is a virtual board. Its methods are safe for concurrent use.
type Board struct {
	mu    sync.Mutex
	buses map[string]*chip.I2CBus
	pins  map[string]gpio.PinIO
	uarts map[string]*UART // by device path; see AddUART
}

var _ sensor.Env = (*Board)(nil)

// New returns a board with no buses and no pins.
func New() *Board {
	return &Board{buses: make(map[string]*chip.I2CBus), pins: make(map[string]gpio.PinIO)}
}

// I2C returns the named bus, creating it on first use, so that a scenario
// can attach chips to it.
func (b *Board) I2C(name string) *chip.I2CBus {
	b.mu.Lock()
	defer b.mu.Unlock()
	bus, ok := b.buses[name]
	if !ok {
		bus = chip.NewI2CBus(name)
		b.buses[name] = bus
	}
	return bus
}

// AddPin wires p to the board under p.Name().
func (b *Board) AddPin(p gpio.PinIO) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pins[p.Name()] = p
}

// OpenSerial implements sensor.Env: the port is a UART added under its
// path, or else a pseudo-terminal's slave path, opened exactly as the
// agent opens /dev/ttyAMA0.
func (b *Board) OpenSerial(s sensor.Serial) (sensor.Port, error) {
	if u := b.uart(s.Port); u != nil {
		return u.Open(), nil
	}
	return tty.Open(s.Port, &tty.Opts{Baud: s.Baud})
}

// OpenI2C implements sensor.Env.
func (b *Board) OpenI2C(name string) (i2c.BusCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bus, ok := b.buses[name]
	if !ok {
		return nil, fmt.Errorf("board: no I2C bus %q (have %v)", name, keys(b.buses))
	}
	return bus.Handle(), nil
}

// Pin implements sensor.Env.
func (b *Board) Pin(name string) (gpio.PinIO, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.pins[name]
	if !ok {
		return nil, fmt.Errorf("board: no pin %q (have %v)", name, keys(b.pins))
	}
	return p, nil
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
