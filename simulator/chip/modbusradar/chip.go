package modbusradar

import (
	"encoding/binary"
	"math"
	"sync"
	"time"
)

// Function codes.
const (
	ReadHolding = 0x03
	ReadInput   = 0x04
)

// Exception codes the sensor answers with.
const (
	IllegalFunction    = 0x01
	IllegalDataAddress = 0x02
	IllegalDataValue   = 0x03
	DeviceFailure      = 0x04
	DeviceBusy         = 0x06
)

// Type is how registers hold a bound value.
type Type uint8

const (
	Uint16 Type = iota
	Int16
	Uint32
	Int32
	Float32
)

// Encoding says how a bound value goes into registers: raw = value /
// Scale, rounded for integer types, then Type, high word first unless
// LowWordFirst. Scale 0 means 1.
type Encoding struct {
	Type         Type
	LowWordFirst bool
	Scale        float64
}

// Source gives a value at a time.
type Source func(t time.Time) float64

// Fault is how the sensor misbehaves; the zero value is none.
type Fault struct {
	Silent    bool // answer nothing, as a sensor without power or a cut A/B pair
	BadCRC    bool // flip a bit of each answer's CRC, as line noise does
	Truncate  int  // send only the first Truncate bytes of each answer (0: all)
	Exception byte // answer every read with this exception code (0: none)
}

// State counts what the sensor has done.
type State struct {
	Requests   uint64 // good frames addressed to it
	Responses  uint64 // answers with data
	Exceptions uint64 // exception answers
	BadCRC     uint64 // frames dropped for their CRC
	Ignored    uint64 // frames for another slave, broadcasts
}

// Opts configures a Chip. The zero value means slave 1 at 9600 baud,
// answering at once, on the wall clock.
type Opts struct {
	Slave byte          // 1–247; 0 means 1
	Baud  int           // for t3.5; 0 means 9600
	Delay time.Duration // processing time before each answer
	Now   func() time.Time
}

type binding struct {
	enc Encoding
	src Source
}

// Chip is an emulated Modbus RTU level sensor. Its methods are safe for
// concurrent use; serve it on one io.ReadWriter at a time.
type Chip struct {
	slave byte
	gap   time.Duration
	delay time.Duration
	now   func() time.Time

	mu    sync.Mutex
	regs  map[byte]map[uint16]uint16  // function → address → word
	binds map[byte]map[uint16]binding // function → first address → value
	fault Fault
	state State
}

// New returns a sensor with an empty register map.
func New(opts *Opts) *Chip {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Slave == 0 {
		o.Slave = 1
	}
	if o.Baud <= 0 {
		o.Baud = 9600
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	gap := 1750 * time.Microsecond
	if o.Baud <= 19200 {
		gap = time.Duration(3.5 * 11 * float64(time.Second) / float64(o.Baud))
	}
	return &Chip{
		slave: o.Slave, gap: gap, delay: o.Delay, now: o.Now,
		regs:  map[byte]map[uint16]uint16{ReadHolding: {}, ReadInput: {}},
		binds: map[byte]map[uint16]binding{ReadHolding: {}, ReadInput: {}},
	}
}

// Radar returns a sensor with an example register map, in the ways
// radar level sensors' maps commonly differ (every vendor's is its own):
// holding register 0x0000 is the distance in mm (uint16), 0x0001–0x0002
// the distance in m (float32, high word first), and input registers
// 0x0000–0x0001 the distance in 0.1 mm steps (uint32, low word first).
// Holding register 0x0010 is the slave address.
func Radar(distanceMM Source, opts *Opts) *Chip {
	c := New(opts)
	c.Bind(ReadHolding, 0x0000, Encoding{Type: Uint16}, distanceMM)
	c.Bind(ReadHolding, 0x0001, Encoding{Type: Float32, Scale: 1000}, distanceMM)
	c.Bind(ReadInput, 0x0000, Encoding{Type: Uint32, LowWordFirst: true, Scale: 0.1}, distanceMM)
	c.SetRegisters(ReadHolding, 0x0010, uint16(c.slave))
	return c
}

// SetRegisters puts words at addr, addr+1, … of the holding (0x03) or
// input (0x04) registers.
func (c *Chip) SetRegisters(function byte, addr uint16, words ...uint16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, w := range words {
		c.regs[function][addr+uint16(i)] = w
	}
}

// Bind makes the register(s) at addr hold src's value at each request.
func (c *Chip) Bind(function byte, addr uint16, enc Encoding, src Source) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.binds[function][addr] = binding{enc, src}
}

// SetFault sets how the sensor misbehaves from now on.
func (c *Chip) SetFault(f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fault = f
}

// State returns what the sensor has done.
func (c *Chip) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// words returns the registers of function at t, bound values included.
// The caller holds c.mu.
func (c *Chip) words(function byte, t time.Time) map[uint16]uint16 {
	m := make(map[uint16]uint16, len(c.regs[function])+2*len(c.binds[function]))
	for a, w := range c.regs[function] {
		m[a] = w
	}
	for a, b := range c.binds[function] {
		for i, w := range encode(b.enc, b.src(t)) {
			m[a+uint16(i)] = w
		}
	}
	return m
}

// encode turns v into registers.
func encode(e Encoding, v float64) []uint16 {
	if e.Scale != 0 {
		v /= e.Scale
	}
	r := math.Round(v)
	var u uint32
	switch e.Type {
	case Uint16:
		return []uint16{uint16(clamp(r, 0, math.MaxUint16))}
	case Int16:
		return []uint16{uint16(int16(clamp(r, math.MinInt16, math.MaxInt16)))}
	case Uint32:
		u = uint32(clamp(r, 0, math.MaxUint32))
	case Int32:
		u = uint32(int32(clamp(r, math.MinInt32, math.MaxInt32)))
	case Float32:
		u = math.Float32bits(float32(v))
	}
	hi, lo := uint16(u>>16), uint16(u)
	if e.LowWordFirst {
		return []uint16{lo, hi}
	}
	return []uint16{hi, lo}
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// Handle answers one request frame, or returns nil when the sensor would
// not answer it.
func (c *Chip) Handle(req []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(req) < 4 || binary.LittleEndian.Uint16(req[len(req)-2:]) != crc16(req[:len(req)-2]) {
		c.state.BadCRC++
		return nil
	}
	if req[0] != c.slave {
		c.state.Ignored++
		return nil
	}
	c.state.Requests++
	if c.fault.Silent {
		return nil
	}
	resp := c.answer(req)
	if resp[1]&0x80 != 0 {
		c.state.Exceptions++
	} else {
		c.state.Responses++
	}
	if c.fault.BadCRC {
		resp[len(resp)-1] ^= 0x40
	}
	if n := c.fault.Truncate; n > 0 && n < len(resp) {
		resp = resp[:n]
	}
	return resp
}

// answer builds the response to a good request for this slave. The
// caller holds c.mu.
func (c *Chip) answer(req []byte) []byte {
	fn := req[1]
	if fn != ReadHolding && fn != ReadInput {
		return frame(c.slave, fn|0x80, IllegalFunction)
	}
	if c.fault.Exception != 0 {
		return frame(c.slave, fn|0x80, c.fault.Exception)
	}
	if len(req) != 8 {
		return frame(c.slave, fn|0x80, IllegalDataValue)
	}
	addr, n := binary.BigEndian.Uint16(req[2:]), binary.BigEndian.Uint16(req[4:])
	if n < 1 || n > 125 {
		return frame(c.slave, fn|0x80, IllegalDataValue)
	}
	words := c.words(fn, c.now())
	data := make([]byte, 1, 1+2*n)
	data[0] = byte(2 * n)
	for i := range n {
		w, ok := words[addr+i]
		if !ok || int(addr)+int(i) > 0xffff { // no wrapping round to register 0
			return frame(c.slave, fn|0x80, IllegalDataAddress)
		}
		data = binary.BigEndian.AppendUint16(data, w)
	}
	return frame(c.slave, fn, data...)
}

// frame builds slave, function, data, CRC.
func frame(slave, fn byte, data ...byte) []byte {
	b := append([]byte{slave, fn}, data...)
	return binary.LittleEndian.AppendUint16(b, crc16(b))
}

// crc16 is CRC-16/MODBUS (reflected 0xA001, initial 0xFFFF).
func crc16(b []byte) uint16 {
	crc := uint16(0xffff)
	for _, c := range b {
		crc ^= uint16(c)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xa001
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}
