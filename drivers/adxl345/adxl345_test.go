package adxl345

import (
	"errors"
	"math"
	"strings"
	"testing"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

func op(addr uint16, w []byte, r ...byte) i2ctest.IO { return i2ctest.IO{Addr: addr, W: w, R: r} }

// newOps is New's traffic: probe, standby, rate, format, measure.
func newOps(addr uint16, rate, format byte) []i2ctest.IO {
	return []i2ctest.IO{
		op(addr, []byte{0x00}, 0xe5),
		op(addr, []byte{0x2d, 0x00}),
		op(addr, []byte{0x2c, rate}),
		op(addr, []byte{0x31, format}),
		op(addr, []byte{0x2d, 0x08}),
	}
}

// atRest is a lift car standing still: X +5, Y −10, Z +256 counts.
var atRest = []byte{0x05, 0x00, 0xf6, 0xff, 0x00, 0x01}

// playback returns a bus that replays ops and fails the test unless all
// of them were used.
func playback(t *testing.T, ops ...[]i2ctest.IO) *i2ctest.Playback {
	return sensortest.I2CPlayback(t, ops...)
}

var errNACK = sensortest.ErrNACK

// faulty fails a transaction on cue: see sensortest.FaultyBus.
type faulty = sensortest.FaultyBus

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestNewAndRead(t *testing.T) {
	tests := []struct {
		name   string
		opts   *Opts
		addr   uint16
		rate   byte
		format byte
		str    string
	}{
		{"defaults", nil, 0x53, 0x0a, 0x08, "adxl345 ±2g 100Hz on playback(83)"},
		{"16 g at 3200 Hz, alt address", &Opts{Addr: AltAddr, Range: 16, Rate: 3200 * physic.Hertz}, 0x1d, 0x0f, 0x0b, "adxl345 ±16g 3.200kHz on playback(29)"},
		{"4 g at 6.25 Hz", &Opts{Range: 4, Rate: 6250 * physic.MilliHertz}, 0x53, 0x06, 0x09, "adxl345 ±4g 6.250Hz on playback(83)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := playback(t, newOps(tt.addr, tt.rate, tt.format), []i2ctest.IO{op(tt.addr, []byte{0x32}, atRest...), op(tt.addr, []byte{0x2d, 0x00})})
			d, err := New(bus, tt.opts)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if d.String() != tt.str {
				t.Errorf("String = %q, want %q", d.String(), tt.str)
			}
			s, err := d.Read()
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if s.Raw != [3]int16{5, -10, 256} || s.Suspect() {
				t.Errorf("Read = %+v", s)
			}
			// 3.9 mg × 9.80665 m/s² per count.
			if !near(s.X, 0.191229675) || !near(s.Y, -0.38245935) || !near(s.Z, 9.79095936) {
				t.Errorf("Read = %v, %v, %v m/s²", s.X, s.Y, s.Z)
			}
			if err := d.Halt(); err != nil {
				t.Fatalf("Halt: %v", err)
			}
			if st := d.Stats(); st != (Stats{Reads: 1}) {
				t.Errorf("Stats = %+v", st)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name   string
		opts   *Opts
		ops    []i2ctest.IO
		failAt int
		is     error
		says   string
	}{
		{"absent", nil, nil, 0, errNACK, "read DEVID"},
		{"wrong chip", nil, []i2ctest.IO{op(0x53, []byte{0x00}, 0x68)}, -1, ErrProbe, "DEVID 0x68"},
		{"bus error while configuring", nil, newOps(0x53, 0x0a, 0x08)[:3], 3, errNACK, "DATA_FORMAT"},
		{"bad range", &Opts{Range: 3}, nil, -1, nil, "range ±3 g"},
		{"bad rate", &Opts{Rate: 150 * physic.Hertz}, nil, -1, nil, "rate 150Hz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(&faulty{Playback: playback(t, tt.ops), FailAt: tt.failAt}, tt.opts)
			sensortest.CheckErr(t, "New", err, tt.is, "adxl345: ", tt.says)
		})
	}
}

func TestReadErrorsAndRange(t *testing.T) {
	bus := &faulty{Playback: playback(t, newOps(0x53, 0x0a, 0x08), []i2ctest.IO{
		// ±2 g: −512 and 511 are the ends of the range, 512 is beyond it,
		// 510 is within.
		op(0x53, []byte{0x32}, 0x00, 0xfe, 0xff, 0x01, 0x00, 0x02),
		op(0x53, []byte{0x32}, 0x01, 0xfe, 0xfe, 0x01, 0x00, 0x00),
	}), FailAt: 7}
	d, err := New(bus, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Read()
	if err != nil {
		t.Fatal(err)
	}
	if s.Raw != [3]int16{-512, 511, 512} || s.OutOfRange != [3]bool{true, true, true} {
		t.Errorf("Read = %+v", s)
	}
	if s, err = d.Read(); err != nil || s.Raw != [3]int16{-511, 510, 0} || s.Suspect() {
		t.Errorf("Read = %+v, %v", s, err)
	}
	if _, err := d.Read(); !errors.Is(err, errNACK) || !strings.Contains(err.Error(), "DATAX0") {
		t.Errorf("Read on a failing bus = %v", err)
	}
	if st := d.Stats(); st != (Stats{Reads: 2, Suspect: 3}) {
		t.Errorf("Stats = %+v", st)
	}
}

func TestDecodeSample(t *testing.T) {
	tests := []struct {
		rangeG int
		b      []byte
		raw    [3]int16
		out    [3]bool
	}{
		{16, []byte{0xfe, 0x0f, 0x00, 0xf0, 0x00, 0x10}, [3]int16{4094, -4096, 4096}, [3]bool{false, true, true}},
		{8, []byte{0xff, 0x07, 0x01, 0xf8, 0xff, 0xf7}, [3]int16{2047, -2047, -2049}, [3]bool{true, false, true}},
		{4, []byte{0xfe, 0x03, 0x01, 0xfc, 0xff, 0x7f}, [3]int16{1022, -1023, 32767}, [3]bool{false, false, true}},
	}
	for _, tt := range tests {
		s, err := decodeSample(tt.b, tt.rangeG)
		if err != nil || s.Raw != tt.raw || s.OutOfRange != tt.out {
			t.Errorf("±%d g: decodeSample(% x) = %+v, %v", tt.rangeG, tt.b, s, err)
		}
	}
	if _, err := decodeSample(atRest[:5], 2); err == nil {
		t.Error("decodeSample of 5 bytes succeeded")
	}
}
