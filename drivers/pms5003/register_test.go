package pms5003

import (
	"errors"
	"strings"
	"testing"

	"periph.io/x/conn/v3/conntest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

func TestSensor(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		baud   int
		ops    []conntest.IO
		wantBd int
	}{
		{
			"default passive at 9600", nil, 0,
			ops(newOps(Passive), []conntest.IO{writeOp(wRead)}, frameReads(knownFrame), []conntest.IO{writeOp(wSleep)}),
			9600,
		},
		{
			"active, baud given", map[string]string{"mode": "active"}, 19200,
			ops(newOps(Active), frameReads(knownFrame), []conntest.IO{writeOp(wSleep)}),
			19200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := &sensortest.Port{Conn: playback(t, tt.ops)}
			e := &sensortest.Env{Port: port}
			spec := sensor.Spec{Name: "dust", Driver: "pms5003", Serial: sensor.Serial{Port: "/dev/ttyAMA0", Baud: tt.baud}, Params: tt.params}
			s := sensortest.MustOpen(t, "pms5003", spec, e)
			if len(e.Asked) != 1 || e.Asked[0] != (sensor.Serial{Port: "/dev/ttyAMA0", Baud: tt.wantBd}) {
				t.Errorf("opened %+v, want /dev/ttyAMA0 at %d", e.Asked, tt.wantBd)
			}
			sensortest.CheckSense(t, s, "dust",
				sensortest.Want{Quantity: telemetry.PM1, Value: 22},
				sensortest.Want{Quantity: telemetry.PM2_5, Value: 35},
				sensortest.Want{Quantity: telemetry.PM10, Value: 44})
			sensortest.CheckCloseOnce(t, s, func() int { return port.Closes })
		})
	}
}

func TestSensorErrors(t *testing.T) {
	silent := func() *sensortest.Env {
		return &sensortest.Env{Port: &sensortest.Port{Conn: &conntest.Playback{
			Ops:       []conntest.IO{writeOp(wWake), writeOp(wPassive)},
			DontPanic: true,
		}}}
	}
	sensortest.RunErrorCases(t, "pms5003", sensor.Spec{Name: "dust", Serial: sensor.Serial{Port: "/dev/ttyAMA0"}}, silent, []sensortest.ErrorCase{
		{
			Name: "unknown mode", Params: map[string]string{"mode": "fast"},
			Want: []string{`"dust"`, "mode", `"fast"`, `"passive"`, `"active"`},
		},
		{Name: "port fails", Env: &sensortest.Env{Err: errors.New("no such port")}, Want: []string{`"dust"`, "/dev/ttyAMA0", "no such port"}},
		{Name: "chip silent", Want: []string{`"dust"`, "passive-mode"}, Closed: true},
	})
}

func TestSenseHonoursContext(t *testing.T) {
	port := &sensortest.Port{Conn: playback(t, ops(newOps(Passive), []conntest.IO{writeOp(wRead)}))}
	s := sensortest.MustOpen(t, "pms5003", sensor.Spec{Name: "dust"}, &sensortest.Env{Port: port})
	sensortest.CheckSenseCanceled(t, s)
	if s.String() != "dust (pms5003 on playback)" {
		t.Errorf("String = %q", s.String())
	}
}

func TestUnknownParamIsRefused(t *testing.T) {
	_, err := sensortest.Open(t, "pms5003", sensor.Spec{Name: "dust", Params: map[string]string{"mdoe": "active"}}, &sensortest.Env{})
	if err == nil || !strings.Contains(err.Error(), `unknown param "mdoe"`) {
		t.Fatalf("err = %v, want the unknown param named", err)
	}
}
