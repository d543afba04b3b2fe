package chip

import (
	"fmt"
	"sync"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// I2CDevice is an emulated chip on an I2C bus: it answers the
// transactions addressed to it, byte for byte as the real chip would.
type I2CDevice interface {
	Tx(w, r []byte) error
}

// I2CBus is an emulated I2C bus: a periph i2c.Bus that routes each
// transaction to the chip attached at its address. A transaction to an
// address with no chip fails like a NACK does on a real bus.
type I2CBus struct {
	name string
	mu   sync.Mutex
	devs map[uint16]I2CDevice
}

var _ i2c.Bus = (*I2CBus)(nil)

// NewI2CBus returns an empty bus; name is what String reports.
func NewI2CBus(name string) *I2CBus {
	return &I2CBus{name: name, devs: make(map[uint16]I2CDevice)}
}

// Attach puts dev at addr, replacing what was there; a nil dev unplugs it.
func (b *I2CBus) Attach(addr uint16, dev I2CDevice) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if dev == nil {
		delete(b.devs, addr)
		return
	}
	b.devs[addr] = dev
}

// Pluggable is an I2CDevice that is not always on the bus: while Present
// reports false the bus NACKs its address, as if nothing were attached
// (an unplugged sensor, a cut cable).
type Pluggable interface {
	I2CDevice
	Present() bool
}

// Plug returns dev as a Pluggable that is on the bus while present says
// so.
func Plug(dev I2CDevice, present func() bool) Pluggable { return plugged{dev, present} }

type plugged struct {
	I2CDevice
	present func() bool
}

func (p plugged) Present() bool { return p.present() }

// Tx implements i2c.Bus. Transactions are serialised, as on a real bus.
func (b *I2CBus) Tx(addr uint16, w, r []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	dev, ok := b.devs[addr]
	if p, pluggable := dev.(Pluggable); ok && pluggable && !p.Present() {
		ok = false
	}
	if !ok {
		return fmt.Errorf("i2c %s: no device answers at %#02x (NACK)", b.name, addr)
	}
	return dev.Tx(w, r)
}

// SetSpeed implements i2c.Bus; the emulated bus has no speed.
func (b *I2CBus) SetSpeed(physic.Frequency) error { return nil }

func (b *I2CBus) String() string { return "emulated-i2c-" + b.name }

// Handle returns a closable handle on the bus, as a driver's Env gives
// one to each sensor; closing it leaves the bus and its chips in place.
func (b *I2CBus) Handle() i2c.BusCloser { return handle{b} }

type handle struct{ *I2CBus }

func (handle) Close() error { return nil }
