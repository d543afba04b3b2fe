package mpu6050

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

func op(addr uint16, w []byte, r ...byte) i2ctest.IO { return i2ctest.IO{Addr: addr, W: w, R: r} }

// newOps is New's traffic: probe, reset, wake, filter, ranges.
func newOps(addr uint16, config, gyro, accel byte) []i2ctest.IO {
	return []i2ctest.IO{
		op(addr, []byte{0x75}, 0x68),
		op(addr, []byte{0x6b, 0x80}),
		op(addr, []byte{0x6b, 0x01}),
		op(addr, []byte{0x1a, config}),
		op(addr, []byte{0x1b, gyro}),
		op(addr, []byte{0x1c, accel}),
	}
}

// level is a chip lying flat and turning slowly: accel X 819, Y −410,
// Z 16384 counts; temperature −521; gyro X 131, Y −262, Z 0 counts.
var level = []byte{
	0x03, 0x33, 0xfe, 0x66, 0x40, 0x00,
	0xfd, 0xf7,
	0x00, 0x83, 0xfe, 0xfa, 0x00, 0x00,
}

// playback returns a bus that replays ops and fails the test unless all
// of them were used.
func playback(t *testing.T, ops ...[]i2ctest.IO) *i2ctest.Playback {
	return sensortest.I2CPlayback(t, ops...)
}

var errNACK = sensortest.ErrNACK

// faulty fails a transaction on cue: see sensortest.FaultyBus.
type faulty = sensortest.FaultyBus

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// sleeps records waits instead of waiting.
type sleeps []time.Duration

func (s *sleeps) sleep(d time.Duration) { *s = append(*s, d) }

func TestNewAndRead(t *testing.T) {
	var s sleeps
	bus := playback(t, newOps(0x68, 0x03, 0x00, 0x00), []i2ctest.IO{op(0x68, []byte{0x3b}, level...), op(0x68, []byte{0x6b, 0x41})})
	d, err := newDev(bus, nil, s.sleep)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if want := (sleeps{100 * time.Millisecond, 35 * time.Millisecond}); !slices.Equal(s, want) {
		t.Errorf("waited %v, want %v", s, want)
	}
	if d.String() != "mpu6050 ±2g ±250°/s 44Hz on playback(104)" {
		t.Errorf("String = %q", d.String())
	}
	smp, err := d.Read()
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if smp.Raw != [7]int16{819, -410, 16384, -521, 131, -262, 0} || smp.Suspect != [7]bool{} {
		t.Errorf("Read = %+v", smp)
	}
	if !near(smp.Accel[0], 0.4902127899169922) || !near(smp.Accel[1], -0.2454056701660156) || smp.Accel[2] != 9.80665 {
		t.Errorf("Accel = %v", smp.Accel)
	}
	if smp.Gyro != [3]float64{1, -2, 0} {
		t.Errorf("Gyro = %v", smp.Gyro)
	}
	// −521/340 + 36.53 = 34.997647059 °C.
	if want := physic.ZeroCelsius + 34997647059*physic.NanoKelvin; smp.Temperature != want {
		t.Errorf("Temperature = %v, want %v", smp.Temperature, want)
	}
	if err := d.Halt(); err != nil {
		t.Fatalf("Halt: %v", err)
	}
	if st := d.Stats(); st != (Stats{Reads: 1}) {
		t.Errorf("Stats = %+v", st)
	}
}

func TestNewOpts(t *testing.T) {
	bus := playback(t, newOps(0x69, 0x06, 0x18, 0x08))
	d, err := newDev(bus, &Opts{Addr: AltAddr, AccelRange: 4, GyroRange: 2000, Bandwidth: 5}, func(time.Duration) {})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if d.String() != "mpu6050 ±4g ±2000°/s 5Hz on playback(105)" {
		t.Errorf("String = %q", d.String())
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
		{"absent", nil, nil, 0, errNACK, "read WHO_AM_I"},
		{"MPU-6500 instead", nil, []i2ctest.IO{op(0x68, []byte{0x75}, 0x70)}, -1, ErrProbe, "WHO_AM_I 0x70"},
		{"bus error on wake", nil, newOps(0x68, 0x03, 0, 0)[:2], 2, errNACK, "PWR_MGMT_1 (wake)"},
		{"bad accel range", &Opts{AccelRange: 3}, nil, -1, nil, "accelerometer range"},
		{"bad gyro range", &Opts{GyroRange: 300}, nil, -1, nil, "gyroscope range"},
		{"bad bandwidth", &Opts{Bandwidth: 100}, nil, -1, nil, "bandwidth 100 Hz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newDev(&faulty{Playback: playback(t, tt.ops), FailAt: tt.failAt}, tt.opts, func(time.Duration) {})
			sensortest.CheckErr(t, "New", err, tt.is, "mpu6050: ", tt.says)
		})
	}
}

func TestReadSuspectAndErrors(t *testing.T) {
	// Accel X saturated, gyro Z saturated low, temperature 16491 counts =
	// 85.03 °C, beyond the operating range.
	hot := []byte{0x7f, 0xff, 0x00, 0x00, 0x40, 0x00, 0x40, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00}
	bus := &faulty{Playback: playback(t, newOps(0x68, 0x03, 0, 0), []i2ctest.IO{op(0x68, []byte{0x3b}, hot...)}), FailAt: 7}
	d, err := newDev(bus, nil, func(time.Duration) {})
	if err != nil {
		t.Fatal(err)
	}
	smp, err := d.Read()
	if err != nil {
		t.Fatal(err)
	}
	if want := [7]bool{AccelX: true, Temp: true, GyroZ: true}; smp.Suspect != want {
		t.Errorf("Suspect = %v, want %v (raw %v)", smp.Suspect, want, smp.Raw)
	}
	if _, err := d.Read(); !errors.Is(err, errNACK) || !strings.Contains(err.Error(), "ACCEL_XOUT_H") {
		t.Errorf("Read on a failing bus = %v", err)
	}
	if st := d.Stats(); st != (Stats{Reads: 1, Suspect: 3}) {
		t.Errorf("Stats = %+v", st)
	}
}

func TestDecodeScales(t *testing.T) {
	// 2048 counts: 1 g at ±16 g; 16.4 counts per °/s at ±2000 °/s.
	b := []byte{0x08, 0x00, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa4, 0xff, 0x5c, 0x80, 0x01}
	s, err := decodeSample(b, 16, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if s.Accel != [3]float64{G, -G, 0} || !near(s.Gyro[0], 10) || !near(s.Gyro[1], -10) || s.Suspect[GyroZ] {
		t.Errorf("decodeSample = %+v", s)
	}
	if want := physic.ZeroCelsius + 36530*physic.MilliKelvin; s.Temperature != want {
		t.Errorf("Temperature = %v, want 36.53 °C", s.Temperature)
	}
	if _, err := decodeSample(b[:13], 2, 250); err == nil {
		t.Error("decodeSample of 13 bytes succeeded")
	}
}
