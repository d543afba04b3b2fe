package sps30

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/simulator/chip"
)

// Values are what the chip measures.
type Values struct {
	PM1, PM2_5, PM4, PM10        float64 // mass concentration, µg/m³ (cumulative)
	NC0_5, NC1, NC2_5, NC4, NC10 float64 // number concentration, #/cm³ (cumulative)
	TypicalSize                  float64 // µm
}

// Source gives the air the chip sees at a time.
type Source func(t time.Time) Values

// Defaults for Opts fields left zero.
const (
	DefaultSerial = "8C2F4E6A1B3D5F70"
	DefaultPeriod = time.Second // the real chip's measurement period
)

// CleaningTime is how long a fan cleaning lasts; values are not updated
// meanwhile.
const CleaningTime = 10 * time.Second

// Opts configures a Chip. The zero value means DefaultSerial, the chip's
// 1 s period, a 168 h cleaning interval and the wall clock.
type Opts struct {
	Serial string           // up to 31 ASCII characters; "" means DefaultSerial
	Period time.Duration    // time between measurements; 0 means DefaultPeriod
	Now    func() time.Time // nil means time.Now
	// CleanInterval is the auto-cleaning interval stored in the chip's
	// non-volatile memory, in seconds; 0 means the factory 604800.
	CleanInterval uint32
}

// State is what the chip is doing and has done.
type State struct {
	Measuring     bool
	Format        byte   // output format of the running measurement: 0x03 float, 0x05 uint16
	CleanInterval uint32 // seconds; 0 is off
	Cleanings     uint64 // fan cleanings started, by command or by schedule
	Commands      uint64 // transactions the chip accepted
	Refused       uint64 // transactions it NACKed: bad CRC, wrong state, unknown command
	Resets        uint64
}

// Command codes (pointer addresses).
const (
	cmdStart     = 0x0010
	cmdStop      = 0x0104
	cmdReady     = 0x0202
	cmdValues    = 0x0300
	cmdFanClean  = 0x5607
	cmdAutoClean = 0x8004
	cmdType      = 0xd002
	cmdSerial    = 0xd033
	cmdVersion   = 0xd100
	cmdStatus    = 0xd206
	cmdReset     = 0xd304

	formatFloat = 0x03
	formatUint  = 0x05
)

// Chip is an emulated SPS30 on an I2C bus (attach it at 0x69). Its
// methods are safe for concurrent use.
type Chip struct {
	src    Source
	period time.Duration
	now    func() time.Time
	serial string

	mu        sync.Mutex
	state     State
	pointer   uint16 // 0: none set since reset
	ready     bool
	latest    Values
	next      time.Time // when the next measurement is due
	nextClean time.Time // when the next automatic cleaning is due
	cleanEnd  time.Time // values are frozen until then
}

var _ chip.I2CDevice = (*Chip)(nil)

// errNACK is what a transaction the chip refuses returns, as a real bus
// reports a NACK.
var errNACK = errors.New("sps30 emulator: NACK")

// New returns a chip, idle as after power-up, that measures src. nil opts
// means defaults.
func New(src Source, opts *Opts) *Chip {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Serial == "" {
		o.Serial = DefaultSerial
	}
	if o.Period <= 0 {
		o.Period = DefaultPeriod
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CleanInterval == 0 {
		o.CleanInterval = 604800
	}
	return &Chip{src: src, period: o.Period, now: o.Now, serial: o.Serial, state: State{CleanInterval: o.CleanInterval}}
}

// State returns a snapshot of the chip's state.
func (c *Chip) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Tx implements chip.I2CDevice: a write sets the pointer and runs the
// command; a read returns the reply to the pointer's command, word by
// word with CRCs, and 0xFF (released SDA) past its end.
func (c *Chip) Tx(w, r []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	switch {
	case len(w) > 0 && len(r) > 0:
		err = fmt.Errorf("%w: repeated start after the pointer; the chip needs a STOP", errNACK)
	case len(w) > 0:
		err = c.write(w)
	case len(r) > 0:
		err = c.read(r)
	}
	if err != nil {
		c.state.Refused++
		return err
	}
	c.state.Commands++
	return nil
}

func (c *Chip) write(w []byte) error {
	if len(w) < 2 || (len(w)-2)%3 != 0 {
		return fmt.Errorf("%w: %d-byte write", errNACK, len(w))
	}
	cmd := binary.BigEndian.Uint16(w)
	var args []uint16
	for i := 2; i < len(w); i += 3 {
		if crc(w[i:i+2]) != w[i+2] {
			return fmt.Errorf("%w: bad CRC on argument % x", errNACK, w[i:i+3])
		}
		args = append(args, binary.BigEndian.Uint16(w[i:]))
	}
	now := c.now()
	c.update(now)
	switch {
	case cmd == cmdStart && len(args) == 1:
		f := byte(args[0] >> 8)
		if c.state.Measuring || (f != formatFloat && f != formatUint) {
			return fmt.Errorf("%w: start (format %#02x) while measuring=%v", errNACK, f, c.state.Measuring)
		}
		c.state.Measuring, c.state.Format, c.ready = true, f, false
		c.next = now.Add(c.period)
		c.cleanEnd = time.Time{}
		c.scheduleClean(now)
	case cmd == cmdStop && len(args) == 0:
		// Accepted in idle too (an assumption: the datasheet is silent).
		c.state.Measuring, c.ready = false, false
	case cmd == cmdFanClean && len(args) == 0:
		if !c.state.Measuring {
			return fmt.Errorf("%w: fan cleaning needs measurement mode", errNACK)
		}
		c.clean(now)
	case cmd == cmdAutoClean && len(args) == 2:
		c.state.CleanInterval = uint32(args[0])<<16 | uint32(args[1])
		c.scheduleClean(now)
	case cmd == cmdReset && len(args) == 0:
		c.state.Measuring, c.ready, c.pointer = false, false, 0
		c.state.Resets++
		return nil
	case len(args) == 0 && readable(cmd):
	default:
		return fmt.Errorf("%w: command %#04x with %d argument words", errNACK, cmd, len(args))
	}
	c.pointer = cmd
	return nil
}

func readable(cmd uint16) bool {
	switch cmd {
	case cmdReady, cmdValues, cmdAutoClean, cmdType, cmdSerial, cmdVersion, cmdStatus:
		return true
	}
	return false
}

func (c *Chip) read(r []byte) error {
	c.update(c.now())
	var data []byte
	switch c.pointer {
	case cmdReady:
		data = []byte{0, 0}
		if c.ready {
			data[1] = 1
		}
	case cmdValues:
		if !c.state.Measuring {
			return fmt.Errorf("%w: no measured values in idle mode", errNACK)
		}
		data = encodeValues(c.latest, c.state.Format)
		c.ready = false
	case cmdAutoClean:
		data = binary.BigEndian.AppendUint32(nil, c.state.CleanInterval)
	case cmdType:
		data = []byte("00080000")
	case cmdSerial:
		data = make([]byte, 32)
		copy(data[:31], c.serial)
	case cmdVersion:
		data = []byte{2, 2}
	case cmdStatus:
		data = make([]byte, 4)
	default:
		return fmt.Errorf("%w: read with no pointer set", errNACK)
	}
	reply := make([]byte, 0, len(data)/2*3)
	for i := 0; i+1 < len(data); i += 2 {
		reply = append(reply, data[i], data[i+1], crc(data[i:i+2]))
	}
	n := copy(r, reply)
	for i := n; i < len(r); i++ {
		r[i] = 0xff
	}
	return nil
}

// update takes the measurements due by now. The caller holds c.mu.
func (c *Chip) update(now time.Time) {
	if !c.state.Measuring {
		return
	}
	if c.state.CleanInterval > 0 && !now.Before(c.nextClean) {
		c.clean(c.nextClean)
	}
	if now.Before(c.next) {
		return
	}
	// The latest measurement due, skipping any the host never collected.
	n := now.Sub(c.next) / c.period
	t := c.next.Add(n * c.period)
	c.next = t.Add(c.period)
	if t.Before(c.cleanEnd) {
		return
	}
	c.latest = c.src(t)
	c.ready = true
}

// clean starts a fan cleaning at t. The caller holds c.mu.
func (c *Chip) clean(t time.Time) {
	c.cleanEnd = t.Add(CleaningTime)
	c.state.Cleanings++
	c.scheduleClean(t)
}

// scheduleClean restarts the auto-cleaning countdown at t. The caller
// holds c.mu.
func (c *Chip) scheduleClean(t time.Time) {
	c.nextClean = t.Add(time.Duration(c.state.CleanInterval) * time.Second)
}

// encodeValues lays out the ten values in the output format: big-endian
// float32, or uint16 (rounded and clamped; typical size in nm).
func encodeValues(v Values, format byte) []byte {
	vs := [10]float64{v.PM1, v.PM2_5, v.PM4, v.PM10, v.NC0_5, v.NC1, v.NC2_5, v.NC4, v.NC10, v.TypicalSize}
	var b []byte
	for i, x := range vs {
		if format == formatUint {
			if i == 9 {
				x *= 1000
			}
			b = binary.BigEndian.AppendUint16(b, u16(x))
			continue
		}
		b = binary.BigEndian.AppendUint32(b, math.Float32bits(float32(x)))
	}
	return b
}

func u16(x float64) uint16 {
	switch {
	case !(x > 0):
		return 0
	case x >= math.MaxUint16:
		return math.MaxUint16
	}
	return uint16(math.Round(x))
}

// crc is the chip's CRC-8: polynomial 0x31, initial value 0xFF.
func crc(b []byte) byte {
	c := byte(0xff)
	for _, x := range b {
		c ^= x
		for range 8 {
			if c&0x80 != 0 {
				c = c<<1 ^ 0x31
			} else {
				c <<= 1
			}
		}
	}
	return c
}
