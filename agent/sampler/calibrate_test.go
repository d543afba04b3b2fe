package sampler

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// fixed is a sensor whose every sample is the same readings.
type fixed struct{ rs []telemetry.Reading }

func (f fixed) Sense(context.Context) ([]telemetry.Reading, error) {
	return append([]telemetry.Reading(nil), f.rs...), nil
}
func (fixed) Close() error   { return nil }
func (fixed) String() string { return "fixed" }

func TestCalibrationIsAppliedBeforeTheSink(t *testing.T) {
	at := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	dev := fixed{[]telemetry.Reading{
		{Quantity: telemetry.PM2_5, Value: 12, Time: at},
		{Quantity: telemetry.PM10, Value: 30, Time: at},
		{Quantity: telemetry.PM1, Value: 7, Time: at, Quality: telemetry.Bad},
		{Quantity: telemetry.PM1, Value: 7, Time: at, Quality: telemetry.Warming},
	}}
	k := &sink{seen: make(chan struct{}, 1)}
	s, err := New(sensor.Spec{Name: "dust", Driver: "test-flaky-sense", Interval: time.Second}, nil, k.put, Opts{
		Calibrate: map[telemetry.Quantity]Linear{
			telemetry.PM2_5: {Scale: 1.25, Offset: -0.5},
			telemetry.PM1:   {Scale: 2, Offset: 0.125},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.once(context.Background(), dev); err != nil {
		t.Fatal(err)
	}
	want := []telemetry.Reading{
		{Sensor: "dust", Quantity: telemetry.PM2_5, Value: 14.5, Time: at}, // 12 × 1.25 − 0.5
		{Sensor: "dust", Quantity: telemetry.PM10, Value: 30, Time: at},    // not calibrated
		{Sensor: "dust", Quantity: telemetry.PM1, Value: 7, Time: at, Quality: telemetry.Bad},
		{Sensor: "dust", Quantity: telemetry.PM1, Value: 14.125, Time: at, Quality: telemetry.Warming},
	}
	if !reflect.DeepEqual(k.got, want) {
		t.Errorf("sink got\n%+v\nwant\n%+v", k.got, want)
	}

	// Without calibration the values pass untouched.
	k.got = nil
	s.o.Calibrate = nil
	if err := s.once(context.Background(), dev); err != nil {
		t.Fatal(err)
	}
	if k.got[0].Value != 12 || k.got[3].Value != 7 {
		t.Errorf("uncalibrated values = %v, %v; want 12, 7", k.got[0].Value, k.got[3].Value)
	}
}
