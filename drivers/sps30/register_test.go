package sps30

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// closer is a bus handle that counts its closes.
type closer struct {
	i2c.Bus
	closes int
}

func (c *closer) Close() error { c.closes++; return nil }

// env hands out one bus handle and remembers what was asked for.
type env struct {
	bus   *closer
	err   error
	asked []string
}

func (e *env) OpenI2C(name string) (i2c.BusCloser, error) {
	e.asked = append(e.asked, name)
	if e.err != nil {
		return nil, e.err
	}
	return e.bus, nil
}

func (e *env) OpenSerial(sensor.Serial) (sensor.Port, error) { return nil, errors.New("no serial") }
func (e *env) Pin(string) (gpio.PinIO, error)                { return nil, errors.New("no pins") }

func openSensor(t *testing.T, spec sensor.Spec, e sensor.Env) (sensor.Sensor, error) {
	t.Helper()
	f, err := sensor.Lookup("sps30")
	if err != nil {
		t.Fatal(err)
	}
	return f(context.Background(), spec, e)
}

func TestSensor(t *testing.T) {
	bus := &closer{Bus: playback(t, ops(newOps(wClean48h), readOps(wReady, readyYes), readOps(wValues, valuesReply), []i2ctest.IO{w(wFanClean), w(wStop)}))}
	e := &env{bus: bus}
	spec := sensor.Spec{Name: "dust", Driver: "sps30", I2C: sensor.I2C{Bus: "1"}, Params: map[string]string{"clean_interval": "48h"}}
	s, err := openSensor(t, spec, e)
	if err != nil {
		t.Fatalf("factory: %v", err)
	}
	if len(e.asked) != 1 || e.asked[0] != "1" {
		t.Errorf("opened buses %q, want [1]", e.asked)
	}
	before := time.Now()
	rs, err := s.Sense(context.Background())
	if err != nil {
		t.Fatalf("Sense: %v", err)
	}
	after := time.Now()
	want := []telemetry.Reading{
		{Sensor: "dust", Quantity: telemetry.PM1, Value: 12.5},
		{Sensor: "dust", Quantity: telemetry.PM2_5, Value: 23.25},
		{Sensor: "dust", Quantity: telemetry.PM4, Value: 30.5},
		{Sensor: "dust", Quantity: telemetry.PM10, Value: 34.75},
	}
	if len(rs) != len(want) {
		t.Fatalf("Sense gave %d readings, want %d", len(rs), len(want))
	}
	for i, r := range rs {
		if r.Time.Before(before) || r.Time.After(after) {
			t.Errorf("reading time %v outside the Sense call", r.Time)
		}
		r.Time = time.Time{}
		if r != want[i] {
			t.Errorf("reading %d = %+v, want %+v", i, r, want[i])
		}
	}
	if err := s.(FanCleaner).FanClean(); err != nil {
		t.Errorf("FanClean: %v", err)
	}
	if got := s.String(); got != "dust (sps30 ABCDEF0123456789 on playback(105))" {
		t.Errorf("String = %q", got)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil || bus.closes != 1 {
		t.Errorf("second Close = %v, bus closed %d times", err, bus.closes)
	}
}

// TestSensorSuspect: impossible values are carried, marked and counted.
func TestSensorSuspect(t *testing.T) {
	// PM1 NaN (0x7FC00000), PM2.5 -1 (0xBF800000), PM4 30.5, PM10 34.75.
	odd := append([]byte{
		0x7f, 0xc0, 0x64, 0x00, 0x00, 0x81,
		0xbf, 0x80, 0xf3, 0x00, 0x00, 0x81,
	}, valuesReply[12:]...)
	bus := &closer{Bus: playback(t, ops(newOps(nil), readOps(wReady, readyYes), readOps(wValues, odd)))}
	s, err := openSensor(t, sensor.Spec{Name: "dust"}, &env{bus: bus})
	if err != nil {
		t.Fatalf("factory: %v", err)
	}
	rs, err := s.Sense(context.Background())
	if err != nil {
		t.Fatalf("Sense: %v", err)
	}
	wantV := []float64{0, -1, 30.5, 34.75}
	wantQ := []telemetry.Quality{telemetry.Suspect, telemetry.Suspect, telemetry.Good, telemetry.Good}
	for i, r := range rs {
		if r.Value != wantV[i] || r.Quality != wantQ[i] {
			t.Errorf("%s = %v (%v), want %v (%v)", r.Quantity, r.Value, r.Quality, wantV[i], wantQ[i])
		}
	}
	if n := s.(*dust).dev.Stats().Suspect; n != 2 {
		t.Errorf("Stats.Suspect = %d, want 2", n)
	}
}

func TestSensorErrors(t *testing.T) {
	openErr := errors.New("no such bus")
	tests := []struct {
		name   string
		params map[string]string
		env    *env
		want   []string // in the error text
		closed bool     // the bus was opened and must be closed
	}{
		{
			"bad clean_interval", map[string]string{"clean_interval": "weekly"}, &env{},
			[]string{`"dust"`, "sps30", "clean_interval", `"weekly"`, `"168h"`, `"off"`}, false,
		},
		{
			"fractional clean_interval", map[string]string{"clean_interval": "90m30.5s"}, &env{},
			[]string{`"dust"`, "clean_interval", "whole seconds"}, false,
		},
		{"unknown param", map[string]string{"mode": "x"}, &env{}, []string{`"dust"`, `"mode"`, "clean_interval"}, false},
		{"bus fails", nil, &env{err: openErr}, []string{`"dust"`, `"1"`, "no such bus"}, false},
		{"chip absent", nil, &env{}, []string{`"dust"`, "sps30", "serial number"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &closer{Bus: &i2ctest.Playback{DontPanic: true}}
			if tt.env.err == nil {
				tt.env.bus = bus
			}
			spec := sensor.Spec{Name: "dust", I2C: sensor.I2C{Bus: "1"}, Params: tt.params}
			s, err := openSensor(t, spec, tt.env)
			if err == nil {
				s.Close()
				t.Fatal("factory succeeded")
			}
			t.Log(err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
			if tt.closed != (bus.closes == 1) {
				t.Errorf("bus closed %d times", bus.closes)
			}
		})
	}
}

func TestParseCleanInterval(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"168h", 168 * time.Hour, true},
		{"0", NoAutoClean, true},
		{"0s", NoAutoClean, true},
		{"off", NoAutoClean, true},
		{"-1h", 0, false},
		{"1.5s", 0, false},
		{"2000000h", 0, false},
	}
	for _, tt := range tests {
		got, err := parseCleanInterval(tt.in)
		if (err == nil) != tt.ok || tt.ok && got != tt.want {
			t.Errorf("parseCleanInterval(%q) = %v, %v", tt.in, got, err)
		}
	}
}
