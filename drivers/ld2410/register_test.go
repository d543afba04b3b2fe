package ld2410

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
	f, err := sensor.Lookup("ld2410")
	if err != nil {
		t.Fatal(err)
	}
	return f(context.Background(), spec, e)
}

func TestSensor(t *testing.T) {
	type want struct {
		q    telemetry.Quantity
		v    float64
		qual telemetry.Quality
	}
	tests := []struct {
		name   string
		baud   int
		report []byte
		wantBd int
		want   []want
	}{
		{"nobody, default baud", 0, repNone, 256000, []want{{telemetry.Presence, 0, telemetry.Good}}},
		{"both, baud given", 115200, repBoth, 115200,
			[]want{{telemetry.Presence, 3, telemetry.Good}, {telemetry.Distance, 1200, telemetry.Good}}},
		{"still", 0, repStill, 256000,
			[]want{{telemetry.Presence, 2, telemetry.Good}, {telemetry.Distance, 850, telemetry.Good}}},
		{"beyond range is suspect", 0, repFar, 256000,
			[]want{{telemetry.Presence, 1, telemetry.Good}, {telemetry.Distance, 8000, telemetry.Suspect}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &playbackPort{flaky: &flaky{Playback: playback(t, ops(newOps(), frameReads(tt.report)))}}
			e := &sensortest.Env{Port: p}
			spec := sensor.Spec{Name: "car", Driver: "ld2410", Serial: sensor.Serial{Port: "/dev/ttyAMA1", Baud: tt.baud}}
			s, err := openSensor(t, spec, e)
			if err != nil {
				t.Fatalf("factory: %v", err)
			}
			if len(e.Asked) != 1 || e.Asked[0] != (sensor.Serial{Port: "/dev/ttyAMA1", Baud: tt.wantBd}) {
				t.Errorf("opened %+v, want /dev/ttyAMA1 at %d", e.Asked, tt.wantBd)
			}
			before := time.Now()
			rs, err := s.Sense(context.Background())
			if err != nil {
				t.Fatalf("Sense: %v", err)
			}
			after := time.Now()
			if len(rs) != len(tt.want) {
				t.Fatalf("Sense = %+v, want %+v", rs, tt.want)
			}
			for i, r := range rs {
				w := tt.want[i]
				if r.Quantity != w.q || r.Value != w.v || r.Quality != w.qual || r.Sensor != "car" {
					t.Errorf("reading %+v, want %+v", r, w)
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

func TestSensorErrors(t *testing.T) {
	openErr := errors.New("no such port")
	tests := []struct {
		name   string
		params map[string]string
		env    *sensortest.Env
		want   []string
		closed bool
	}{
		{"a param", map[string]string{"mode": "engineering"}, &sensortest.Env{}, []string{`"car"`, `"mode"`, "no params"}, false},
		{"port fails", nil, &sensortest.Env{Err: openErr}, []string{`"car"`, "/dev/ttyAMA1", "no such port"}, false},
		{"radar absent", nil, &sensortest.Env{}, []string{`"car"`, "enable-configuration", "timed out"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &playbackPort{flaky: &flaky{Playback: &conntest.Playback{Ops: []conntest.IO{writeOp(wEnable)}, DontPanic: true}}}
			if tt.env.Err == nil {
				tt.env.Port = p
			}
			spec := sensor.Spec{Name: "car", Serial: sensor.Serial{Port: "/dev/ttyAMA1"}, Params: tt.params}
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
	p := &playbackPort{flaky: &flaky{Playback: playback(t, newOps())}}
	s, err := openSensor(t, sensor.Spec{Name: "car"}, &sensortest.Env{Port: p})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Sense(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Sense = %v, want context.Canceled", err)
	}
	if s.String() != "car (ld2410 on playback)" {
		t.Errorf("String = %q", s.String())
	}
	f, _ := sensor.Lookup("ld2410")
	if _, err := f(ctx, sensor.Spec{Name: "car"}, &sensortest.Env{}); !errors.Is(err, context.Canceled) {
		t.Errorf("factory = %v, want context.Canceled", err)
	}
}
