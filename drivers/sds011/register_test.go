package sds011

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

// playbackPort is a conn with the Close a sensor.Port needs.
type playbackPort struct {
	*flaky
	closes int
}

func (p *playbackPort) Close() error { p.closes++; return nil }

func openSensor(t *testing.T, spec sensor.Spec, e sensor.Env) (sensor.Sensor, error) {
	t.Helper()
	f, err := sensor.Lookup("sds011")
	if err != nil {
		t.Fatal(err)
	}
	return f(context.Background(), spec, e)
}

func port(t *testing.T, ops []conntest.IO) *playbackPort {
	return &playbackPort{flaky: &flaky{Playback: playback(t, ops)}}
}

func TestSensor(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		baud   int
		ops    []conntest.IO
		wantBd int
		read   []byte
		want   map[telemetry.Quantity]float64
		q      telemetry.Quality
	}{
		{
			"default query at 9600", nil, 0,
			ops(newOps(Query, 0), exchange(wQuery, knownFrame), exchange(wSleep, ackSleep)),
			9600, knownFrame, map[telemetry.Quantity]float64{telemetry.PM2_5: 35.2, telemetry.PM10: 48.7}, telemetry.Good,
		},
		{
			"active every 5 minutes, baud given", map[string]string{"mode": "active", "period": "5"}, 19200,
			ops(newOps(Active, 5), reads(cleanFrame), exchange(wSleep, ackSleep)),
			19200, cleanFrame, map[telemetry.Quantity]float64{telemetry.PM2_5: 2.8, telemetry.PM10: 4.7}, telemetry.Good,
		},
		{
			"over range is suspect", map[string]string{"mode": "query"}, 0,
			ops(newOps(Query, 0), exchange(wQuery, overFrame), exchange(wSleep, ackSleep)),
			9600, overFrame, map[telemetry.Quantity]float64{telemetry.PM2_5: 1000, telemetry.PM10: 2000}, telemetry.Suspect,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := port(t, tt.ops)
			e := &sensortest.Env{Port: p}
			spec := sensor.Spec{Name: "dust", Driver: "sds011", Serial: sensor.Serial{Port: "/dev/ttyUSB0", Baud: tt.baud}, Params: tt.params}
			s, err := openSensor(t, spec, e)
			if err != nil {
				t.Fatalf("factory: %v", err)
			}
			if len(e.Asked) != 1 || e.Asked[0] != (sensor.Serial{Port: "/dev/ttyUSB0", Baud: tt.wantBd}) {
				t.Errorf("opened %+v, want /dev/ttyUSB0 at %d", e.Asked, tt.wantBd)
			}
			// Past the warm-up, so that quality is the frame's own.
			s.(*dust).warm = time.Time{}
			before := time.Now()
			rs, err := s.Sense(context.Background())
			if err != nil {
				t.Fatalf("Sense: %v", err)
			}
			after := time.Now()
			if len(rs) != len(tt.want) {
				t.Fatalf("Sense gave %d readings, want %d", len(rs), len(tt.want))
			}
			for _, r := range rs {
				if v, ok := tt.want[r.Quantity]; !ok || r.Value != v {
					t.Errorf("%s = %v, want %v", r.Quantity, r.Value, v)
				}
				if r.Sensor != "dust" || r.Quality != tt.q {
					t.Errorf("reading %+v: want sensor dust, quality %v", r, tt.q)
				}
				if r.Time.Before(before) || r.Time.After(after) {
					t.Errorf("reading time %v outside the Sense call", r.Time)
				}
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := s.Close(); err != nil || p.closes != 1 {
				t.Errorf("second Close = %v, port closed %d times", err, p.closes)
			}
		})
	}
}

func TestSenseWarming(t *testing.T) {
	p := port(t, ops(newOps(Query, 0), exchange(wQuery, knownFrame)))
	s, err := openSensor(t, sensor.Spec{Name: "dust"}, &sensortest.Env{Port: p})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := s.Sense(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Quality != telemetry.Warming {
			t.Errorf("%v just after wake-up: quality %v, want warming", r.Quantity, r.Quality)
		}
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
		{"unknown mode", map[string]string{"mode": "passive"}, &sensortest.Env{},
			[]string{`"dust"`, "mode", `"passive"`, `"active" or "query"`}, false},
		{"period not a number", map[string]string{"period": "5m"}, &sensortest.Env{},
			[]string{`"dust"`, "period", `"5m"`, "0 (continuous) to 30"}, false},
		{"period too long", map[string]string{"period": "31"}, &sensortest.Env{}, []string{"period", `"31"`}, false},
		{"unknown param", map[string]string{"interval": "5"}, &sensortest.Env{}, []string{`"interval"`, "mode, period"}, false},
		{"port fails", nil, &sensortest.Env{Err: openErr}, []string{`"dust"`, "/dev/ttyUSB0", "no such port"}, false},
		{"chip absent", nil, &sensortest.Env{}, []string{`"dust"`, "work", "timed out"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &playbackPort{flaky: &flaky{Playback: &conntest.Playback{
				Ops:       []conntest.IO{writeOp(wWork), writeOp(wWork)},
				DontPanic: true,
			}}}
			if tt.env.Err == nil {
				tt.env.Port = p
			}
			spec := sensor.Spec{Name: "dust", Serial: sensor.Serial{Port: "/dev/ttyUSB0"}, Params: tt.params}
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
			if tt.closed != (p.closes == 1) {
				t.Errorf("port closed %d times", p.closes)
			}
		})
	}
}

func TestSenseHonoursContext(t *testing.T) {
	p := port(t, ops(newOps(Query, 0), []conntest.IO{writeOp(wQuery)}))
	s, err := openSensor(t, sensor.Spec{Name: "dust"}, &sensortest.Env{Port: p})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Sense(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Sense = %v, want context.Canceled", err)
	}
	if s.String() != "dust (sds011 on playback)" {
		t.Errorf("String = %q", s.String())
	}
}

func TestFactoryHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f, _ := sensor.Lookup("sds011")
	if _, err := f(ctx, sensor.Spec{Name: "dust"}, &sensortest.Env{}); !errors.Is(err, context.Canceled) {
		t.Errorf("factory = %v, want context.Canceled", err)
	}
}
