package bmp280

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// I2C addresses: SDO low (the default) or high.
const (
	DefaultAddr = 0x76
	AltAddr     = 0x77
)

// DefaultOversampling is the pressure oversampling when Opts leaves it 0:
// the datasheet's "standard resolution" (0.33 Pa RMS noise, 13.3 ms).
const DefaultOversampling = 4

// Registers.
const (
	regCalib    = 0x88
	regChipID   = 0xd0
	regCalibHum = 0xe1
	regCtrlHum  = 0xf2
	regStatus   = 0xf3
	regCtrlMeas = 0xf4
	regConfig   = 0xf5
	regPress    = 0xf7 // press, temp (and hum): 6 (8) bytes

	idBMP280 = 0x58
	idBME280 = 0x60

	modeSleep  = 0
	modeForced = 1

	statusMeasuring = 0x08
	skipped20       = 0x80000 // a 20-bit result the chip has not written
)

// Errors. Others wrap these with detail after the sentinel's text.
var (
	// ErrProbe means the chip at the address is neither a BMP280 nor a
	// BME280.
	ErrProbe = errors.New("bmp280: not a BMP280 or BME280")
	// ErrNoData means the data registers still hold their reset value
	// (0x80000): the chip took no measurement.
	ErrNoData = errors.New("bmp280: no measurement in the data registers")
)

const hPa = 100 * physic.Pascal

// osrsCode maps an oversampling factor to its 3-bit register code.
var osrsCode = map[int]byte{1: 1, 2: 2, 4: 3, 8: 4, 16: 5}

// Opts configures a Dev. The zero value means address 0x76 and 4×
// pressure oversampling.
type Opts struct {
	// Addr is the I2C address, DefaultAddr or AltAddr; 0 means DefaultAddr.
	Addr uint16
	// Oversampling is the pressure (and BME280 humidity) oversampling:
	// 1, 2, 4, 8 or 16; 0 means DefaultOversampling. Temperature is
	// oversampled 1×, or 2× with 16× pressure, as the datasheet's
	// recommended settings (BMP280 Table 4) do.
	Oversampling int
}

// Sample is one forced-mode measurement.
type Sample struct {
	physic.Env          // Temperature, Pressure and, on a BME280, Humidity
	Raw        [3]int32 // ADC values: temperature, pressure, humidity (0 on a BMP280)
	// TemperatureSuspect and PressureSuspect mark values outside the
	// chip's operating range: −40…85 °C and 300…1100 hPa.
	TemperatureSuspect, PressureSuspect bool
}

// Stats counts what a Dev has seen since New.
type Stats struct {
	Reads   uint64 // measurements read
	Suspect uint64 // values marked suspect
	NoData  uint64 // measurements that returned ErrNoData
}

// Dev is a BMP280 or BME280 on an I2C bus. It measures in forced mode:
// one conversion per Sense, asleep in between. Its methods are safe for
// concurrent use.
type Dev struct {
	d       *i2c.Dev
	name    string // "BMP280" or "BME280"
	hum     bool
	os      int
	ctrl    byte // ctrl_meas without the mode bits
	cal     calib
	typical time.Duration // measurement time, typical and maximum
	maximum time.Duration
	// sleep waits d or until ctx ends; now tells the time. Tests replace
	// both.
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time

	mu    sync.Mutex
	stats struct{ reads, suspect, noData atomic.Uint64 }
}

var _ conn.Resource = (*Dev)(nil)

// New reads the chip ID (0x58 BMP280, 0x60 BME280) and the calibration,
// then puts the chip to sleep with the oversampling set and the IIR filter
// off. nil opts means the zero Opts.
func New(bus i2c.Bus, opts *Opts) (*Dev, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Addr == 0 {
		o.Addr = DefaultAddr
	}
	if o.Oversampling == 0 {
		o.Oversampling = DefaultOversampling
	}
	osrsP, ok := osrsCode[o.Oversampling]
	if !ok {
		return nil, fmt.Errorf("bmp280: oversampling %d, want 1, 2, 4, 8 or 16", o.Oversampling)
	}
	osT, osrsT := 1, byte(1)
	if o.Oversampling == 16 {
		osT, osrsT = 2, 2
	}
	d := &Dev{d: &i2c.Dev{Bus: bus, Addr: o.Addr}, os: o.Oversampling, ctrl: osrsT<<5 | osrsP<<2, sleep: sleep, now: time.Now}
	var id [1]byte
	if err := d.d.Tx([]byte{regChipID}, id[:]); err != nil {
		return nil, fmt.Errorf("bmp280: read chip ID (probe at %s): %w", d.d, err)
	}
	switch id[0] {
	case idBMP280:
		d.name = "BMP280"
	case idBME280:
		d.name, d.hum = "BME280", true
	default:
		return nil, fmt.Errorf("%w: chip ID %#02x at %s, want 0x58 or 0x60", ErrProbe, id[0], d.d)
	}
	tp := make([]byte, calibSize)
	if err := d.d.Tx([]byte{regCalib}, tp); err != nil {
		return nil, fmt.Errorf("bmp280: read calibration: %w", err)
	}
	var h []byte
	if d.hum {
		h = make([]byte, calibHumSize)
		if err := d.d.Tx([]byte{regCalibHum}, h); err != nil {
			return nil, fmt.Errorf("bmp280: read humidity calibration: %w", err)
		}
	}
	var err error
	if d.cal, err = parseCalib(tp, h); err != nil {
		return nil, err
	}
	// Measurement time (BME280 §9.1; BMP280 Table 13 agrees): typical
	// 1 + 2·osT + (2·osP + 0.5) [+ (2·osH + 0.5)] ms, maximum
	// 1.25 + 2.3·osT + (2.3·osP + 0.575) [+ (2.3·osH + 0.575)] ms.
	n := float64(osT + o.Oversampling)
	typ, maxi := 1+2*n+0.5, 1.25+2.3*n+0.575
	if d.hum {
		typ, maxi = typ+2*float64(o.Oversampling)+0.5, maxi+2.3*float64(o.Oversampling)+0.575
	}
	d.typical = time.Duration(typ * float64(time.Millisecond))
	d.maximum = time.Duration(maxi * float64(time.Millisecond))
	// Sleep first: the config register may ignore writes in normal mode,
	// which an earlier run may have left. ctrl_hum takes effect at the
	// next write of ctrl_meas, so it goes before it.
	w := []byte{regCtrlMeas, d.ctrl | modeSleep, regConfig, 0}
	if d.hum {
		w = append([]byte{regCtrlHum, osrsP}, w...)
	}
	if err := d.d.Tx(w, nil); err != nil {
		return nil, fmt.Errorf("bmp280: write configuration: %w", err)
	}
	return d, nil
}

// Sense takes one measurement in forced mode: it starts the conversion,
// waits the typical measurement time, polls the status register until the
// conversion is done (for up to twice the maximum measurement time, or
// until ctx ends), then reads the results in one burst, as the datasheet
// requires for consistent values.
func (d *Dev) Sense(ctx context.Context) (Sample, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.d.Tx([]byte{regCtrlMeas, d.ctrl | modeForced}, nil); err != nil {
		return Sample{}, fmt.Errorf("bmp280: start measurement: %w", err)
	}
	start := d.now()
	wait := d.typical
	for {
		if err := d.sleep(ctx, wait); err != nil {
			return Sample{}, err
		}
		var st [1]byte
		if err := d.d.Tx([]byte{regStatus}, st[:]); err != nil {
			return Sample{}, fmt.Errorf("bmp280: read status: %w", err)
		}
		if st[0]&statusMeasuring == 0 {
			break
		}
		if d.now().Sub(start) > 2*d.maximum {
			return Sample{}, fmt.Errorf("bmp280: still measuring after %v", d.now().Sub(start))
		}
		wait = time.Millisecond
	}
	b := make([]byte, 6, 8)
	if d.hum {
		b = b[:8]
	}
	if err := d.d.Tx([]byte{regPress}, b); err != nil {
		return Sample{}, fmt.Errorf("bmp280: read data: %w", err)
	}
	s, err := d.decode(b)
	if err != nil {
		d.stats.noData.Add(1)
		return Sample{}, err
	}
	d.stats.reads.Add(1)
	for _, x := range []bool{s.TemperatureSuspect, s.PressureSuspect} {
		if x {
			d.stats.suspect.Add(1)
		}
	}
	return s, nil
}

// decode turns the data registers (press_msb … temp_xlsb [hum_msb
// hum_lsb]) into a Sample.
func (d *Dev) decode(b []byte) (Sample, error) {
	var s Sample
	s.Raw[1] = int32(b[0])<<12 | int32(b[1])<<4 | int32(b[2])>>4
	s.Raw[0] = int32(b[3])<<12 | int32(b[4])<<4 | int32(b[5])>>4
	if s.Raw[0] == skipped20 || s.Raw[1] == skipped20 {
		return Sample{}, fmt.Errorf("%w (temperature %#x, pressure %#x)", ErrNoData, s.Raw[0], s.Raw[1])
	}
	centi, tFine := d.cal.temperature(s.Raw[0])
	s.Temperature = physic.ZeroCelsius + physic.Temperature(centi)*10*physic.MilliCelsius
	q := d.cal.pressure(s.Raw[1], tFine)
	// Q24.8: 1/256 Pa is 3906.25 µPa, 3906250 nPa.
	s.Pressure = physic.Pressure(q) * 3906250 * physic.NanoPascal
	if d.hum {
		s.Raw[2] = int32(b[6])<<8 | int32(b[7])
		h := d.cal.humidity(s.Raw[2], tFine)
		// Q22.10 %: physic counts 1/100000 %.
		s.Humidity = physic.RelativeHumidity((int64(h)*100000 + 512) / 1024)
	}
	s.TemperatureSuspect = centi < -4000 || centi > 8500
	s.PressureSuspect = s.Pressure < 300*hPa || s.Pressure > 1100*hPa
	return s, nil
}

// Halt writes sleep mode. After a forced measurement the chip sleeps by
// itself; Halt makes sure of it. It implements conn.Resource.
func (d *Dev) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.d.Tx([]byte{regCtrlMeas, d.ctrl | modeSleep}, nil); err != nil {
		return fmt.Errorf("bmp280: write sleep mode: %w", err)
	}
	return nil
}

// HasHumidity reports whether the chip is a BME280.
func (d *Dev) HasHumidity() bool { return d.hum }

// Stats returns counters of what the Dev has seen.
func (d *Dev) Stats() Stats {
	return Stats{Reads: d.stats.reads.Load(), Suspect: d.stats.suspect.Load(), NoData: d.stats.noData.Load()}
}

func (d *Dev) String() string {
	return fmt.Sprintf("bmp280 (%s, %d× oversampling) on %s", d.name, d.os, d.d)
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
