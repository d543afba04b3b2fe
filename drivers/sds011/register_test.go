package sds011

import (
	"errors"
	"testing"
	"time"

	"periph.io/x/conn/v3/conntest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

func port(t *testing.T, ops []conntest.IO) *sensortest.Port {
	return &sensortest.Port{Conn: &flaky{Playback: playback(t, ops)}}
}

func TestSensor(t *testing.T) {
	pm := func(pm25, pm10 float64, q telemetry.Quality) []sensortest.Want {
		return []sensortest.Want{{Quantity: telemetry.PM2_5, Value: pm25, Quality: q}, {Quantity: telemetry.PM10, Value: pm10, Quality: q}}
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
			"default query at 9600", nil, 0,
			ops(newOps(Query, 0), exchange(wQuery, knownFrame), exchange(wSleep, ackSleep)),
			9600, pm(35.2, 48.7, telemetry.Good),
		},
		{
			"active every 5 minutes, baud given", map[string]string{"mode": "active", "period": "5"}, 19200,
			ops(newOps(Active, 5), reads(cleanFrame), exchange(wSleep, ackSleep)),
			19200, pm(2.8, 4.7, telemetry.Good),
		},
		{
			"over range is suspect", map[string]string{"mode": "query"}, 0,
			ops(newOps(Query, 0), exchange(wQuery, overFrame), exchange(wSleep, ackSleep)),
			9600, pm(1000, 2000, telemetry.Suspect),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := port(t, tt.ops)
			e := &sensortest.Env{Port: p}
			spec := sensor.Spec{Name: "dust", Driver: "sds011", Serial: sensor.Serial{Port: "/dev/ttyUSB0", Baud: tt.baud}, Params: tt.params}
			s := sensortest.MustOpen(t, "sds011", spec, e)
			if len(e.Asked) != 1 || e.Asked[0] != (sensor.Serial{Port: "/dev/ttyUSB0", Baud: tt.wantBd}) {
				t.Errorf("opened %+v, want /dev/ttyUSB0 at %d", e.Asked, tt.wantBd)
			}
			// Past the warm-up, so that quality is the frame's own.
			s.(*dust).warm = time.Time{}
			sensortest.CheckSense(t, s, "dust", tt.want...)
			sensortest.CheckCloseOnce(t, s, func() int { return p.Closes })
		})
	}
}

func TestSenseWarming(t *testing.T) {
	p := port(t, ops(newOps(Query, 0), exchange(wQuery, knownFrame)))
	s := sensortest.MustOpen(t, "sds011", sensor.Spec{Name: "dust"}, &sensortest.Env{Port: p})
	sensortest.CheckSense(t, s, "dust",
		sensortest.Want{Quantity: telemetry.PM2_5, Value: 35.2, Quality: telemetry.Warming},
		sensortest.Want{Quantity: telemetry.PM10, Value: 48.7, Quality: telemetry.Warming})
}

func TestSensorErrors(t *testing.T) {
	absent := func() *sensortest.Env {
		return &sensortest.Env{Port: &sensortest.Port{Conn: &flaky{Playback: &conntest.Playback{
			Ops:       []conntest.IO{writeOp(wWork), writeOp(wWork)},
			DontPanic: true,
		}}}}
	}
	sensortest.RunErrorCases(t, "sds011", sensor.Spec{Name: "dust", Serial: sensor.Serial{Port: "/dev/ttyUSB0"}}, absent, []sensortest.ErrorCase{
		{Name: "unknown mode", Params: map[string]string{"mode": "passive"}, Want: []string{`"dust"`, "mode", `"passive"`, `"active" or "query"`}},
		{Name: "period not a number", Params: map[string]string{"period": "5m"}, Want: []string{`"dust"`, "period", `"5m"`, "0 (continuous) to 30"}},
		{Name: "period too long", Params: map[string]string{"period": "31"}, Want: []string{"period", `"31"`}},
		{Name: "unknown param", Params: map[string]string{"interval": "5"}, Want: []string{`"interval"`, "mode, period"}},
		{Name: "port fails", Env: &sensortest.Env{Err: errors.New("no such port")}, Want: []string{`"dust"`, "/dev/ttyUSB0", "no such port"}},
		{Name: "chip absent", Want: []string{`"dust"`, "work", "timed out"}, Closed: true},
	})
}

func TestSenseHonoursContext(t *testing.T) {
	p := port(t, ops(newOps(Query, 0), []conntest.IO{writeOp(wQuery)}))
	s := sensortest.MustOpen(t, "sds011", sensor.Spec{Name: "dust"}, &sensortest.Env{Port: p})
	sensortest.CheckSenseCanceled(t, s)
	if s.String() != "dust (sds011 on playback)" {
		t.Errorf("String = %q", s.String())
	}
}

func TestFactoryHonoursContext(t *testing.T) {
	sensortest.CheckOpenCanceled(t, "sds011", sensor.Spec{Name: "dust"}, &sensortest.Env{})
}
