package sensor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Sensor is one configured sensor, ready to be sampled.
type Sensor interface {
	// Sense takes one sample and returns its readings, stamped with the
	// time the sample was taken. It returns early with ctx's error when ctx
	// ends. An error means no reading could be had this time; the sampler
	// counts it and tries again at the next interval.
	Sense(ctx context.Context) ([]telemetry.Reading, error)
	// Close halts the chip where that is possible and releases the bus or
	// port. It is idempotent.
	Close() error
	String() string
}

// Port is a serial port: a periph conn.Conn whose Tx writes w and then
// reads exactly len(r) bytes, failing after the port's read timeout.
type Port interface {
	conn.Conn
	Close() error
}

// Serial is how a spec names a serial port and its line settings.
type Serial struct {
	Port string // device path, e.g. /dev/ttyAMA0
	Baud int    // bits per second; 0 means the driver's default
}

// I2C is how a spec names an I2C chip.
type I2C struct {
	Bus  string // periph bus name, e.g. "1" for /dev/i2c-1; "" means the first bus
	Addr uint16 // 7-bit address; 0 means the driver's default
}

// Spec is what a device config says about one sensor, in the terms a
// driver needs. The agent builds it from the config file.
type Spec struct {
	Name     string            // unique within the device; becomes Reading.Sensor
	Driver   string            // registry name, e.g. "pms5003"
	Serial   Serial            // for UART sensors
	I2C      I2C               // for I2C sensors
	Pins     map[string]string // for GPIO sensors: role (e.g. "input", "relay") → pin name (e.g. "GPIO17")
	Params   map[string]string // driver-specific settings, documented by each driver
	Interval time.Duration     // how often the sampler calls Sense
}

// Param returns the named driver parameter, or def when it is not set.
func (s Spec) Param(name, def string) string {
	if v, ok := s.Params[name]; ok {
		return v
	}
	return def
}

// FloatParam returns the named parameter as a float64, or def when it is
// not set. A value that does not parse is an error naming the parameter.
func (s Spec) FloatParam(name string, def float64) (float64, error) {
	v, ok := s.Params[name]
	if !ok {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("sensor %q: param %s=%q is not a number", s.Name, name, v)
	}
	return f, nil
}

// Env is how a factory reaches hardware. The agent's main package gives
// real ports, buses and pins; the simulator gives pseudo-terminals and
// periph buses backed by emulated chips.
type Env interface {
	// OpenSerial opens a serial port at the given speed.
	OpenSerial(s Serial) (Port, error)
	// OpenI2C opens the named I2C bus. Each caller gets its own handle and
	// closes it; several sensors may share one bus.
	OpenI2C(bus string) (i2c.BusCloser, error)
	// Pin returns the named GPIO pin. Pins are not closed; a driver that
	// set up edge detection or an output halts it in Close.
	Pin(name string) (gpio.PinIO, error)
}

// Pin returns the pin that spec wires to role, through env, with an error
// naming the sensor and role when the config gives none or the board has
// no such pin.
func (s Spec) Pin(env Env, role string) (gpio.PinIO, error) {
	name := s.Pins[role]
	if name == "" {
		return nil, fmt.Errorf("sensor %q: no pin for %q in the config's pins", s.Name, role)
	}
	p, err := env.Pin(name)
	if err != nil {
		return nil, fmt.Errorf("sensor %q: pin %s=%s: %w", s.Name, role, name, err)
	}
	return p, nil
}

// Factory builds a sensor from its spec. It opens what it needs through env
// and probes the chip; an error leaves nothing open.
type Factory func(ctx context.Context, spec Spec, env Env) (Sensor, error)

var (
	mu       sync.RWMutex
	registry = map[string]Factory{}
)

// ErrUnknownDriver is returned by Lookup for a name nothing registered.
var ErrUnknownDriver = errors.New("sensor: unknown driver")

// Register makes a driver available by name. It panics when the name is
// taken, since that is a programming error found at start-up.
func Register(name string, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic("sensor: driver " + strconv.Quote(name) + " registered twice")
	}
	registry[name] = f
}

// Lookup returns the factory registered under name.
func Lookup(name string) (Factory, error) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownDriver, name, namesLocked())
	}
	return f, nil
}

// Names lists the registered drivers in sorted order.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	n := make([]string, 0, len(registry))
	for k := range registry {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}
