package modbuslevel

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

func init() {
	sensor.Register("modbuslevel", open)
	sensor.RegisterDecoder("modbuslevel", decodeStream)
}

var knownParams = []string{"count", "function", "offset", "quantity", "register", "scale", "slave", "timeout", "type", "unit", "word_order"}

// config is what the params say.
type config struct {
	opts                  Opts
	q                     telemetry.Quantity
	slaveSet, functionSet bool // the params name them (the decoder filters by them)
}

// value returns what regs hold in the quantity's unit: mm for Distance,
// m for WaterLevel.
func (c config) value(regs []uint16) (float64, error) {
	d, err := c.opts.Format.Distance(regs)
	if err != nil {
		return 0, err
	}
	if c.q == telemetry.WaterLevel {
		return float64(d) / float64(physic.Metre), nil
	}
	return float64(d) / float64(physic.MilliMetre), nil
}

// parseParams reads the params; see the package doc. Errors start with
// "modbuslevel: ". The decoder does not need a register.
func parseParams(params map[string]string, needRegister bool) (config, error) {
	bad := func(name, want string) error {
		return fmt.Errorf("modbuslevel: param %s=%q: want %s", name, params[name], want)
	}
	var unknown []string
	for k := range params {
		if !slices.Contains(knownParams, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return config{}, fmt.Errorf("modbuslevel: unknown param %s (it has %s)", strings.Join(unknown, ", "), strings.Join(knownParams, ", "))
	}
	uintParam := func(name string, def, min, max uint64, want string) (uint64, error) {
		v, ok := params[name]
		if !ok {
			return def, nil
		}
		n, err := strconv.ParseUint(v, 0, 32)
		if err != nil || n < min || n > max {
			return 0, bad(name, want)
		}
		return n, nil
	}
	floatParam := func(name string, def float64, want string, ok func(float64) bool) (float64, error) {
		v, set := params[name]
		if !set {
			return def, nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || !ok(f) {
			return 0, bad(name, want)
		}
		return f, nil
	}
	var c config
	_, c.slaveSet = params["slave"]
	_, c.functionSet = params["function"]
	slave, err := uintParam("slave", DefaultSlave, 1, 247, "1–247")
	if err != nil {
		return config{}, err
	}
	fn, err := uintParam("function", ReadHolding, ReadHolding, ReadInput, "3 (read holding registers) or 4 (read input registers)")
	if err != nil {
		return config{}, err
	}
	if _, ok := params["register"]; !ok && needRegister {
		return config{}, errors.New("modbuslevel: param register is required: the first register's 0-based address on the wire, e.g. 0 or 0x0100, from the sensor's manual")
	}
	reg, err := uintParam("register", 0, 0, 0xffff, "0–65535 (0x0000–0xffff), the 0-based address on the wire")
	if err != nil {
		return config{}, err
	}
	c.opts = Opts{Slave: byte(slave), Function: byte(fn), Register: uint16(reg)}
	f := &c.opts.Format
	ti := slices.Index(typeNames[:], params["type"])
	if _, ok := params["type"]; ok && ti < 0 {
		return config{}, bad("type", strings.Join(typeNames[:], ", "))
	}
	f.Type = Type(max(ti, 0))
	if n, err := uintParam("count", uint64(f.Type.Registers()), 1, 2, "1 or 2"); err != nil {
		return config{}, err
	} else if n != uint64(f.Type.Registers()) {
		return config{}, bad("count", fmt.Sprintf("%d: type %v takes %d register(s); count may be left out", f.Type.Registers(), f.Type, f.Type.Registers()))
	}
	switch params["word_order"] {
	case "", "big":
	case "little":
		f.WordOrder = LowWordFirst
	default:
		return config{}, bad("word_order", `"big" (high word first) or "little" (low word first)`)
	}
	if f.Scale, err = floatParam("scale", 1, "a non-zero number", func(x float64) bool { return x != 0 }); err != nil {
		return config{}, err
	}
	if f.Offset, err = floatParam("offset", 0, "a number", func(float64) bool { return true }); err != nil {
		return config{}, err
	}
	switch q := params["quantity"]; q {
	case "", string(telemetry.Distance):
		c.q, f.Unit = telemetry.Distance, physic.MilliMetre
	case string(telemetry.WaterLevel):
		c.q, f.Unit = telemetry.WaterLevel, physic.Metre
	default:
		return config{}, bad("quantity", `"distance" (reported in mm) or "water_level" (reported in m)`)
	}
	switch u := params["unit"]; u {
	case "":
	case "mm":
		f.Unit = physic.MilliMetre
	case "cm":
		f.Unit = 10 * physic.MilliMetre
	case "m":
		f.Unit = physic.Metre
	default:
		return config{}, bad("unit", `"mm", "cm" or "m": the unit of register × scale + offset`)
	}
	if v, ok := params["timeout"]; ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Millisecond || d > 10*time.Second {
			return config{}, bad("timeout", "a duration from 10ms to 10s, e.g. 1s")
		}
		c.opts.Timeout = d
	}
	return c, nil
}

// open is the registry factory; see the package doc for the params.
func open(ctx context.Context, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := parseParams(spec.Params, true)
	if err != nil {
		return nil, fmt.Errorf("sensor %q: %w", spec.Name, err)
	}
	s := spec.Serial
	if s.Baud == 0 {
		s.Baud = DefaultBaud
	}
	c.opts.Baud = s.Baud
	port, err := env.OpenSerial(s)
	if err != nil {
		return nil, fmt.Errorf("sensor %q: modbuslevel: open %s: %w", spec.Name, s.Port, err)
	}
	dev, err := newDev(port, &c.opts)
	if err != nil {
		port.Close()
		return nil, fmt.Errorf("sensor %q: %w", spec.Name, err)
	}
	if err := dev.probe(ctx); err != nil {
		port.Close() // ends an exchange that timed out…
		dev.Halt()   // …so that joining it is quick
		return nil, fmt.Errorf("sensor %q: %w", spec.Name, err)
	}
	return &level{name: spec.Name, cfg: c, dev: dev, port: port, now: time.Now}, nil
}

// level is a registered Modbus level sensor: a Dev and the port it owns.
type level struct {
	name string
	cfg  config
	dev  *Dev
	port sensor.Port
	now  func() time.Time

	closed sensor.CloseOnce
}

var _ sensor.Sensor = (*level)(nil)

// Sense reads the register(s) once and returns the distance in mm or the
// water level in m.
func (l *level) Sense(ctx context.Context) ([]telemetry.Reading, error) {
	regs, err := l.dev.transact(ctx, l.dev.req, l.cfg.opts.Format.Type.Registers())
	if err != nil {
		return nil, err
	}
	t := l.now()
	v, err := l.cfg.value(regs)
	if err != nil {
		return nil, err
	}
	return []telemetry.Reading{{Sensor: l.name, Quantity: l.cfg.q, Value: v, Time: t, Quality: telemetry.Good}}, nil
}

// Close closes the port, which ends an exchange still waiting on it, and
// waits for that exchange.
func (l *level) Close() error {
	return l.closed.Do(l.name, func() error { return errors.Join(l.port.Close(), l.dev.Halt()) })
}

func (l *level) String() string { return l.name + " (" + l.dev.String() + ")" }
