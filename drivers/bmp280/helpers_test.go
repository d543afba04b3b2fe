package bmp280

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

// The BMP280 datasheet's worked example (§3.12): trimming parameters
// dig_T1 27504, dig_T2 26435, dig_T3 −1000, dig_P1 36477, dig_P2 −10685,
// dig_P3 3024, dig_P4 2855, dig_P5 140, dig_P6 −7, dig_P7 15500,
// dig_P8 −14600, dig_P9 6000, little-endian from 0x88; 0xA0 reserved;
// 0xA1 dig_H1 (75 on our BME280).
var (
	calibBMP = []byte{
		0x70, 0x6b, 0x43, 0x67, 0x18, 0xfc,
		0x7d, 0x8e, 0x43, 0xd6, 0xd0, 0x0b, 0x27, 0x0b, 0x8c, 0x00,
		0xf9, 0xff, 0x8c, 0x3c, 0xf8, 0xc6, 0x70, 0x17,
		0x00, 0x00,
	}
	calibBME = append(append([]byte(nil), calibBMP[:25]...), 0x4b)
	// dig_H2 362, dig_H3 0, dig_H4 313 (0x13<<4 | 0x9), dig_H5 50
	// (0x03<<4 | 0x2), dig_H6 30.
	calibHum = []byte{0x6a, 0x01, 0x00, 0x13, 0x29, 0x03, 0x1e}

	// adc_P 415148 = 0x655AC, adc_T 519888 = 0x7EED0: 25.08 °C and
	// 25767233/256 Pa = 100653.25390625 Pa by the 64-bit integer formula
	// (the datasheet's floating-point formula gives 100653.27 Pa).
	dataBMP = []byte{0x65, 0x5a, 0xc0, 0x7e, 0xed, 0x00}
	// … and adc_H 0x6A3D: 40323/1024 % = 39.3779296875 %.
	dataBME = []byte{0x65, 0x5a, 0xc0, 0x7e, 0xed, 0x00, 0x6a, 0x3d}
)

func op(w []byte, r ...byte) i2ctest.IO { return i2ctest.IO{Addr: DefaultAddr, W: w, R: r} }

// newOps is New's traffic for a BMP280 (nil hum) or a BME280, with
// ctrl_meas (sleep mode) ctrl and ctrl_hum osrsH.
func newOps(id byte, hum []byte, ctrl, osrsH byte) []i2ctest.IO {
	ops := []i2ctest.IO{op([]byte{0xd0}, id)}
	if hum == nil {
		return append(ops, op([]byte{0x88}, calibBMP...), op([]byte{0xf4, ctrl, 0xf5, 0x00}))
	}
	return append(ops, op([]byte{0x88}, calibBME...), op([]byte{0xe1}, hum...), op([]byte{0xf2, osrsH, 0xf4, ctrl, 0xf5, 0x00}))
}

// senseOps is one Sense: forced mode, status polls, burst read.
func senseOps(ctrl byte, data []byte, busy int) []i2ctest.IO {
	ops := []i2ctest.IO{op([]byte{0xf4, ctrl | 1})}
	for range busy {
		ops = append(ops, op([]byte{0xf3}, 0x08))
	}
	return append(ops, op([]byte{0xf3}, 0x00), op([]byte{0xf7}, data...))
}

func ops(groups ...[]i2ctest.IO) []i2ctest.IO { return slices.Concat(groups...) }

// playback returns a bus that replays ops and fails the test unless all
// of them were used.
func playback(t *testing.T, ops ...[]i2ctest.IO) *i2ctest.Playback {
	return sensortest.I2CPlayback(t, ops...)
}

var errNACK = sensortest.ErrNACK

// faulty fails a transaction on cue: see sensortest.FaultyBus.
type faulty = sensortest.FaultyBus

// sleeps records waits instead of waiting and moves a clock by them.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
	t  time.Time
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	s.t = s.t.Add(d)
	return ctx.Err()
}

func (s *sleeps) now() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.t }

// newTest is New with recorded sleeps.
func newTest(t *testing.T, bus i2c.Bus, opts *Opts) (*Dev, *sleeps) {
	t.Helper()
	d, err := New(bus, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s := &sleeps{}
	d.sleep, d.now = s.sleep, s.now
	return d, s
}
