package sps30

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

const ms = time.Millisecond

func TestNew(t *testing.T) {
	tests := []struct {
		name   string
		opts   *Opts
		ops    []i2ctest.IO
		sleeps []time.Duration
	}{
		{"defaults", nil, newOps(nil), []time.Duration{5 * ms, 100 * ms, 20 * ms}},
		{"clean every 48 h", &Opts{CleanInterval: 48 * time.Hour}, newOps(wClean48h), []time.Duration{5 * ms, 100 * ms, 20 * ms, 20 * ms}},
		{"no auto clean", &Opts{CleanInterval: NoAutoClean}, newOps(wCleanOff), []time.Duration{5 * ms, 100 * ms, 20 * ms, 20 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &sleeps{}
			d, err := newDev(playback(t, tt.ops), tt.opts, s.sleep)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if d.Serial() != "ABCDEF0123456789" {
				t.Errorf("Serial = %q", d.Serial())
			}
			if d.String() != "sps30 ABCDEF0123456789 on playback(105)" {
				t.Errorf("String = %q", d.String())
			}
			if !slices.Equal(s.d, tt.sleeps) {
				t.Errorf("waited %v, want %v", s.d, tt.sleeps)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	zeros := make([]byte, 48)
	for i := 2; i < 48; i += 3 {
		zeros[i] = 0x81
	}
	tests := []struct {
		name   string
		opts   *Opts
		ops    []i2ctest.IO
		failAt int // -1: none
		is     error
		says   string
	}{
		{"absent: NACK on the pointer", nil, nil, 0, errNACK, "set pointer to serial number"},
		{"NACK on the read", nil, []i2ctest.IO{w(wSerial)}, 1, errNACK, "read serial number"},
		{"empty serial", nil, readOps(wSerial, zeros), -1, ErrProbe, "empty serial"},
		{"bad CRC in the serial", nil, readOps(wSerial, with(serialReply, 20, 0x3c)), -1, ErrCRC, "word 6"},
		{"start refused", nil, append(readOps(wSerial, serialReply), w(wReset)), 3, errNACK, "start measurement"},
		{"interval not whole seconds", &Opts{CleanInterval: 1500 * ms}, nil, -1, nil, "whole seconds"},
		{"interval too long", &Opts{CleanInterval: MaxCleanInterval + time.Second}, nil, -1, nil, "whole seconds"},
		{"negative timeout", &Opts{ReadyTimeout: -1}, nil, -1, nil, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &faulty{Playback: playback(t, tt.ops), FailAt: tt.failAt}
			_, err := newDev(bus, tt.opts, (&sleeps{}).sleep)
			sensortest.CheckErr(t, "New", err, tt.is, "sps30: ", tt.says)
		})
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		name   string
		ops    []i2ctest.IO
		sleeps []time.Duration
	}{
		{"ready at once", ops(readOps(wReady, readyYes), readOps(wValues, valuesReply)), []time.Duration{5 * ms, 5 * ms}},
		{
			"ready at the third poll",
			ops(readOps(wReady, readyNo), readOps(wReady, readyNo), readOps(wReady, readyYes), readOps(wValues, valuesReply)),
			[]time.Duration{5 * ms, 100 * ms, 5 * ms, 100 * ms, 5 * ms, 5 * ms},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &sleeps{}
			d := devOn(playback(t, tt.ops), s)
			m, err := d.Read(context.Background())
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if m != hazy {
				t.Errorf("Read = %+v, want %+v", m, hazy)
			}
			if !slices.Equal(s.d, tt.sleeps) {
				t.Errorf("waited %v, want %v", s.d, tt.sleeps)
			}
			if st := d.Stats(); st != (Stats{Reads: 1}) {
				t.Errorf("Stats = %+v", st)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	// Poll i ends at i×5 ms of pauses + (i-1)×100 ms of waits; the 29th
	// is the last that leaves no room for another wait within 3 s.
	var never []i2ctest.IO
	for range 29 {
		never = append(never, readOps(wReady, readyNo)...)
	}
	tests := []struct {
		name   string
		ops    []i2ctest.IO
		failAt int
		is     error
		stats  Stats
	}{
		{"bad CRC in the values", ops(readOps(wReady, readyYes), readOps(wValues, with(valuesReply, 35, 0x00))), -1, ErrCRC, Stats{CRCErrors: 1}},
		{"bad CRC in the flag", readOps(wReady, []byte{0x00, 0x01, 0x81}), -1, ErrCRC, Stats{CRCErrors: 1}},
		{"bus error mid-read", ops(readOps(wReady, readyYes), []i2ctest.IO{w(wValues)}), 3, errNACK, Stats{}},
		{"never ready", never, -1, ErrNotReady, Stats{NotReady: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &sleeps{}
			d := devOn(&faulty{Playback: playback(t, tt.ops), FailAt: tt.failAt}, s)
			_, err := d.Read(context.Background())
			if !errors.Is(err, tt.is) {
				t.Fatalf("Read = %v, want %v", err, tt.is)
			}
			t.Log(err)
			if st := d.Stats(); st != tt.stats {
				t.Errorf("Stats = %+v, want %+v", st, tt.stats)
			}
			if tt.is == ErrNotReady && s.total() > DefaultReadyTimeout {
				t.Errorf("waited %v, more than %v", s.total(), DefaultReadyTimeout)
			}
		})
	}
}

func TestReadHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := playback(t, readOps(wReady, readyNo))
	d := devOn(bus, &sleeps{})
	d.sleep = func(_ context.Context, d time.Duration) error {
		if d == DefaultPollInterval {
			cancel()
		}
		return ctx.Err()
	}
	if _, err := d.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read = %v, want context.Canceled", err)
	}
	// The real sleep returns at once for an ended ctx.
	start := time.Now()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("sleep = %v after %v", err, time.Since(start))
	}
}

func TestCommands(t *testing.T) {
	s := &sleeps{}
	bus := playback(t, ops(
		[]i2ctest.IO{w(wFanClean)},
		readOps(wAutoClean, interval168h),
		[]i2ctest.IO{w(wClean48h), w(wCleanOff), w(wStop)},
	))
	d := devOn(bus, s)
	if err := d.FanClean(); err != nil {
		t.Fatalf("FanClean: %v", err)
	}
	if iv, err := d.AutoCleanInterval(); err != nil || iv != 168*time.Hour {
		t.Fatalf("AutoCleanInterval = %v, %v", iv, err)
	}
	if err := d.SetAutoCleanInterval(48 * time.Hour); err != nil {
		t.Fatalf("SetAutoCleanInterval: %v", err)
	}
	if err := d.SetAutoCleanInterval(0); err != nil {
		t.Fatalf("SetAutoCleanInterval(0): %v", err)
	}
	if err := d.SetAutoCleanInterval(-5 * time.Second); err == nil {
		t.Fatal("SetAutoCleanInterval(-5s) succeeded")
	}
	if err := d.Halt(); err != nil {
		t.Fatalf("Halt: %v", err)
	}
	want := []time.Duration{5 * ms, 5 * ms, 20 * ms, 20 * ms, 20 * ms}
	if !slices.Equal(s.d, want) {
		t.Errorf("waited %v, want %v", s.d, want)
	}
}
