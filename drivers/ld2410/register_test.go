package ld2410

import (
	"errors"
	"testing"

	"periph.io/x/conn/v3/conntest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

func TestSensor(t *testing.T) {
	pres := func(v float64) sensortest.Want { return sensortest.Want{Quantity: telemetry.Presence, Value: v} }
	dist := func(mm float64, q telemetry.Quality) sensortest.Want {
		return sensortest.Want{Quantity: telemetry.Distance, Value: mm, Quality: q}
	}
	tests := []struct {
		name   string
		baud   int
		report []byte
		wantBd int
		want   []sensortest.Want
	}{
		{"nobody, default baud", 0, repNone, 256000, []sensortest.Want{pres(0)}},
		{"both, baud given", 115200, repBoth, 115200, []sensortest.Want{pres(3), dist(1200, telemetry.Good)}},
		{"still", 0, repStill, 256000, []sensortest.Want{pres(2), dist(850, telemetry.Good)}},
		{"beyond range is suspect", 0, repFar, 256000, []sensortest.Want{pres(1), dist(8000, telemetry.Suspect)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &sensortest.Port{Conn: &flaky{Playback: playback(t, ops(newOps(), frameReads(tt.report)))}}
			e := &sensortest.Env{Port: p}
			spec := sensor.Spec{Name: "car", Driver: "ld2410", Serial: sensor.Serial{Port: "/dev/ttyAMA1", Baud: tt.baud}}
			s := sensortest.MustOpen(t, "ld2410", spec, e)
			if len(e.Asked) != 1 || e.Asked[0] != (sensor.Serial{Port: "/dev/ttyAMA1", Baud: tt.wantBd}) {
				t.Errorf("opened %+v, want /dev/ttyAMA1 at %d", e.Asked, tt.wantBd)
			}
			sensortest.CheckSense(t, s, "car", tt.want...)
			sensortest.CheckCloseOnce(t, s, func() int { return p.Closes })
		})
	}
}

func TestSensorErrors(t *testing.T) {
	absent := func() *sensortest.Env {
		return &sensortest.Env{Port: &sensortest.Port{Conn: &flaky{Playback: &conntest.Playback{Ops: []conntest.IO{writeOp(wEnable)}, DontPanic: true}}}}
	}
	sensortest.RunErrorCases(t, "ld2410", sensor.Spec{Name: "car", Serial: sensor.Serial{Port: "/dev/ttyAMA1"}}, absent, []sensortest.ErrorCase{
		{Name: "a param", Params: map[string]string{"mode": "engineering"}, Want: []string{`"car"`, `"mode"`, "no params"}},
		{Name: "port fails", Env: &sensortest.Env{Err: errors.New("no such port")}, Want: []string{`"car"`, "/dev/ttyAMA1", "no such port"}},
		{Name: "radar absent", Want: []string{`"car"`, "enable-configuration", "timed out"}, Closed: true},
	})
}

func TestSenseHonoursContext(t *testing.T) {
	p := &sensortest.Port{Conn: &flaky{Playback: playback(t, newOps())}}
	s := sensortest.MustOpen(t, "ld2410", sensor.Spec{Name: "car"}, &sensortest.Env{Port: p})
	sensortest.CheckSenseCanceled(t, s)
	if s.String() != "car (ld2410 on playback)" {
		t.Errorf("String = %q", s.String())
	}
	sensortest.CheckOpenCanceled(t, "ld2410", sensor.Spec{Name: "car"}, &sensortest.Env{})
}
