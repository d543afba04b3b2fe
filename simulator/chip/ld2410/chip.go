package ld2410

import (
	"encoding/binary"
	"math"
	"sync"
	"time"
)

// Values are the targets the radar sees. A distance of 0 or less, or NaN,
// means there is no such target.
type Values struct {
	Moving     float64 // distance to a moving target, m
	Stationary float64 // distance to a stationary target, m
}

// Source gives the targets at a time.
type Source func(t time.Time) Values

// DefaultPeriod is the time between reports when Opts.Period is 0: the
// real radar's fixed 100 ms.
const DefaultPeriod = 100 * time.Millisecond

// DefaultFirmware is the version the radar reports: V1.02.22062416.
var DefaultFirmware = Firmware{Type: 0x0100, Major: 1, Minor: 2, Build: 0x22062416}

// Firmware is a version as the read-firmware ACK carries it.
type Firmware struct {
	Type         uint16
	Major, Minor uint8
	Build        uint32
}

// Opts configures a Chip. The zero value means a 100 ms period,
// DefaultFirmware and the wall clock.
type Opts struct {
	// Period is the time between reports; 0 means 100 ms.
	Period time.Duration
	// Firmware is the version to report; zero means DefaultFirmware.
	Firmware Firmware
	// Now is the clock whose time is passed to the Source; nil means
	// time.Now.
	Now func() time.Time
}

// State is what the radar is doing and has done.
type State struct {
	Config bool // in configuration mode: no reports

	Reports     uint64 // reports queued for the line
	Acks        uint64 // ACKs queued for the line
	Dropped     uint64 // reports and ACKs dropped because the line was busy
	Commands    uint64 // well-formed command frames
	BadCommands uint64 // command candidates with a bad length or footer
	Ignored     uint64 // commands other than enable configuration outside configuration mode
}

// Chip is an emulated HLK-LD2410. Serve it on one io.ReadWriter at a
// time.
type Chip struct {
	src    Source
	period time.Duration
	fw     Firmware
	now    func() time.Time

	mu    sync.Mutex
	state State
}

// New returns a radar, reporting, that sees src. nil opts means
// defaults.
func New(src Source, opts *Opts) *Chip {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Period <= 0 {
		o.Period = DefaultPeriod
	}
	if o.Firmware == (Firmware{}) {
		o.Firmware = DefaultFirmware
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Chip{src: src, period: o.Period, fw: o.Firmware, now: o.Now}
}

// State returns a snapshot of the radar's state.
func (c *Chip) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Protocol constants.
const (
	maxPayload = 64

	cmdEnableConfig = 0x00ff
	cmdEndConfig    = 0x00fe
	cmdFirmware     = 0x00a0
	ackBit          = 0x0100
)

var (
	reportHeader = []byte{0xf4, 0xf3, 0xf2, 0xf1}
	reportFooter = []byte{0xf8, 0xf7, 0xf6, 0xf5}
	cmdHeader    = []byte{0xfd, 0xfc, 0xfb, 0xfa}
	cmdFooter    = []byte{0x04, 0x03, 0x02, 0x01}
)

// wrap puts payload between header and footer with its length.
func wrap(header, payload, footer []byte) []byte {
	b := append([]byte(nil), header...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(payload)))
	b = append(b, payload...)
	return append(b, footer...)
}

// report builds a basic report for v.
func report(v Values) []byte {
	var state byte
	mv, st := cm(v.Moving), cm(v.Stationary)
	if mv > 0 {
		state |= 1
	}
	if st > 0 {
		state |= 2
	}
	p := []byte{0x02, 0xaa, state}
	p = binary.LittleEndian.AppendUint16(p, mv)
	p = append(p, energy(mv))
	p = binary.LittleEndian.AppendUint16(p, st)
	p = append(p, energy(st))
	p = binary.LittleEndian.AppendUint16(p, max(mv, st))
	p = append(p, 0x55, 0x00)
	return wrap(reportHeader, p, reportFooter)
}

// ack builds the ACK to command word with status and value.
func ack(word, status uint16, value ...byte) []byte {
	p := binary.LittleEndian.AppendUint16(nil, word|ackBit)
	p = binary.LittleEndian.AppendUint16(p, status)
	return wrap(cmdHeader, append(p, value...), cmdFooter)
}

// cm rounds x metres to whole centimetres, clamping to what two bytes
// hold and turning NaN and non-positive distances into 0 (no target).
func cm(x float64) uint16 {
	x *= 100
	switch {
	case !(x > 0):
		return 0
	case x >= math.MaxUint16:
		return math.MaxUint16
	}
	return uint16(math.Round(x))
}

// energy is a plausible signal strength for a target d cm away: strong
// near, weaker far, never below 10. It is not physical.
func energy(d uint16) byte {
	if d == 0 {
		return 0
	}
	return byte(max(10, 100-int(d)/10))
}

// parser assembles command frames from a byte stream.
type parser struct {
	buf [6 + maxPayload + 4]byte
	n   int
}

// feed adds one byte. It returns the payload of a well-formed command
// frame when b completes one, and reports a candidate whose length or
// footer was wrong. After a bad candidate it hunts again from the
// candidate's second byte.
func (p *parser) feed(b byte) (payload []byte, ok, bad bool) {
	p.buf[p.n] = b
	p.n++
	for p.n > 0 {
		k := min(p.n, 4)
		if string(p.buf[:k]) != string(cmdHeader[:k]) {
			p.shift()
			continue
		}
		if p.n < 6 {
			return nil, false, bad
		}
		n := int(binary.LittleEndian.Uint16(p.buf[4:]))
		if n < 2 || n > maxPayload {
			bad = true
			p.shift()
			continue
		}
		if p.n < 6+n+4 {
			return nil, false, bad
		}
		if string(p.buf[6+n:6+n+4]) != string(cmdFooter) {
			bad = true
			p.shift()
			continue
		}
		payload = append([]byte(nil), p.buf[6:6+n]...)
		p.n = 0
		return payload, true, bad
	}
	return nil, false, bad
}

func (p *parser) shift() {
	copy(p.buf[:], p.buf[1:p.n])
	p.n--
}
