package pms5003

import (
	"encoding/binary"
	"math"
	"sync"
	"time"
)

// Values are mass concentrations in µg/m³ (atmospheric environment).
type Values struct {
	PM1, PM2_5, PM10 float64
}

// Source gives the air the chip sees at a time.
type Source func(t time.Time) Values

// DefaultPeriod is the active-mode frame period when Opts.Period is 0.
// The real chip's is ~2.3 s; the simulator's default is shorter.
const DefaultPeriod = time.Second

// Opts configures a Chip. The zero value means a 1 s period and the
// wall clock.
type Opts struct {
	// Period is the time between frames in active mode; 0 means 1 s.
	Period time.Duration
	// Now is the clock whose time is passed to the Source; nil means
	// time.Now.
	Now func() time.Time
}

// State is what the chip is doing and has done.
type State struct {
	Active bool // active mode (frames on its own) rather than passive
	Asleep bool // fan and laser off; no frames

	Frames      uint64 // data frames queued for the line
	Replies     uint64 // command replies queued for the line
	Dropped     uint64 // frames and replies dropped because the line was busy
	Commands    uint64 // commands with a good check
	BadCommands uint64 // 7-byte commands with a bad check
}

// Chip is an emulated PMS5003. Serve it on one io.ReadWriter at a time.
type Chip struct {
	src    Source
	period time.Duration
	now    func() time.Time

	mu    sync.Mutex
	state State
}

// New returns a chip, awake and in active mode, that measures src.
// nil opts means defaults.
func New(src Source, opts *Opts) *Chip {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Period <= 0 {
		o.Period = DefaultPeriod
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Chip{src: src, period: o.Period, now: o.Now, state: State{Active: true}}
}

// State returns a snapshot of the chip's state.
func (c *Chip) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Protocol constants.
const (
	start1    = 0x42
	start2    = 0x4d
	frameSize = 32
	cmdSize   = 7

	cmdMode  = 0xe1
	cmdRead  = 0xe2
	cmdSleep = 0xe4
)

// frame builds a data frame for v.
func frame(v Values) []byte {
	atm := [3]float64{v.PM1, v.PM2_5, v.PM10}
	b := make([]byte, frameSize)
	b[0], b[1] = start1, start2
	put := func(off int, x float64) { binary.BigEndian.PutUint16(b[off:], u16(x)) }
	put(2, frameSize-4)
	for i, x := range atm {
		put(4+2*i, cf1(x))
		put(10+2*i, x)
	}
	for i, n := range counts(v) {
		put(16+2*i, n)
	}
	b[28], b[29] = 0x97, 0x00
	binary.BigEndian.PutUint16(b[30:], sum(b[:30]))
	return b
}

// reply builds the 8-byte answer to a mode or sleep command.
func reply(cmd, data byte) []byte {
	b := []byte{start1, start2, 0x00, 0x04, cmd, data, 0, 0}
	binary.BigEndian.PutUint16(b[6:], sum(b[:6]))
	return b
}

// cf1 is the "CF=1" value the real chip pairs with an atmospheric one:
// the same at low concentrations, higher beyond ~30 µg/m³.
func cf1(atm float64) float64 {
	if atm <= 30 {
		return atm
	}
	return 30 + (atm-30)*1.5
}

// counts derives particles per 0.1 L beyond 0.3, 0.5, 1.0, 2.5, 5 and
// 10 µm from the mass in each size band. The factors are chosen so that
// the numbers look like a real chip's for ordinary urban air.
func counts(v Values) [6]float64 {
	fine := math.Max(v.PM1, 0)
	mid := math.Max(v.PM2_5-v.PM1, 0)
	coarse := math.Max(v.PM10-v.PM2_5, 0)
	var n [6]float64
	n[5] = 0.1 * coarse
	n[4] = n[5] + 0.6*coarse
	n[3] = n[4] + 2.5*coarse + 3*mid
	n[2] = n[3] + 30*mid + 10*fine
	n[1] = n[2] + 60*fine
	n[0] = n[1] + 150*fine
	return n
}

// u16 rounds x to the nearest uint16, clamping out-of-range values and
// turning NaN into 0.
func u16(x float64) uint16 {
	switch {
	case !(x > 0):
		return 0
	case x >= math.MaxUint16:
		return math.MaxUint16
	}
	return uint16(math.Round(x))
}

func sum(b []byte) uint16 {
	var s uint16
	for _, c := range b {
		s += uint16(c)
	}
	return s
}

// parser assembles 7-byte commands from a byte stream.
type parser struct {
	buf [cmdSize]byte
	n   int
}

// feed adds one byte. It returns a command with a good check when b
// completes one, and reports a 7-byte candidate whose check was wrong.
// After a bad candidate it hunts again from the candidate's second byte.
func (p *parser) feed(b byte) (cmd [cmdSize]byte, ok, bad bool) {
	p.buf[p.n] = b
	p.n++
	for p.n > 0 {
		switch {
		case p.buf[0] != start1, p.n > 1 && p.buf[1] != start2:
			p.shift()
			continue
		case p.n < cmdSize:
			return cmd, false, bad
		}
		if binary.BigEndian.Uint16(p.buf[5:]) == sum(p.buf[:5]) {
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
