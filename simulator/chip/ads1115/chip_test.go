package ads1115

import (
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/simulator/chip/chiptest"
)

// clock is a settable time for the chip: see chiptest.Clock.
type clock = chiptest.Clock

func newChip(t *testing.T, slow float64) (*Chip, *clock) {
	t.Helper()
	clk := chiptest.NewClock(time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC))
	return New(&Opts{Now: clk.Now, Slow: slow}), clk
}

func reg(t *testing.T, c *Chip, ptr byte) uint16 {
	t.Helper()
	var b [2]byte
	if err := c.Tx([]byte{ptr}, b[:]); err != nil {
		t.Fatal(err)
	}
	return uint16(b[0])<<8 | uint16(b[1])
}

func TestPowerOn(t *testing.T) {
	c, _ := newChip(t, 0)
	for ptr, want := range map[byte]uint16{RegConversion: 0, RegConfig: 0x8583, RegLoThresh: 0x8000, RegHiThresh: 0x7fff} {
		if got := reg(t, c, ptr); got != want {
			t.Errorf("register %d = %#04x, want %#04x", ptr, got, want)
		}
	}
	if err := c.Tx([]byte{0x04}, make([]byte, 2)); err == nil {
		t.Error("pointer 4 accepted")
	}
	// A read with no pointer write reads the register last pointed at.
	reg(t, c, RegHiThresh)
	var b [4]byte
	if err := c.Tx(nil, b[:]); err != nil || b != [4]byte{0x7f, 0xff, 0x7f, 0xff} {
		t.Errorf("read on = % x, %v", b, err)
	}
}

func TestSingleShot(t *testing.T) {
	c, clk := newChip(t, 0)
	c.SetInput(0, Volts(1800*physic.MilliVolt))
	c.SetInput(2, Volts(-10*physic.Volt))
	// AIN0, ±4.096 V, 128 SPS: 7.8125 ms + 25 µs.
	if err := c.Tx([]byte{0x01, 0xc3, 0x83}, nil); err != nil {
		t.Fatal(err)
	}
	if cfg := reg(t, c, RegConfig); cfg != 0x4383 {
		t.Errorf("config while converting = %#04x, want OS=0: 0x4383", cfg)
	}
	if got := reg(t, c, RegConversion); got != 0 {
		t.Errorf("conversion while converting = %#04x, want the previous result", got)
	}
	c.Tx([]byte{0x01, 0xd3, 0x83}, nil) // AIN1: ignored while busy
	clk.Add(7800 * time.Microsecond)
	if cfg := reg(t, c, RegConfig); cfg&0x8000 != 0 {
		t.Error("done before 1/DR + 25 µs")
	}
	clk.Add(40 * time.Microsecond)
	if cfg := reg(t, c, RegConfig); cfg != 0xd383 {
		t.Errorf("config after = %#04x, want OS=1 with the bits last written", cfg)
	}
	if got := reg(t, c, RegConversion); got != 14400 {
		t.Errorf("1.8 V at ±4.096 V = %d, want 14400", got)
	}
	st := c.State()
	if st.Conversions != 1 || st.IgnoredStarts != 1 || st.StaleReads != 1 || st.BusyReads != 2 {
		t.Errorf("State = %+v", st)
	}
	// AIN2 at −10 V saturates at 0x8000.
	c.Tx([]byte{0x01, 0xe3, 0x83}, nil)
	clk.Add(10 * time.Millisecond)
	if got := reg(t, c, RegConversion); got != 0x8000 {
		t.Errorf("−10 V = %#04x, want 0x8000", got)
	}
}

func TestCodes(t *testing.T) {
	tests := []struct {
		name   string
		config uint16
		ain    [4]physic.ElectricPotential
		want   int16
	}{
		{"AIN0 ±6.144 V", 0xc183, [4]physic.ElectricPotential{3 * physic.Volt}, 16000},
		{"AIN3 ±2.048 V", 0xf583, [4]physic.ElectricPotential{3: physic.Volt}, 16000},
		{"AIN1 ±0.256 V saturates", 0xdb83, [4]physic.ElectricPotential{1: physic.Volt}, 32767},
		{"AIN0−AIN1", 0x8383, [4]physic.ElectricPotential{2 * physic.Volt, 3 * physic.Volt}, -8000},
		{"AIN2−AIN3", 0xb383, [4]physic.ElectricPotential{2: 500 * physic.MilliVolt}, 4000},
	}
	for _, tt := range tests {
		c, clk := newChip(t, 0)
		for i, v := range tt.ain {
			c.SetInput(i, Volts(v))
		}
		c.Tx([]byte{0x01, byte(tt.config >> 8), byte(tt.config)}, nil)
		clk.Add(10 * time.Millisecond)
		if got := int16(reg(t, c, RegConversion)); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestContinuousAndSlow(t *testing.T) {
	c, clk := newChip(t, 0.11)
	l := NewLoop(150*physic.Ohm, 0, 10, Constant(5))
	c.SetInput(0, l)
	c.Tx([]byte{0x01, 0x42, 0x83}, nil) // AIN0, ±4.096 V, continuous
	if got := reg(t, c, RegConversion); got != 14400 {
		t.Errorf("continuous = %d, want 14400", got)
	}
	if cfg := reg(t, c, RegConfig); cfg&0x8000 != 0 {
		t.Error("OS reads 1 in continuous mode")
	}
	// Single-shot on an 11% slow chip: not done at 1/DR + 10%.
	c.Tx([]byte{0x01, 0xc3, 0x83}, nil)
	clk.Add(time.Second / 128 * 110 / 100)
	if cfg := reg(t, c, RegConfig); cfg&0x8000 != 0 {
		t.Error("a slow chip finished within 1/DR + 10%")
	}
	clk.Add(time.Millisecond)
	if cfg := reg(t, c, RegConfig); cfg&0x8000 == 0 {
		t.Error("a slow chip not done at 1/DR + 11% + 25 µs")
	}
}

func TestThresholdRegisters(t *testing.T) {
	c, _ := newChip(t, 0)
	c.Tx([]byte{0x02, 0x12, 0x34}, nil)
	c.Tx([]byte{0x00, 0xff, 0xff}, nil) // the conversion register is read-only
	if reg(t, c, RegLoThresh) != 0x1234 || reg(t, c, RegConversion) != 0 {
		t.Error("register writes")
	}
}

func TestLoop(t *testing.T) {
	now := time.Now()
	level := 2.5
	l := NewLoop(150*physic.Ohm, 0, 10, func(time.Time) float64 { return level })
	tests := []struct {
		do   func()
		want physic.ElectricCurrent
	}{
		{func() {}, 8 * physic.MilliAmpere},
		{func() { level = 10 }, 20 * physic.MilliAmpere},
		{func() { level = 12 }, SaturateHigh},
		{func() { level = -1 }, SaturateLow},
		{func() { l.Break() }, 0},
		{func() { l.Force(ShortCurrent) }, 25 * physic.MilliAmpere},
		{func() { l.Force(AlarmLow) }, 3 * physic.MilliAmpere},
		{func() { l.Repair(); l.Transmit(Constant(5)) }, 12 * physic.MilliAmpere},
	}
	for i, tt := range tests {
		tt.do()
		if got := l.Current(now); got != tt.want {
			t.Errorf("step %d: %v, want %v", i, got, tt.want)
		}
	}
	if v := l.Voltage(now); v != 1800*physic.MilliVolt {
		t.Errorf("12 mA × 150 Ω = %v", v)
	}
}
