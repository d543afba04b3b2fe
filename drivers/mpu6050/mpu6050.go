package mpu6050

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"
)

// I2C addresses: AD0 low (the default) or high.
const (
	DefaultAddr = 0x68
	AltAddr     = 0x69
)

// Defaults for Opts fields left zero.
const (
	DefaultAccelRange = 2   // ±2 g
	DefaultGyroRange  = 250 // ±250 °/s
	DefaultBandwidth  = 44  // Hz, DLPF_CFG 3 (gyro 42 Hz)
)

// Waits: after DEVICE_RESET the registers need 100 ms (the register map's
// PWR_MGMT_1 note and the product specification's start-up time for
// register read/write); after waking, the gyroscope needs its 30 ms
// start-up time (product specification Table 6.1) before the first
// sample means anything.
const (
	resetTime = 100 * time.Millisecond
	startTime = 35 * time.Millisecond
)

// Opts configures a Dev. The zero value means address 0x68, ±2 g,
// ±250 °/s and a 44 Hz bandwidth.
type Opts struct {
	// Addr is the I2C address, DefaultAddr or AltAddr; 0 means DefaultAddr.
	Addr uint16
	// AccelRange is the accelerometer full scale in g: 2, 4, 8 or 16; 0
	// means DefaultAccelRange.
	AccelRange int
	// GyroRange is the gyroscope full scale in °/s: 250, 500, 1000 or
	// 2000; 0 means DefaultGyroRange.
	GyroRange int
	// Bandwidth is the accelerometer's digital low-pass filter bandwidth
	// in Hz: 260, 184, 94, 44, 21, 10 or 5 (the gyroscope's is close to
	// it); 0 means DefaultBandwidth.
	Bandwidth int
}

// Stats counts what a Dev has seen since New.
type Stats struct {
	Reads   uint64 // bursts read
	Suspect uint64 // values marked in Sample.Suspect
}

// Dev is an MPU-6050 on an I2C bus, awake and sampling. Its methods are
// safe for concurrent use.
type Dev struct {
	d               *i2c.Dev
	accelG, gyroDPS int
	bandwidth       int

	mu    sync.Mutex
	stats struct{ reads, suspect atomic.Uint64 }
}

var _ conn.Resource = (*Dev)(nil)

// New probes WHO_AM_I, resets the chip, wakes it with the X gyroscope's
// PLL as its clock, sets the low-pass filter and both ranges, and waits
// for the gyroscope to start. nil opts means the zero Opts. New takes
// about 135 ms.
func New(bus i2c.Bus, opts *Opts) (*Dev, error) {
	return newDev(bus, opts, time.Sleep)
}

// newDev is New with the way to wait; tests pass one that only records.
func newDev(bus i2c.Bus, opts *Opts, sleep func(time.Duration)) (*Dev, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Addr == 0 {
		o.Addr = DefaultAddr
	}
	if o.AccelRange == 0 {
		o.AccelRange = DefaultAccelRange
	}
	if o.GyroRange == 0 {
		o.GyroRange = DefaultGyroRange
	}
	if o.Bandwidth == 0 {
		o.Bandwidth = DefaultBandwidth
	}
	afs, ok1 := accelSel[o.AccelRange]
	fs, ok2 := gyroSel[o.GyroRange]
	cfg, ok3 := dlpf[o.Bandwidth]
	switch {
	case !ok1:
		return nil, fmt.Errorf("mpu6050: accelerometer range ±%d g, want 2, 4, 8 or 16", o.AccelRange)
	case !ok2:
		return nil, fmt.Errorf("mpu6050: gyroscope range ±%d °/s, want 250, 500, 1000 or 2000", o.GyroRange)
	case !ok3:
		return nil, fmt.Errorf("mpu6050: bandwidth %d Hz, want 260, 184, 94, 44, 21, 10 or 5", o.Bandwidth)
	}
	d := &Dev{d: &i2c.Dev{Bus: bus, Addr: o.Addr}, accelG: o.AccelRange, gyroDPS: o.GyroRange, bandwidth: o.Bandwidth}
	var id [1]byte
	if err := d.d.Tx([]byte{regWhoAmI}, id[:]); err != nil {
		return nil, fmt.Errorf("mpu6050: read WHO_AM_I (probe at %s): %w", d.d, err)
	}
	if id[0] != whoAmI {
		return nil, fmt.Errorf("%w: WHO_AM_I %#02x at %s, want %#02x", ErrProbe, id[0], d.d, whoAmI)
	}
	// Reset first, so that no setting of an earlier run survives.
	if err := d.write("PWR_MGMT_1 (reset)", regPwrMgmt1, deviceReset); err != nil {
		return nil, err
	}
	sleep(resetTime)
	for _, w := range []struct {
		name     string
		reg, val byte
	}{
		{"PWR_MGMT_1 (wake)", regPwrMgmt1, clkPLLGyroX},
		{"CONFIG", regConfig, cfg},
		{"GYRO_CONFIG", regGyroConfig, fs << 3},
		{"ACCEL_CONFIG", regAccelConfig, afs << 3},
	} {
		if err := d.write(w.name, w.reg, w.val); err != nil {
			return nil, err
		}
	}
	sleep(startTime)
	return d, nil
}

// Read reads the 14 data registers from ACCEL_XOUT_H in one transaction
// (register address, repeated start, 14 bytes), so that all seven values
// come from the same sample.
func (d *Dev) Read() (Sample, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var b [burstBytes]byte
	if err := d.d.Tx([]byte{regAccelXOutH}, b[:]); err != nil {
		return Sample{}, fmt.Errorf("mpu6050: read ACCEL_XOUT_H..GYRO_ZOUT_L: %w", err)
	}
	s, err := decodeSample(b[:], d.accelG, d.gyroDPS)
	if err != nil {
		return Sample{}, err
	}
	d.stats.reads.Add(1)
	for _, x := range s.Suspect {
		if x {
			d.stats.suspect.Add(1)
		}
	}
	return s, nil
}

// Halt puts the chip to sleep (PWR_MGMT_1 SLEEP, keeping the clock
// source). It implements conn.Resource.
func (d *Dev) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.write("PWR_MGMT_1 (sleep)", regPwrMgmt1, sleepBit|clkPLLGyroX)
}

// Stats returns counters of what the Dev has seen.
func (d *Dev) Stats() Stats {
	return Stats{Reads: d.stats.reads.Load(), Suspect: d.stats.suspect.Load()}
}

func (d *Dev) String() string {
	return fmt.Sprintf("mpu6050 ±%dg ±%d°/s %dHz on %s", d.accelG, d.gyroDPS, d.bandwidth, d.d)
}

func (d *Dev) write(name string, reg, val byte) error {
	if err := d.d.Tx([]byte{reg, val}, nil); err != nil {
		return fmt.Errorf("mpu6050: write %s: %w", name, err)
	}
	return nil
}
