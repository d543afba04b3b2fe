package sensortest

import (
	"errors"
	"slices"
	"testing"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
)

// Bus is an I2C bus handle for a test: a bus (often a Playback) with the
// Close an i2c.BusCloser needs, which it counts. It does not close the
// bus it wraps: I2CPlayback checks that at cleanup.
type Bus struct {
	i2c.Bus
	Closes int
}

// Close implements i2c.BusCloser: it counts, and closes nothing.
func (b *Bus) Close() error { b.Closes++; return nil }

// I2CPlayback returns a bus that replays the groups of ops, in order, and
// fails the test at cleanup unless every one of them was used.
func I2CPlayback(t testing.TB, ops ...[]i2ctest.IO) *i2ctest.Playback {
	t.Helper()
	p := &i2ctest.Playback{Ops: slices.Concat(ops...), DontPanic: true}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// ErrNACK is how a bus reports that no chip acknowledged.
var ErrNACK = errors.New("i2c: remote I/O error (NACK)")

// FaultyBus fails transaction number FailAt (from 0) with Err (ErrNACK
// when nil), the way a bus reports a NACK or a glitch, and hands the
// others to the Playback.
type FaultyBus struct {
	*i2ctest.Playback
	FailAt int
	Err    error
	n      int
}

// Tx implements i2c.Bus.
func (f *FaultyBus) Tx(addr uint16, w, r []byte) error {
	f.n++
	if f.n-1 == f.FailAt {
		if f.Err == nil {
			return ErrNACK
		}
		return f.Err
	}
	return f.Playback.Tx(addr, w, r)
}

// NoChip returns a board whose I2C bus answers nothing, as when no chip
// is at the address: every transaction fails.
func NoChip() *Env { return &Env{Bus: &Bus{Bus: &i2ctest.Playback{DontPanic: true}}} }
