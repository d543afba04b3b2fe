package ultrasonic

import (
	"errors"
	"testing"

	"periph.io/x/conn/v3/conntest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

func TestSensor(t *testing.T) {
	dist := func(mm float64, q telemetry.Quality) sensortest.Want {
		return sensortest.Want{Quantity: telemetry.Distance, Value: mm, Quality: q}
	}
	level := func(m float64, q telemetry.Quality) sensortest.Want {
		return sensortest.Want{Quantity: telemetry.WaterLevel, Value: m, Quality: q}
	}
	tests := []struct {
		name   string
		params map[string]string
		baud   int
		ops    []conntest.IO
		wantBd int
		want   []sensortest.Want
	}{
		{
			"defaults: five echoes, distance only", nil, 0,
			ops(reads(f1953), reads(f1953, f1500, f1950, f25, f1960)),
			9600, []sensortest.Want{dist(1950, telemetry.Good)},
		},
		{
			"water level from the mounting height", map[string]string{"mounting_height_m": "5.2", "samples": "3"}, 0,
			ops(reads(f1953), reads(f1953, f1950, f1960)),
			9600, []sensortest.Want{dist(1953, telemetry.Good), level(3.247, telemetry.Good)},
		},
		{
			"AJ-SR04M triggered, baud given", map[string]string{"checksum": "sum-no-header", "trigger": "true", "trigger_byte": "0x01", "samples": "1"}, 19200,
			[]conntest.IO{writeOp([]byte{0x01}), {R: f1953NoHeader}, writeOp([]byte{0x01}), {R: f1953NoHeader}},
			19200, []sensortest.Want{dist(1953, telemetry.Good)},
		},
		{
			"out of the configured range is suspect, not dropped", map[string]string{"max_mm": "1900", "samples": "1", "mounting_height_m": "2"}, 0,
			ops(reads(f1953), reads(f1953)),
			9600, []sensortest.Want{dist(1953, telemetry.Suspect), level(0.047, telemetry.Suspect)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &sensortest.Port{Conn: &flaky{Playback: playback(t, tt.ops)}}
			e := &sensortest.Env{Port: p}
			spec := sensor.Spec{Name: "river", Driver: "ultrasonic", Serial: sensor.Serial{Port: "/dev/ttyS0", Baud: tt.baud}, Params: tt.params}
			s := sensortest.MustOpen(t, "ultrasonic", spec, e)
			if len(e.Asked) != 1 || e.Asked[0] != (sensor.Serial{Port: "/dev/ttyS0", Baud: tt.wantBd}) {
				t.Errorf("opened %+v, want /dev/ttyS0 at %d", e.Asked, tt.wantBd)
			}
			sensortest.CheckSense(t, s, "river", tt.want...)
			sensortest.CheckCloseOnce(t, s, func() int { return p.Closes })
		})
	}
}

func TestSensorErrors(t *testing.T) {
	absent := func() *sensortest.Env {
		return &sensortest.Env{Port: &sensortest.Port{Conn: &flaky{Playback: &conntest.Playback{DontPanic: true}}}}
	}
	sensortest.RunErrorCases(t, "ultrasonic", sensor.Spec{Name: "river", Serial: sensor.Serial{Port: "/dev/ttyS0"}}, absent, []sensortest.ErrorCase{
		{Name: "checksum", Params: map[string]string{"checksum": "xor"}, Want: []string{`"river"`, "checksum", `"xor"`, `"sum" or "sum-no-header"`}},
		{Name: "trigger", Params: map[string]string{"trigger": "yes"}, Want: []string{"trigger", `"yes"`, `"true" or "false"`}},
		{Name: "trigger byte", Params: map[string]string{"trigger_byte": "0x155"}, Want: []string{"trigger_byte", `"0x155"`, "0x55"}},
		{Name: "min not a number", Params: map[string]string{"min_mm": "3cm"}, Want: []string{"min_mm", `"3cm"`, "in mm"}},
		{Name: "max below min", Params: map[string]string{"min_mm": "300", "max_mm": "200"}, Want: []string{"max_mm", `"200"`, "above min_mm"}},
		{Name: "min above default max", Params: map[string]string{"min_mm": "5000"}, Want: []string{"min_mm", `"5000"`}},
		{Name: "negative max", Params: map[string]string{"max_mm": "-1"}, Want: []string{"max_mm"}},
		{Name: "samples", Params: map[string]string{"samples": "0"}, Want: []string{"samples", `"0"`, "1 to 50"}},
		{Name: "height", Params: map[string]string{"mounting_height_m": "-2"}, Want: []string{"mounting_height_m", `"-2"`, "metres"}},
		{Name: "unknown", Params: map[string]string{"height": "2"}, Want: []string{`"height"`, "mounting_height_m"}},
		{Name: "port fails", Env: &sensortest.Env{Err: errors.New("no such port")}, Want: []string{`"river"`, "/dev/ttyS0", "no such port"}},
		{Name: "board absent", Want: []string{`"river"`, "probing", "timed out"}, Closed: true},
	})
}

func TestSenseHonoursContext(t *testing.T) {
	p := &sensortest.Port{Conn: &flaky{Playback: playback(t, reads(f1953))}}
	s := sensortest.MustOpen(t, "ultrasonic", sensor.Spec{Name: "river"}, &sensortest.Env{Port: p})
	sensortest.CheckSenseCanceled(t, s)
	if s.String() != "river (ultrasonic on playback)" {
		t.Errorf("String = %q", s.String())
	}
	sensortest.CheckOpenCanceled(t, "ultrasonic", sensor.Spec{Name: "river"}, &sensortest.Env{})
}
