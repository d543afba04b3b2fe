package pms5003

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/conntest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// playbackPort is a Playback with the Close a sensor.Port needs.
type playbackPort struct {
	*conntest.Playback
	closes int
}

func (p *playbackPort) Close() error { p.closes++; return nil }

func openSensor(t *testing.T, spec sensor.Spec, e sensor.Env) (sensor.Sensor, error) {
	t.Helper()
	f, err := sensor.Lookup("pms5003")
	if err != nil {
		t.Fatal(err)
	}
	return f(context.Background(), spec, e)
}

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
			port := &playbackPort{Playback: playback(t, tt.ops)}
			e := &sensortest.Env{Port: port}
			spec := sensor.Spec{Name: "dust", Driver: "pms5003", Serial: sensor.Serial{Port: "/dev/ttyAMA0", Baud: tt.baud}, Params: tt.params}
			s, err := openSensor(t, spec, e)
			if err != nil {
				t.Fatalf("factory: %v", err)
			}
			if len(e.Asked) != 1 || e.Asked[0] != (sensor.Serial{Port: "/dev/ttyAMA0", Baud: tt.wantBd}) {
				t.Errorf("opened %+v, want /dev/ttyAMA0 at %d", e.Asked, tt.wantBd)
			}
			before := time.Now()
			rs, err := s.Sense(context.Background())
			if err != nil {
				t.Fatalf("Sense: %v", err)
			}
			after := time.Now()
			want := map[telemetry.Quantity]float64{telemetry.PM1: 22, telemetry.PM2_5: 35, telemetry.PM10: 44}
			if len(rs) != len(want) {
				t.Fatalf("Sense gave %d readings, want %d", len(rs), len(want))
			}
			for _, r := range rs {
				if v, ok := want[r.Quantity]; !ok || r.Value != v {
					t.Errorf("%s = %v, want %v", r.Quantity, r.Value, v)
				}
				if r.Sensor != "dust" || r.Quality != telemetry.Good {
					t.Errorf("reading %+v: want sensor dust, quality good", r)
				}
				if r.Time.Before(before) || r.Time.After(after) {
					t.Errorf("reading time %v outside the Sense call", r.Time)
				}
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := s.Close(); err != nil || port.closes != 1 {
				t.Errorf("second Close = %v, port closed %d times", err, port.closes)
			}
		})
	}
}

func TestSensorErrors(t *testing.T) {
	openErr := errors.New("no such port")
	tests := []struct {
		name   string
		params map[string]string
		env    *sensortest.Env
		want   []string // in the error text
		closed bool     // the port was opened and must be closed
	}{
		{
			"unknown mode", map[string]string{"mode": "fast"}, &sensortest.Env{},
			[]string{`"dust"`, "mode", `"fast"`, `"passive"`, `"active"`}, false,
		},
		{"port fails", nil, &sensortest.Env{Err: openErr}, []string{`"dust"`, "/dev/ttyAMA0", "no such port"}, false},
		{"chip silent", nil, &sensortest.Env{}, []string{`"dust"`, "passive-mode"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := &playbackPort{Playback: &conntest.Playback{
				Ops:       []conntest.IO{writeOp(wWake), writeOp(wPassive)},
				DontPanic: true,
			}}
			if tt.env.Err == nil {
				tt.env.Port = port
			}
			spec := sensor.Spec{Name: "dust", Serial: sensor.Serial{Port: "/dev/ttyAMA0"}, Params: tt.params}
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
			if tt.closed != (port.closes == 1) {
				t.Errorf("port closed %d times", port.closes)
			}
		})
	}
}

func TestSenseHonoursContext(t *testing.T) {
	port := &playbackPort{Playback: playback(t, ops(newOps(Passive), []conntest.IO{writeOp(wRead)}))}
	s, err := openSensor(t, sensor.Spec{Name: "dust"}, &sensortest.Env{Port: port})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Sense(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Sense = %v, want context.Canceled", err)
	}
	if s.String() != "dust (pms5003 on playback)" {
		t.Errorf("String = %q", s.String())
	}
}

func TestUnknownParamIsRefused(t *testing.T) {
	_, err := openSensor(t, sensor.Spec{Name: "dust", Params: map[string]string{"mdoe": "active"}}, &sensortest.Env{})
	if err == nil || !strings.Contains(err.Error(), `unknown param "mdoe"`) {
		t.Fatalf("err = %v, want the unknown param named", err)
	}
}
