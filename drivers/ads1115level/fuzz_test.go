package ads1115level

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"
)

// replyBus answers every read with the next bytes of a chip's replies,
// and fails once they run out.
type replyBus struct {
	i2ctest.Playback
	data []byte
}

func (b *replyBus) Tx(addr uint16, w, r []byte) error {
	if len(r) > len(b.data) {
		return errors.New("chip fell silent")
	}
	copy(r, b.data)
	b.data = b.data[len(r):]
	return nil
}

// FuzzRead feeds arbitrary register contents (the probe, ready polls and
// the conversion) to a Dev at 860 SPS. It must never panic, and a sample
// it returns must agree with its raw value and with Classify.
func FuzzRead(f *testing.F) {
	f.Add([]byte{0x85, 0x83, 0xc3, 0x83, 0x38, 0x40}, uint16(150), uint8(1))
	f.Add([]byte{0x85, 0x83, 0x43, 0x83, 0x43, 0x83, 0xc3, 0x83, 0x00, 0x00}, uint16(100), uint8(1))
	f.Add([]byte{0x85, 0x83, 0x80, 0x00, 0x7f, 0xff}, uint16(250), uint8(0))
	f.Add([]byte{0x85, 0x83, 0xff, 0xff, 0x80, 0x00}, uint16(50), uint8(2))
	f.Add([]byte{0x85, 0x83, 0x43}, uint16(150), uint8(5))
	f.Add([]byte{}, uint16(0), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, ohms uint16, pga uint8) {
		opts := &Opts{Shunt: physic.ElectricResistance(ohms) * physic.Ohm, Range: Ranges[int(pga)%len(Ranges)], Rate: 860}
		d, err := New(&replyBus{data: data}, addr, opts)
		if err != nil {
			return
		}
		d.wait = func(context.Context, time.Duration) error { return nil }
		s, err := d.Read(context.Background())
		if err != nil {
			return
		}
		fs := d.Range()
		if s.Voltage > fs || s.Voltage < -fs {
			t.Fatalf("raw %d gave %v, beyond ±%v", s.Raw, s.Voltage, fs)
		}
		if (s.Raw < 0) != (s.Current < 0) || (s.Raw < 0) != (s.Voltage < 0) {
			t.Fatalf("raw %d gave %v, %v", s.Raw, s.Voltage, s.Current)
		}
		switch s.Raw {
		case math.MaxInt16:
			if s.Status != FaultHigh {
				t.Fatalf("saturated, status %v", s.Status)
			}
		case math.MinInt16:
			if s.Status != FaultLow {
				t.Fatalf("negative full scale, status %v", s.Status)
			}
		default:
			if s.Status != Classify(s.Current) {
				t.Fatalf("%v classified %v", s.Current, s.Status)
			}
		}
	})
}
