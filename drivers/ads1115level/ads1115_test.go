package ads1115level

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"testing"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

const addr = 0x48

// Traffic of one conversion on channel 0, ±4.096 V, 128 SPS.
var (
	opProbe = i2ctest.IO{Addr: addr, W: []byte{0x01}, R: []byte{0x85, 0x83}} // power-on config
	opStart = i2ctest.IO{Addr: addr, W: []byte{0x01, 0xc3, 0x83}}
	opBusy  = i2ctest.IO{Addr: addr, W: []byte{0x01}, R: []byte{0x43, 0x83}} // OS=0: converting
	opReady = i2ctest.IO{Addr: addr, W: []byte{0x01}, R: []byte{0xc3, 0x83}} // OS=1: done
)

func opResult(hi, lo byte) i2ctest.IO {
	return i2ctest.IO{Addr: addr, W: []byte{0x00}, R: []byte{hi, lo}}
}

// conversion is the traffic of one conversion that is still busy at the
// first poll, as at 128 SPS with a slow oscillator.
func conversion(hi, lo byte) []i2ctest.IO {
	return []i2ctest.IO{opStart, opBusy, opReady, opResult(hi, lo)}
}

// playback returns a bus that replays ops and fails the test unless all
// of them were used.
func playback(t *testing.T, ops ...[]i2ctest.IO) *i2ctest.Playback {
	return sensortest.I2CPlayback(t, ops...)
}

func TestRead(t *testing.T) {
	tests := []struct {
		name    string
		hi, lo  byte
		volts   physic.ElectricPotential
		current physic.ElectricCurrent
		status  Status
	}{
		{"4 mA, live zero", 0x12, 0xc0, 600 * physic.MilliVolt, 4 * physic.MilliAmpere, InRange},
		{"12 mA, mid scale", 0x38, 0x40, 1800 * physic.MilliVolt, 12 * physic.MilliAmpere, InRange},
		{"20 mA, full scale", 0x5d, 0xc0, 3 * physic.Volt, 20 * physic.MilliAmpere, InRange},
		{"3.9 mA, measuring band below 4 mA", 0x12, 0x48, 585 * physic.MilliVolt, 3900 * physic.MicroAmpere, InRange},
		{"3.7 mA, under range", 0x11, 0x58, 555 * physic.MilliVolt, 3700 * physic.MicroAmpere, UnderRange},
		{"20.8 mA, over range", 0x61, 0x80, 3120 * physic.MilliVolt, 20800 * physic.MicroAmpere, OverRange},
		{"broken loop, 0 mA", 0x00, 0x00, 0, 0, FaultLow},
		{"3.0 mA, transmitter low alarm", 0x0e, 0x10, 450 * physic.MilliVolt, 3 * physic.MilliAmpere, FaultLow},
		{"offset below ground", 0xff, 0xfd, -375 * physic.MicroVolt, -2500 * physic.NanoAmpere, FaultLow},
		{"24 mA, short", 0x70, 0x80, 3600 * physic.MilliVolt, 24 * physic.MilliAmpere, FaultHigh},
		{"saturated", 0x7f, 0xff, 4095875 * physic.MicroVolt, 27305833 * physic.NanoAmpere, FaultHigh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := playback(t, []i2ctest.IO{opProbe}, conversion(tt.hi, tt.lo))
			d, err := New(bus, addr, nil)
			if err != nil {
				t.Fatal(err)
			}
			s, err := d.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			raw := int16(binary.BigEndian.Uint16([]byte{tt.hi, tt.lo}))
			if s.Raw != raw || s.Voltage != tt.volts || s.Current != tt.current || s.Status != tt.status {
				t.Errorf("Read = %d, %v, %v, %v; want %d, %v, %v, %v", s.Raw, s.Voltage, s.Current, s.Status, raw, tt.volts, tt.current, tt.status)
			}
		})
	}
}

func TestReadyAtFirstPoll(t *testing.T) {
	bus := playback(t, []i2ctest.IO{opProbe, opStart, opReady, opResult(0x38, 0x40)})
	d, err := New(bus, 0, nil) // 0 means 0x48
	if err != nil {
		t.Fatal(err)
	}
	if s, err := d.Read(context.Background()); err != nil || s.Current != 12*physic.MilliAmpere {
		t.Fatalf("Read = %+v, %v", s, err)
	}
}

func TestConfigBytes(t *testing.T) {
	tests := []struct {
		name   string
		opts   Opts
		hi, lo byte
		fs     physic.ElectricPotential
	}{
		{"defaults: AIN0, 150 Ω → ±4.096 V, 128 SPS", Opts{}, 0xc3, 0x83, 4096 * physic.MilliVolt},
		{"AIN3, 100 Ω → ±4.096 V (not 2.048), 8 SPS", Opts{Channel: 3, Shunt: 100 * physic.Ohm, Rate: 8}, 0xf3, 0x03, 4096 * physic.MilliVolt},
		{"AIN1, 50 Ω → ±2.048 V, 860 SPS", Opts{Channel: 1, Shunt: 50 * physic.Ohm, Rate: 860}, 0xd5, 0xe3, 2048 * physic.MilliVolt},
		{"AIN2, 100 Ω with ±2.048 V given, 475 SPS", Opts{Channel: 2, Shunt: 100 * physic.Ohm, Range: 2048 * physic.MilliVolt, Rate: 475}, 0xe5, 0xc3, 2048 * physic.MilliVolt},
		{"250 Ω → ±6.144 V", Opts{Shunt: 250 * physic.Ohm}, 0xc1, 0x83, 6144 * physic.MilliVolt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := i2ctest.IO{Addr: addr, W: []byte{0x01, tt.hi, tt.lo}}
			bus := playback(t, []i2ctest.IO{opProbe, start, opReady, opResult(0, 0)})
			d, err := New(bus, addr, &tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if d.Range() != tt.fs {
				t.Errorf("Range = %v, want %v", d.Range(), tt.fs)
			}
			if _, err := d.Read(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		addr uint16
		opts Opts
		want string
	}{
		{"address", 0x50, Opts{}, "address 0x50"},
		{"channel", addr, Opts{Channel: 4}, "channel 4"},
		{"negative shunt", addr, Opts{Shunt: -1}, "negative shunt"},
		{"range", addr, Opts{Range: 3 * physic.Volt}, "range 3V is not one of"},
		{"shunt too big", addr, Opts{Shunt: 300 * physic.Ohm}, "beyond the largest range"},
		{"rate", addr, Opts{Rate: 100}, "rate 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(playback(t), tt.addr, &tt.opts)
			if err == nil || !strings.HasPrefix(err.Error(), "ads1115level: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error about %s", err, tt.want)
			}
		})
	}
}

// nackBus is a bus with nobody on it.
type nackBus struct{ i2ctest.Playback }

func (*nackBus) Tx(addr uint16, w, r []byte) error { return errors.New("i2c: no ACK") }

func TestAbsentDevice(t *testing.T) {
	for _, bus := range []i2c.Bus{playback(t), &nackBus{}} {
		_, err := New(bus, addr, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "ads1115level: probe 0x48 on playback: ") {
			t.Errorf("New on an empty bus = %v", err)
		}
	}
}

// busyBus is a chip whose conversion never ends.
type busyBus struct {
	i2ctest.Playback
	polls int
}

func (b *busyBus) Tx(addr uint16, w, r []byte) error {
	if len(r) == 2 {
		b.polls++
		r[0], r[1] = 0x43, 0x83
	}
	return nil
}

func TestConversionNeverEnds(t *testing.T) {
	bus := &busyBus{}
	d, err := New(bus, addr, &Opts{Rate: 860})
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Read(context.Background())
	if err == nil || !strings.Contains(err.Error(), "ads1115level: conversion not done") {
		t.Fatalf("Read = %v", err)
	}
	if bus.polls < 3 {
		t.Errorf("gave up after %d polls", bus.polls)
	}
}

func TestReadHonoursContext(t *testing.T) {
	bus := playback(t, []i2ctest.IO{opProbe, opStart})
	d, err := New(bus, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Read = %v, want context.Canceled", err)
	}
}

func TestStats(t *testing.T) {
	bus := playback(t, []i2ctest.IO{opProbe},
		conversion(0x38, 0x40), conversion(0x00, 0x00), conversion(0x11, 0x58), conversion(0x61, 0x80), conversion(0x70, 0x80), conversion(0x00, 0x10))
	d, err := New(bus, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		if _, err := d.Read(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := Stats{Samples: 6, FaultsLow: 2, FaultsHigh: 1, UnderRange: 1, OverRange: 1}
	if s := d.Stats(); s != want {
		t.Errorf("Stats = %+v, want %+v", s, want)
	}
	if s := d.String(); s != "ads1115level AIN0 at 0x48 on playback (150Ω shunt, ±4.096V, 128 SPS)" {
		t.Errorf("String = %q", s)
	}
	if err := d.Halt(); err != nil {
		t.Error(err)
	}
}

// sharedChip answers like an ADS1115 whose result is the channel last
// configured, so that a conversion interleaved with another channel's
// reads the wrong number.
type sharedChip struct {
	i2ctest.Playback
	mu  sync.Mutex
	mux uint16
}

func (c *sharedChip) Tx(addr uint16, w, r []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case len(w) == 3:
		c.mux = (uint16(w[1])<<8 | uint16(w[2])) >> 12 & 3
	case len(r) == 2 && w[0] == regConfig:
		r[0], r[1] = 0xc3, 0x83
	case len(r) == 2:
		binary.BigEndian.PutUint16(r, 1000*(c.mux+1))
	}
	return nil
}

func TestChannelsOnOneChipTakeTurns(t *testing.T) {
	bus := &sharedChip{}
	var wg sync.WaitGroup
	for ch := range 4 {
		d, err := New(bus, 0x49, &Opts{Channel: ch, Rate: 860})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				s, err := d.Read(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if want := int16(1000 * (ch + 1)); s.Raw != want {
					t.Errorf("AIN%d read %d, another channel's result", ch, s.Raw)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestClassifyBoundaries(t *testing.T) {
	tests := []struct {
		uA   int64
		want Status
	}{
		{3599, FaultLow}, {3600, UnderRange}, {3799, UnderRange}, {3800, InRange},
		{20500, InRange}, {20501, OverRange}, {21000, OverRange}, {21001, FaultHigh},
	}
	for _, tt := range tests {
		if got := Classify(physic.ElectricCurrent(tt.uA) * physic.MicroAmpere); got != tt.want {
			t.Errorf("Classify(%d µA) = %v, want %v", tt.uA, got, tt.want)
		}
	}
	if Status(9).String() != "status(9)" || FaultLow.String() != "loop fault low" || !FaultHigh.Fault() || OverRange.Fault() {
		t.Error("Status names")
	}
}

func TestSpan(t *testing.T) {
	tests := []struct {
		span Span
		uA   int64
		want float64
	}{
		{Span{0, 10}, 4000, 0}, {Span{0, 10}, 20000, 10}, {Span{0, 10}, 12000, 5},
		{Span{0, 10}, 3700, -0.1875}, {Span{2, -2}, 8000, 1}, {Span{-20, 80}, 20800, 85},
	}
	for _, tt := range tests {
		if got := tt.span.Value(physic.ElectricCurrent(tt.uA) * physic.MicroAmpere); got != tt.want {
			t.Errorf("%+v.Value(%d µA) = %v, want %v", tt.span, tt.uA, got, tt.want)
		}
	}
}
