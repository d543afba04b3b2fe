package pms5003

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

// playbackPort is a Playback with the Close a sensor.Port needs.
type playbackPort struct {
	*conntest.Playback
	closes int
}

func (p *playbackPort) Close() error { p.closes++; return nil }

// env hands out one port and remembers what was asked for.
type env struct {
	port  sensor.Port
	err   error
	asked []sensor.Serial
}

func (e *env) OpenSerial(s sensor.Serial) (sensor.Port, error) {
	e.asked = append(e.asked, s)
	return e.port, e.err
}

func (e *env) OpenI2C(bus string) (i2c.BusCloser, error) {
	return nil, errors.New("test env: no I2C")
}

func (e *env) Pin(name string) (gpio.PinIO, error) {
	return nil, errors.New("test env: no GPIO")
}

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
			e := &env{port: port}
			spec := sensor.Spec{Name: "dust", Driver: "pms5003", Serial: sensor.Serial{Port: "/dev/ttyAMA0", Baud: tt.baud}, Params: tt.params}
			s, err := openSensor(t, spec, e)
			if err != nil {
				t.Fatalf("factory: %v", err)
			}
			if len(e.asked) != 1 || e.asked[0] != (sensor.Serial{Port: "/dev/ttyAMA0", Baud: tt.wantBd}) {
				t.Errorf("opened %+v, want /dev/ttyAMA0 at %d", e.asked, tt.wantBd)
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
		env    *env
		want   []string // in the error text
		closed bool     // the port was opened and must be closed
	}{
		{
			"unknown mode", map[string]string{"mode": "fast"}, &env{},
			[]string{`"dust"`, "mode", `"fast"`, `"passive"`, `"active"`}, false,
		},
		{"port fails", nil, &env{err: openErr}, []string{`"dust"`, "/dev/ttyAMA0", "no such port"}, false},
		{"chip silent", nil, &env{}, []string{`"dust"`, "passive-mode"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := &playbackPort{Playback: &conntest.Playback{
				Ops:       []conntest.IO{writeOp(wWake), writeOp(wPassive)},
				DontPanic: true,
			}}
			if tt.env.err == nil {
				tt.env.port = port
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
	s, err := openSensor(t, sensor.Spec{Name: "dust"}, &env{port: port})
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
	_, err := openSensor(t, sensor.Spec{Name: "dust", Params: map[string]string{"mdoe": "active"}}, &env{})
	if err == nil || !strings.Contains(err.Error(), `unknown param "mdoe"`) {
		t.Fatalf("err = %v, want the unknown param named", err)
	}
}
