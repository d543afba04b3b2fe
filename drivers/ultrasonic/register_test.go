package ultrasonic

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
	f, err := sensor.Lookup("ultrasonic")
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
		params map[string]string
		baud   int
		ops    []conntest.IO
		wantBd int
		want   []want
	}{
		{
			"defaults: five echoes, distance only", nil, 0,
			ops(reads(f1953), reads(f1953, f1500, f1950, f25, f1960)),
			9600, []want{{telemetry.Distance, 1950, telemetry.Good}},
		},
		{
			"water level from the mounting height", map[string]string{"mounting_height_m": "5.2", "samples": "3"}, 0,
			ops(reads(f1953), reads(f1953, f1950, f1960)),
			9600, []want{{telemetry.Distance, 1953, telemetry.Good}, {telemetry.WaterLevel, 3.247, telemetry.Good}},
		},
		{
			"AJ-SR04M triggered, baud given", map[string]string{"checksum": "sum-no-header", "trigger": "true", "trigger_byte": "0x01", "samples": "1"}, 19200,
			[]conntest.IO{writeOp([]byte{0x01}), {R: f1953NoHeader}, writeOp([]byte{0x01}), {R: f1953NoHeader}},
			19200, []want{{telemetry.Distance, 1953, telemetry.Good}},
		},
		{
			"out of the configured range is suspect, not dropped", map[string]string{"max_mm": "1900", "samples": "1", "mounting_height_m": "2"}, 0,
			ops(reads(f1953), reads(f1953)),
			9600, []want{{telemetry.Distance, 1953, telemetry.Suspect}, {telemetry.WaterLevel, 0.047, telemetry.Suspect}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &playbackPort{flaky: &flaky{Playback: playback(t, tt.ops)}}
			e := &sensortest.Env{Port: p}
			spec := sensor.Spec{Name: "river", Driver: "ultrasonic", Serial: sensor.Serial{Port: "/dev/ttyS0", Baud: tt.baud}, Params: tt.params}
			s, err := openSensor(t, spec, e)
			if err != nil {
				t.Fatalf("factory: %v", err)
			}
			if len(e.Asked) != 1 || e.Asked[0] != (sensor.Serial{Port: "/dev/ttyS0", Baud: tt.wantBd}) {
				t.Errorf("opened %+v, want /dev/ttyS0 at %d", e.Asked, tt.wantBd)
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
				if r.Quantity != w.q || r.Value != w.v || r.Quality != w.qual || r.Sensor != "river" {
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
		want   []string // in the error text
		closed bool     // the port was opened and must be closed
	}{
		{"checksum", map[string]string{"checksum": "xor"}, &sensortest.Env{}, []string{`"river"`, "checksum", `"xor"`, `"sum" or "sum-no-header"`}, false},
		{"trigger", map[string]string{"trigger": "yes"}, &sensortest.Env{}, []string{"trigger", `"yes"`, `"true" or "false"`}, false},
		{"trigger byte", map[string]string{"trigger_byte": "0x155"}, &sensortest.Env{}, []string{"trigger_byte", `"0x155"`, "0x55"}, false},
		{"min not a number", map[string]string{"min_mm": "3cm"}, &sensortest.Env{}, []string{"min_mm", `"3cm"`, "in mm"}, false},
		{"max below min", map[string]string{"min_mm": "300", "max_mm": "200"}, &sensortest.Env{}, []string{"max_mm", `"200"`, "above min_mm"}, false},
		{"min above default max", map[string]string{"min_mm": "5000"}, &sensortest.Env{}, []string{"min_mm", `"5000"`}, false},
		{"negative max", map[string]string{"max_mm": "-1"}, &sensortest.Env{}, []string{"max_mm"}, false},
		{"samples", map[string]string{"samples": "0"}, &sensortest.Env{}, []string{"samples", `"0"`, "1 to 50"}, false},
		{"height", map[string]string{"mounting_height_m": "-2"}, &sensortest.Env{}, []string{"mounting_height_m", `"-2"`, "metres"}, false},
		{"unknown", map[string]string{"height": "2"}, &sensortest.Env{}, []string{`"height"`, "mounting_height_m"}, false},
		{"port fails", nil, &sensortest.Env{Err: openErr}, []string{`"river"`, "/dev/ttyS0", "no such port"}, false},
		{"board absent", nil, &sensortest.Env{}, []string{`"river"`, "probing", "timed out"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &playbackPort{flaky: &flaky{Playback: &conntest.Playback{DontPanic: true}}}
			if tt.env.Err == nil {
				tt.env.Port = p
			}
			spec := sensor.Spec{Name: "river", Serial: sensor.Serial{Port: "/dev/ttyS0"}, Params: tt.params}
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
	p := &playbackPort{flaky: &flaky{Playback: playback(t, reads(f1953))}}
	s, err := openSensor(t, sensor.Spec{Name: "river"}, &sensortest.Env{Port: p})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Sense(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Sense = %v, want context.Canceled", err)
	}
	if s.String() != "river (ultrasonic on playback)" {
		t.Errorf("String = %q", s.String())
	}
	f, _ := sensor.Lookup("ultrasonic")
	if _, err := f(ctx, sensor.Spec{Name: "river"}, &sensortest.Env{}); !errors.Is(err, context.Canceled) {
		t.Errorf("factory = %v, want context.Canceled", err)
	}
}
