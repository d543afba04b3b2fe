package sps30

import (
	"errors"
	"testing"
	"time"

	"periph.io/x/conn/v3/i2c/i2ctest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

func TestSensor(t *testing.T) {
	bus := &sensortest.Bus{Bus: playback(t, ops(newOps(wClean48h), readOps(wReady, readyYes), readOps(wValues, valuesReply), []i2ctest.IO{w(wFanClean), w(wStop)}))}
	e := &sensortest.Env{Bus: bus}
	spec := sensor.Spec{Name: "dust", Driver: "sps30", I2C: sensor.I2C{Bus: "1"}, Params: map[string]string{"clean_interval": "48h"}}
	s := sensortest.MustOpen(t, "sps30", spec, e)
	if len(e.AskedI2C) != 1 || e.AskedI2C[0] != "1" {
		t.Errorf("opened buses %q, want [1]", e.AskedI2C)
	}
	sensortest.CheckSense(t, s, "dust",
		sensortest.Want{Quantity: telemetry.PM1, Value: 12.5},
		sensortest.Want{Quantity: telemetry.PM2_5, Value: 23.25},
		sensortest.Want{Quantity: telemetry.PM4, Value: 30.5},
		sensortest.Want{Quantity: telemetry.PM10, Value: 34.75})
	if err := s.(FanCleaner).FanClean(); err != nil {
		t.Errorf("FanClean: %v", err)
	}
	if got := s.String(); got != "dust (sps30 ABCDEF0123456789 on playback(105))" {
		t.Errorf("String = %q", got)
	}
	sensortest.CheckCloseOnce(t, s, func() int { return bus.Closes })
}

// TestSensorSuspect: impossible values are carried, marked and counted.
func TestSensorSuspect(t *testing.T) {
	// PM1 NaN (0x7FC00000), PM2.5 -1 (0xBF800000), PM4 30.5, PM10 34.75.
	odd := append([]byte{
		0x7f, 0xc0, 0x64, 0x00, 0x00, 0x81,
		0xbf, 0x80, 0xf3, 0x00, 0x00, 0x81,
	}, valuesReply[12:]...)
	bus := &sensortest.Bus{Bus: playback(t, ops(newOps(nil), readOps(wReady, readyYes), readOps(wValues, odd)))}
	s := sensortest.MustOpen(t, "sps30", sensor.Spec{Name: "dust"}, &sensortest.Env{Bus: bus})
	sensortest.CheckSense(t, s, "dust",
		sensortest.Want{Quantity: telemetry.PM1, Value: 0, Quality: telemetry.Suspect},
		sensortest.Want{Quantity: telemetry.PM2_5, Value: -1, Quality: telemetry.Suspect},
		sensortest.Want{Quantity: telemetry.PM4, Value: 30.5},
		sensortest.Want{Quantity: telemetry.PM10, Value: 34.75})
	if n := s.(*dust).dev.Stats().Suspect; n != 2 {
		t.Errorf("Stats.Suspect = %d, want 2", n)
	}
}

func TestSensorErrors(t *testing.T) {
	sensortest.RunErrorCases(t, "sps30", sensor.Spec{Name: "dust", I2C: sensor.I2C{Bus: "1"}}, sensortest.NoChip, []sensortest.ErrorCase{
		{
			Name: "bad clean_interval", Params: map[string]string{"clean_interval": "weekly"},
			Want: []string{`"dust"`, "sps30", "clean_interval", `"weekly"`, `"168h"`, `"off"`},
		},
		{
			Name: "fractional clean_interval", Params: map[string]string{"clean_interval": "90m30.5s"},
			Want: []string{`"dust"`, "clean_interval", "whole seconds"},
		},
		{Name: "unknown param", Params: map[string]string{"mode": "x"}, Want: []string{`"dust"`, `"mode"`, "clean_interval"}},
		{Name: "bus fails", Env: &sensortest.Env{Err: errors.New("no such bus")}, Want: []string{`"dust"`, `"1"`, "no such bus"}},
		{Name: "chip absent", Want: []string{`"dust"`, "sps30", "serial number"}, Closed: true},
	})
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
