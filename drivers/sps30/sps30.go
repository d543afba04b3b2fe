package sps30

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"
)

// DefaultAddr is the chip's only I2C address.
const DefaultAddr = 0x69

// Defaults for Opts fields left zero.
const (
	DefaultReadyTimeout = 3 * time.Second        // three measurement periods
	DefaultPollInterval = 100 * time.Millisecond // data-ready polls while waiting
)

// NoAutoClean, as Opts.CleanInterval, switches the periodic fan cleaning
// off (interval 0 on the chip).
const NoAutoClean time.Duration = -1

// MaxCleanInterval is the longest auto-cleaning interval the chip's 32-bit
// register of seconds holds.
const MaxCleanInterval = math.MaxUint32 * time.Second

// Command execution times from the datasheet's Table 8 ("< 20 ms" etc.):
// the chip may NACK a command sent before the previous one is done.
const (
	startTime    = 20 * time.Millisecond
	stopTime     = 20 * time.Millisecond
	writeIntTime = 20 * time.Millisecond
	fanCleanTime = 5 * time.Millisecond
	resetTime    = 100 * time.Millisecond
	// readPause separates setting the pointer from reading the reply. The
	// datasheet allows reading at once except for the auto-cleaning
	// interval (< 5 ms); field reports of Remote I/O errors on Raspberry
	// Pis (dvsu/sps30#1) argue for the same pause everywhere, and 5 ms is
	// nothing against the 1 s measurement period.
	readPause = 5 * time.Millisecond
)

// Opts configures a Dev. The zero value means address 0x69, the chip's
// stored cleaning interval, and the default timeouts.
type Opts struct {
	// Addr is the I2C address; 0 means DefaultAddr.
	Addr uint16
	// CleanInterval, when positive, is written as the fan auto-cleaning
	// interval (whole seconds, at most MaxCleanInterval); the chip keeps
	// it in non-volatile memory. 0 leaves the chip's setting (factory
	// default 168 h); NoAutoClean switches automatic cleaning off.
	CleanInterval time.Duration
	// ReadyTimeout bounds how long Read waits for a new measurement; 0
	// means DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// PollInterval is the time between data-ready polls; 0 means
	// DefaultPollInterval.
	PollInterval time.Duration
}

// Stats counts what a Dev has seen since New.
type Stats struct {
	Reads     uint64 // measurements read with good CRCs
	CRCErrors uint64 // replies rejected for a bad CRC
	NotReady  uint64 // Reads that gave up waiting for data-ready
	Suspect   uint64 // mass values that failed Measurement.Suspect
}

// Dev is an SPS30 on an I2C bus, measuring. Its methods are safe for
// concurrent use; they take turns on the bus.
type Dev struct {
	c      conn.Conn
	serial string
	ready  time.Duration
	poll   time.Duration
	// sleep waits d or until ctx ends; now tells the time. Tests replace
	// both.
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time

	mu sync.Mutex // one command sequence on the bus at a time

	stats struct{ reads, crc, notReady, suspect atomic.Uint64 }
}

var _ conn.Resource = (*Dev)(nil)

// New probes the chip by reading its serial number, resets it to a known
// state (idle, as after power-up), writes the cleaning interval if
// opts.CleanInterval asks, and starts measuring in float output format.
// nil opts means the zero Opts. New takes about 150 ms.
func New(bus i2c.Bus, opts *Opts) (*Dev, error) {
	return newDev(bus, opts, sleep)
}

// newDev is New with the way to wait; tests pass one that only records.
func newDev(bus i2c.Bus, opts *Opts, sleep func(context.Context, time.Duration) error) (*Dev, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Addr == 0 {
		o.Addr = DefaultAddr
	}
	if o.CleanInterval != NoAutoClean {
		if err := checkInterval(o.CleanInterval); err != nil {
			return nil, err
		}
	}
	if o.ReadyTimeout < 0 || o.PollInterval < 0 {
		return nil, fmt.Errorf("sps30: negative ReadyTimeout %v or PollInterval %v", o.ReadyTimeout, o.PollInterval)
	}
	d := &Dev{c: &i2c.Dev{Bus: bus, Addr: o.Addr}, ready: o.ReadyTimeout, poll: o.PollInterval, sleep: sleep, now: time.Now}
	if d.ready == 0 {
		d.ready = DefaultReadyTimeout
	}
	if d.poll == 0 {
		d.poll = DefaultPollInterval
	}
	if err := d.init(o.CleanInterval); err != nil {
		return nil, err
	}
	return d, nil
}

// init is New's traffic.
func (d *Dev) init(clean time.Duration) error {
	ctx := context.Background()
	d.mu.Lock()
	defer d.mu.Unlock()
	b, err := d.read(ctx, "serial number", cmdSerial, serialSize)
	if err != nil {
		return fmt.Errorf("%w (probe at %s)", err, d.c)
	}
	if d.serial, err = parseSerial(b); err != nil {
		return d.count(err, "serial number")
	}
	// Measurement mode can only be entered from idle (datasheet §4.1), and
	// an earlier run may have left the chip measuring, perhaps in integer
	// format: a reset puts it in idle whatever it was doing.
	if err := d.write(ctx, "reset", resetTime, cmdReset); err != nil {
		return err
	}
	if clean != 0 {
		if err := d.writeInterval(ctx, clean); err != nil {
			return err
		}
	}
	return d.write(ctx, "start measurement", startTime, cmdStart, formatFloat)
}

// Read waits for the chip's data-ready flag, polling every
// Opts.PollInterval for up to Opts.ReadyTimeout or until ctx ends, then
// reads the measurement. The chip measures once a second.
func (d *Dev) Read(ctx context.Context) (Measurement, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	deadline := d.now().Add(d.ready)
	for {
		b, err := d.read(ctx, "data-ready flag", cmdReady, readySize)
		if err != nil {
			return Measurement{}, err
		}
		ok, err := parseReady(b)
		if err != nil {
			return Measurement{}, d.count(err, "data-ready flag")
		}
		if ok {
			break
		}
		if d.now().Add(d.poll).After(deadline) {
			d.stats.notReady.Add(1)
			return Measurement{}, fmt.Errorf("%w within %v", ErrNotReady, d.ready)
		}
		if err := d.sleep(ctx, d.poll); err != nil {
			return Measurement{}, err
		}
	}
	b, err := d.read(ctx, "measured values", cmdValues, valuesSize)
	if err != nil {
		return Measurement{}, err
	}
	m, err := parseValues(b)
	if err != nil {
		return Measurement{}, d.count(err, "measured values")
	}
	d.stats.reads.Add(1)
	for _, s := range m.Suspect() {
		if s {
			d.stats.suspect.Add(1)
		}
	}
	return m, nil
}

// FanClean starts a fan cleaning now: the fan runs at full speed for
// 10 s, during which the values are not updated (Read reports
// ErrNotReady if it waits longer than its timeout).
func (d *Dev) FanClean() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.write(context.Background(), "fan clean", fanCleanTime, cmdFanClean)
}

// AutoCleanInterval reads the fan auto-cleaning interval; 0 means off.
// Firmware before 2.2 returns the previous value after a write until the
// next reset or start.
func (d *Dev) AutoCleanInterval() (time.Duration, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, err := d.read(context.Background(), "auto-cleaning interval", cmdAutoClean, intervalSize)
	if err != nil {
		return 0, err
	}
	s, err := parseInterval(b)
	if err != nil {
		return 0, d.count(err, "auto-cleaning interval")
	}
	return time.Duration(s) * time.Second, nil
}

// SetAutoCleanInterval writes the fan auto-cleaning interval, which the
// chip keeps in non-volatile memory: whole seconds up to
// MaxCleanInterval, or NoAutoClean (or 0) to switch it off.
func (d *Dev) SetAutoCleanInterval(iv time.Duration) error {
	if iv == 0 {
		iv = NoAutoClean
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.writeInterval(context.Background(), iv)
}

// Halt stops measuring: the fan and the laser switch off and the chip
// idles. It implements conn.Resource.
func (d *Dev) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.write(context.Background(), "stop measurement", stopTime, cmdStop)
}

// Serial returns the serial number read by New.
func (d *Dev) Serial() string { return d.serial }

// Stats returns counters of what the Dev has seen. It does not wait for a
// Read in progress.
func (d *Dev) Stats() Stats {
	return Stats{
		Reads:     d.stats.reads.Load(),
		CRCErrors: d.stats.crc.Load(),
		NotReady:  d.stats.notReady.Load(),
		Suspect:   d.stats.suspect.Load(),
	}
}

func (d *Dev) String() string { return "sps30 " + d.serial + " on " + d.c.String() }

// Suspect reports, for PM1, PM2.5, PM4 and PM10 in that order, whether the
// value is impossible: not a finite number, negative, or larger than the
// value of a bigger size class (the classes are cumulative; 0.01 µg/m³ of
// slack allows for rounding).
func (m Measurement) Suspect() [4]bool {
	v := [4]float64{m.PM1, m.PM2_5, m.PM4, m.PM10}
	var s [4]bool
	for i, x := range v {
		s[i] = math.IsNaN(x) || math.IsInf(x, 0) || x < 0
	}
	for i := range 3 {
		for j := i + 1; j < 4; j++ {
			if v[i] > v[j]+0.01 {
				s[i], s[j] = true, true
			}
		}
	}
	return s
}

// writeInterval writes the auto-cleaning interval. The caller holds d.mu.
func (d *Dev) writeInterval(ctx context.Context, iv time.Duration) error {
	var s uint32
	if iv != NoAutoClean {
		if err := checkInterval(iv); err != nil {
			return err
		}
		s = uint32(iv / time.Second)
	}
	return d.write(ctx, "auto-cleaning interval", writeIntTime, cmdAutoClean, uint16(s>>16), uint16(s))
}

func checkInterval(iv time.Duration) error {
	if iv < 0 || iv > MaxCleanInterval || iv%time.Second != 0 {
		return fmt.Errorf("sps30: cleaning interval %v is not whole seconds from 0 to %v", iv, MaxCleanInterval)
	}
	return nil
}

// write sends a command with its argument words and waits its execution
// time. The caller holds d.mu.
func (d *Dev) write(ctx context.Context, name string, exec time.Duration, cmd uint16, args ...uint16) error {
	if err := d.c.Tx(command(cmd, args...), nil); err != nil {
		return fmt.Errorf("sps30: write %s command: %w", name, err)
	}
	return d.sleep(ctx, exec)
}

// read sets the pointer to cmd, pauses, and reads n bytes in a second
// transaction: the chip needs a STOP between the two and does not answer
// a repeated start. The caller holds d.mu.
func (d *Dev) read(ctx context.Context, name string, cmd uint16, n int) ([]byte, error) {
	if err := d.c.Tx(command(cmd), nil); err != nil {
		return nil, fmt.Errorf("sps30: set pointer to %s: %w", name, err)
	}
	if err := d.sleep(ctx, readPause); err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if err := d.c.Tx(nil, b); err != nil {
		return nil, fmt.Errorf("sps30: read %s: %w", name, err)
	}
	return b, nil
}

// count counts err if it is a CRC error, and returns it with the name of
// the reply it was found in.
func (d *Dev) count(err error, reply string) error {
	if errors.Is(err, ErrCRC) {
		d.stats.crc.Add(1)
	}
	return fmt.Errorf("%w (%s reply)", err, reply)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
