package sds011

import (
	"math"
	"sync"
	"time"
)

// Values are mass concentrations in µg/m³.
type Values struct {
	PM2_5, PM10 float64
}

// Source gives the air the chip sees at a time.
type Source func(t time.Time) Values

// Defaults used when an Opts field is zero.
const (
	// DefaultPeriod is the time between frames in active mode with a
	// continuous working period, as on the real chip.
	DefaultPeriod = time.Second
	// DefaultID is the device id the chip reports.
	DefaultID = 0xa160
)

// DefaultFirmware is the firmware date the chip reports: 2015-07-10.
var DefaultFirmware = [3]byte{15, 7, 10}

// Opts configures a Chip. The zero value means the defaults above, real
// minutes and the wall clock.
type Opts struct {
	// Period is the time between frames in active mode with a continuous
	// working period; 0 means 1 s.
	Period time.Duration
	// Minute is how long a minute of the working period lasts, so that a
	// simulation need not wait real minutes; 0 means time.Minute.
	Minute time.Duration
	// ID is the device id; 0 means DefaultID.
	ID uint16
	// Firmware is year (two digits), month, day; zero means
	// DefaultFirmware.
	Firmware [3]byte
	// Now is the clock whose time is passed to the Source; nil means
	// time.Now.
	Now func() time.Time
}

// State is what the chip is doing and has done.
type State struct {
	Active bool   // active reporting (frames on its own) rather than query
	Asleep bool   // fan and laser off
	Period int    // working period in minutes; 0 is continuous
	ID     uint16 // device id

	Frames      uint64 // data frames queued for the line
	Replies     uint64 // command replies queued for the line
	Dropped     uint64 // frames and replies dropped because the line was busy
	Commands    uint64 // commands with a good checksum, addressed to this chip
	BadCommands uint64 // 19-byte candidates with a bad checksum or tail
	Ignored     uint64 // good commands not obeyed: unknown, or sent while asleep
}

// Chip is an emulated SDS011. Serve it on one io.ReadWriter at a time.
type Chip struct {
	src    Source
	period time.Duration
	minute time.Duration
	fw     [3]byte
	now    func() time.Time

	mu    sync.Mutex
	state State
}

// New returns a chip, awake, in active mode and continuous, as from the
// factory, that measures src. nil opts means defaults.
func New(src Source, opts *Opts) *Chip {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Period <= 0 {
		o.Period = DefaultPeriod
	}
	if o.Minute <= 0 {
		o.Minute = time.Minute
	}
	if o.ID == 0 {
		o.ID = DefaultID
	}
	if o.Firmware == ([3]byte{}) {
		o.Firmware = DefaultFirmware
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Chip{src: src, period: o.Period, minute: o.Minute, fw: o.Firmware, now: o.Now,
		state: State{Active: true, ID: o.ID}}
}

// State returns a snapshot of the chip's state.
func (c *Chip) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Protocol constants.
const (
	head      = 0xaa
	tail      = 0xab
	kindCmd   = 0xb4
	kindData  = 0xc0
	kindAck   = 0xc5
	frameSize = 10
	cmdSize   = 19

	cmdMode     = 0x02
	cmdQuery    = 0x04
	cmdSetID    = 0x05
	cmdSleep    = 0x06
	cmdFirmware = 0x07
	cmdPeriod   = 0x08

	maxPeriod = 30
)

// frame builds a data frame for v from chip id.
func frame(v Values, id uint16) []byte {
	pm25, pm10 := tenths(v.PM2_5), tenths(v.PM10)
	return ten(kindData, byte(pm25), byte(pm25>>8), byte(pm10), byte(pm10>>8), id)
}

// reply builds AA C5 CMD D1 D2 D3 ID CS AB.
func reply(cmd, d1, d2, d3 byte, id uint16) []byte {
	return ten(kindAck, cmd, d1, d2, d3, id)
}

func ten(kind, a, b, c, d byte, id uint16) []byte {
	f := []byte{head, kind, a, b, c, d, byte(id >> 8), byte(id), 0, tail}
	f[8] = sum(f[2:8])
	return f
}

// tenths rounds x µg/m³ to the nearest tenth, clamping to what two bytes
// hold and turning NaN into 0.
func tenths(x float64) uint16 {
	x *= 10
	switch {
	case !(x > 0):
		return 0
	case x >= math.MaxUint16:
		return math.MaxUint16
	}
	return uint16(math.Round(x))
}

func sum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return s
}

// parser assembles 19-byte commands from a byte stream.
type parser struct {
	buf [cmdSize]byte
	n   int
}

// feed adds one byte. It returns a command with a good checksum and tail
// when b completes one, and reports a 19-byte candidate that was bad.
// After a bad candidate it hunts again from the candidate's second byte.
func (p *parser) feed(b byte) (cmd [cmdSize]byte, ok, bad bool) {
	p.buf[p.n] = b
	p.n++
	for p.n > 0 {
		switch {
		case p.buf[0] != head, p.n > 1 && p.buf[1] != kindCmd:
			p.shift()
			continue
		case p.n < cmdSize:
			return cmd, false, bad
		}
		if p.buf[18] == tail && p.buf[17] == sum(p.buf[2:17]) {
			cmd = p.buf
			p.n = 0
			return cmd, true, bad
		}
		bad = true
		p.shift()
	}
	return cmd, false, bad
}

func (p *parser) shift() {
	copy(p.buf[:], p.buf[1:p.n])
	p.n--
}
