package bmp280

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

func TestBMP280(t *testing.T) {
	// 4× pressure, 1× temperature: ctrl_meas 001 011 00 = 0x2C.
	bus := playback(t, newOps(0x58, nil, 0x2c, 0), senseOps(0x2c, dataBMP, 1), []i2ctest.IO{op([]byte{0xf4, 0x2c})})
	d, s := newTest(t, bus, nil)
	if d.String() != "bmp280 (BMP280, 4× oversampling) on playback(118)" || d.HasHumidity() {
		t.Errorf("String = %q, humidity %v", d.String(), d.HasHumidity())
	}
	smp, err := d.Sense(context.Background())
	if err != nil {
		t.Fatalf("Sense: %v", err)
	}
	if want := physic.ZeroCelsius + 25080*physic.MilliCelsius; smp.Temperature != want {
		t.Errorf("Temperature = %v, want 25.08 °C", smp.Temperature)
	}
	if want := 100653253906250 * physic.NanoPascal; smp.Pressure != want {
		t.Errorf("Pressure = %v, want %v", smp.Pressure, want)
	}
	if smp.Raw != [3]int32{519888, 415148, 0} || smp.Humidity != 0 || smp.TemperatureSuspect || smp.PressureSuspect {
		t.Errorf("Sense = %+v", smp)
	}
	// Typical time 1 + 2·1 + 2·4 + 0.5 = 11.5 ms, then 1 ms polls.
	if want := []time.Duration{11500 * time.Microsecond, time.Millisecond}; !slices.Equal(s.d, want) {
		t.Errorf("waited %v, want %v", s.d, want)
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if st := d.Stats(); st != (Stats{Reads: 1}) {
		t.Errorf("Stats = %+v", st)
	}
}

func TestBME280(t *testing.T) {
	// 16× pressure and humidity, 2× temperature: ctrl_meas 010 101 00 =
	// 0x54, ctrl_hum 101; address 0x77.
	at := func(o []i2ctest.IO) []i2ctest.IO {
		for i := range o {
			o[i].Addr = AltAddr
		}
		return o
	}
	bus := playback(t, at(newOps(0x60, calibHum, 0x54, 0x05)), at(senseOps(0x54, dataBME, 0)))
	d, s := newTest(t, bus, &Opts{Addr: AltAddr, Oversampling: 16})
	smp, err := d.Sense(context.Background())
	if err != nil {
		t.Fatalf("Sense: %v", err)
	}
	if smp.Humidity != 3937793*physic.TenthMicroRH || smp.Raw[2] != 0x6a3d || !d.HasHumidity() {
		t.Errorf("Humidity = %v (raw %#x), want 39.37793%%", smp.Humidity, smp.Raw[2])
	}
	if want := physic.ZeroCelsius + 25080*physic.MilliCelsius; smp.Temperature != want {
		t.Errorf("Temperature = %v", smp.Temperature)
	}
	// 1 + 2·2 + 2·16 + 0.5 + 2·16 + 0.5 = 70 ms.
	if want := []time.Duration{70 * time.Millisecond}; !slices.Equal(s.d, want) {
		t.Errorf("waited %v, want %v", s.d, want)
	}
}

func TestNewErrors(t *testing.T) {
	zeros := make([]byte, 26)
	tests := []struct {
		name   string
		opts   *Opts
		ops    []i2ctest.IO
		failAt int
		is     error
		says   string
	}{
		{"absent", nil, nil, 0, errNACK, "read chip ID"},
		{"BMP180", nil, []i2ctest.IO{op([]byte{0xd0}, 0x55)}, -1, ErrProbe, "chip ID 0x55"},
		{"bus error in the calibration", nil, []i2ctest.IO{op([]byte{0xd0}, 0x58)}, 1, errNACK, "read calibration"},
		{"zero calibration", nil, []i2ctest.IO{op([]byte{0xd0}, 0x58), op([]byte{0x88}, zeros...)}, -1, ErrCalibration, "dig_T1 0"},
		{"config refused", nil, newOps(0x58, nil, 0x2c, 0)[:2], 2, errNACK, "write configuration"},
		{"bad oversampling", &Opts{Oversampling: 3}, nil, -1, nil, "oversampling 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(&faulty{Playback: playback(t, tt.ops), FailAt: tt.failAt}, tt.opts)
			sensortest.CheckErr(t, "New", err, tt.is, "bmp280: ", tt.says)
		})
	}
}

func TestSenseErrors(t *testing.T) {
	// The power-on value of the data registers: no measurement.
	reset := []byte{0x80, 0x00, 0x00, 0x80, 0x00, 0x00}
	// Busy polls: 11.5 ms, then 1 ms each, give up beyond 2 × 13.325 ms.
	stuck := []i2ctest.IO{op([]byte{0xf4, 0x2d})}
	for range 17 {
		stuck = append(stuck, op([]byte{0xf3}, 0x08))
	}
	tests := []struct {
		name   string
		ops    []i2ctest.IO
		failAt int
		is     error
		says   string
		stats  Stats
	}{
		{"no data", senseOps(0x2c, reset, 0), -1, ErrNoData, "0x80000", Stats{NoData: 1}},
		{"stuck measuring", stuck, -1, nil, "still measuring", Stats{}},
		{"bus error mid-read", senseOps(0x2c, dataBMP, 0)[:2], 5, errNACK, "read data", Stats{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &faulty{Playback: playback(t, newOps(0x58, nil, 0x2c, 0), tt.ops), FailAt: tt.failAt}
			d, _ := newTest(t, bus, nil)
			_, err := d.Sense(context.Background())
			if err == nil || tt.is != nil && !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Sense = %v, want %v … %s", err, tt.is, tt.says)
			}
			if st := d.Stats(); st != tt.stats {
				t.Errorf("Stats = %+v, want %+v", st, tt.stats)
			}
		})
	}
}

func TestSenseSuspect(t *testing.T) {
	// adc_T 0x20000 is −98.46 °C and adc_P 0x20000 1225.46 hPa with this
	// calibration: both outside the operating range.
	bus := playback(t, newOps(0x58, nil, 0x2c, 0), senseOps(0x2c, []byte{0x20, 0x00, 0x00, 0x20, 0x00, 0x00}, 0))
	d, _ := newTest(t, bus, nil)
	smp, err := d.Sense(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !smp.TemperatureSuspect || !smp.PressureSuspect {
		t.Errorf("Sense = %+v (%v, %v), want both suspect", smp, smp.Temperature, smp.Pressure)
	}
	if st := d.Stats(); st != (Stats{Reads: 1, Suspect: 2}) {
		t.Errorf("Stats = %+v", st)
	}
}

func TestSenseHonoursContext(t *testing.T) {
	bus := playback(t, newOps(0x58, nil, 0x2c, 0), []i2ctest.IO{op([]byte{0xf4, 0x2d})})
	d, _ := newTest(t, bus, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Sense(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sense = %v, want context.Canceled", err)
	}
	start := time.Now()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("sleep = %v", err)
	}
}
