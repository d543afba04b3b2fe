package sps30

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

// Bytes as they cross the bus, written out by hand from the datasheet
// (CRC-8 poly 0x31 init 0xFF after every word), not computed by the code
// under test.
var (
	wSerial    = []byte{0xd0, 0x33}
	wReset     = []byte{0xd3, 0x04}
	wStart     = []byte{0x00, 0x10, 0x03, 0x00, 0xac}
	wStop      = []byte{0x01, 0x04}
	wReady     = []byte{0x02, 0x02}
	wValues    = []byte{0x03, 0x00}
	wAutoClean = []byte{0x80, 0x04}
	wFanClean  = []byte{0x56, 0x07}
	// 48 h = 172800 s = 0x0002A300.
	wClean48h = []byte{0x80, 0x04, 0x00, 0x02, 0xe3, 0xa3, 0x00, 0x53}
	wCleanOff = []byte{0x80, 0x04, 0x00, 0x00, 0x81, 0x00, 0x00, 0x81}

	readyYes = []byte{0x00, 0x01, 0xb0}
	readyNo  = []byte{0x00, 0x00, 0x81}
	// 604800 s = 168 h = 0x00093A80.
	interval168h = []byte{0x00, 0x09, 0x09, 0x3a, 0x80, 0xa7}

	// "ABCDEF0123456789" and NULs.
	serialReply = []byte{
		0x41, 0x42, 0xa3, 0x43, 0x44, 0xdc, 0x45, 0x46, 0xe4, 0x30, 0x31, 0xc7,
		0x32, 0x33, 0x7c, 0x34, 0x35, 0x80, 0x36, 0x37, 0x3b, 0x38, 0x39, 0x49,
		0x00, 0x00, 0x81, 0x00, 0x00, 0x81, 0x00, 0x00, 0x81, 0x00, 0x00, 0x81,
		0x00, 0x00, 0x81, 0x00, 0x00, 0x81, 0x00, 0x00, 0x81, 0x00, 0x00, 0x81,
	}

	// A hazy day: PM1 12.5, PM2.5 23.25, PM4 30.5, PM10 34.75 µg/m³;
	// NC0.5 80.125, NC1 95.5, NC2.5 98.25, NC4 99, NC10 99.5 /cm³;
	// typical size 0.625 µm.
	valuesReply = []byte{
		0x41, 0x48, 0x78, 0x00, 0x00, 0x81, // 12.5 = 0x41480000
		0x41, 0xba, 0x98, 0x00, 0x00, 0x81, // 23.25 = 0x41BA0000
		0x41, 0xf4, 0xba, 0x00, 0x00, 0x81, // 30.5 = 0x41F40000
		0x42, 0x0b, 0x3b, 0x00, 0x00, 0x81, // 34.75 = 0x420B0000
		0x42, 0xa0, 0x2d, 0x40, 0x00, 0x08, // 80.125 = 0x42A04000
		0x42, 0xbf, 0x40, 0x00, 0x00, 0x81, // 95.5 = 0x42BF0000
		0x42, 0xc4, 0x52, 0x80, 0x00, 0xa2, // 98.25 = 0x42C48000
		0x42, 0xc6, 0x30, 0x00, 0x00, 0x81, // 99 = 0x42C60000
		0x42, 0xc7, 0x01, 0x00, 0x00, 0x81, // 99.5 = 0x42C70000
		0x3f, 0x20, 0x2c, 0x00, 0x00, 0x81, // 0.625 = 0x3F200000
	}
	hazy = Measurement{
		PM1: 12.5, PM2_5: 23.25, PM4: 30.5, PM10: 34.75,
		NC0_5: 80.125, NC1: 95.5, NC2_5: 98.25, NC4: 99, NC10: 99.5,
		TypicalSize: 0.625,
	}
)

func w(b []byte) i2ctest.IO { return i2ctest.IO{Addr: DefaultAddr, W: b} }
func r(b []byte) i2ctest.IO { return i2ctest.IO{Addr: DefaultAddr, R: b} }

// readOps is a "set pointer & read data" transfer: two transactions.
func readOps(cmd, reply []byte) []i2ctest.IO { return []i2ctest.IO{w(cmd), r(reply)} }

// newOps is New's traffic with the chip answering well.
func newOps(clean []byte) []i2ctest.IO {
	ops := append(readOps(wSerial, serialReply), w(wReset))
	if clean != nil {
		ops = append(ops, w(clean))
	}
	return append(ops, w(wStart))
}

func ops(groups ...[]i2ctest.IO) []i2ctest.IO { return slices.Concat(groups...) }

func with(b []byte, i int, v byte) []byte {
	c := append([]byte(nil), b...)
	c[i] = v
	return c
}

// playback returns a bus that replays ops and fails the test unless all
// of them were used.
func playback(t *testing.T, ops []i2ctest.IO) *i2ctest.Playback {
	return sensortest.I2CPlayback(t, ops)
}

var errNACK = sensortest.ErrNACK

// faulty fails a transaction on cue: see sensortest.FaultyBus.
type faulty = sensortest.FaultyBus

// sleeps records the waits a Dev asks for instead of waiting, and keeps a
// clock that they move on.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
	t  time.Time
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.t = s.t.Add(d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t
}

func (s *sleeps) total() time.Duration {
	var t time.Duration
	for _, d := range s.d {
		t += d
	}
	return t
}

// devOn returns a Dev on bus as New leaves it, without New's traffic.
func devOn(bus i2c.Bus, s *sleeps) *Dev {
	return &Dev{
		c: &i2c.Dev{Bus: bus, Addr: DefaultAddr}, serial: "ABCDEF0123456789",
		ready: DefaultReadyTimeout, poll: DefaultPollInterval, sleep: s.sleep, now: s.now,
	}
}
