package ultrasonic

import (
	"errors"
	"testing"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/drivers/framing"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		opts *Opts
		ops  []conntest.IO
	}{
		{"nil opts: A02YYUW sending on its own", nil, reads(f1953)},
		{"triggered with 0x55", &Opts{Trigger: true}, triggered(f1953)},
		{"AJ-SR04M: 0x01 trigger, H+L checksum", &Opts{Trigger: true, TriggerByte: 0x01, Checksum: SumNoHeader},
			[]conntest.IO{writeOp([]byte{0x01}), {R: f1953NoHeader}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(playback(t, tt.ops), tt.opts)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := d.Stats(); got != (Stats{Frames: 1}) {
				t.Errorf("Stats = %+v", got)
			}
			if d.String() != "ultrasonic on playback" || d.Halt() != nil {
				t.Errorf("String = %q", d.String())
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		opts *Opts
		ops  []conntest.IO
		want error
	}{
		{"absent board", nil, nil, timeoutErr{}},
		{"absent triggered board", &Opts{Trigger: true}, []conntest.IO{writeOp(trig), writeOp(trig)}, timeoutErr{}},
		{"wrong checksum variant", nil, reads(f1953NoHeader, f1953NoHeader, f1953NoHeader, f1953NoHeader, f1953NoHeader, f1953NoHeader, f1953NoHeader, f1953NoHeader, f1953NoHeader), ErrChecksum},
		{"bad checksum variant", &Opts{Checksum: 3}, nil, nil},
		{"empty range", &Opts{Min: 10 * mm, Max: 10 * mm}, nil, nil},
		{"negative min", &Opts{Min: -1, Max: 10 * mm}, nil, nil},
		{"negative MaxSkip", &Opts{MaxSkip: -1}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &conntest.Playback{Ops: tt.ops, DontPanic: true}
			_, err := New(&flaky{Playback: p}, tt.opts)
			t.Log(err)
			if err == nil {
				t.Fatal("New succeeded")
			}
			if _, ok := tt.want.(timeoutErr); ok {
				if !framing.IsTimeout(err) {
					t.Errorf("New = %v, want a timeout", err)
				}
			} else if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("New = %v, want %v", err, tt.want)
			}
			if err := p.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestMeasure(t *testing.T) {
	tests := []struct {
		name    string
		trigger bool
		n       int
		ops     []conntest.IO
		want    Measurement
		stats   Stats
	}{
		{
			// A wave crest (1500) and spray in the blind zone (25) are
			// rejected by the median.
			"median rejects outliers", false, 5,
			reads(f1953, f1500, f1950, f25, f1960),
			Measurement{Distance: 1950 * mm, Echoes: 5, OutOfRange: 1, InRange: true},
			Stats{Frames: 5, OutOfRange: 1},
		},
		{
			"even count averages the middle two", false, 4,
			reads(f1953, f1946, f1950, f1960),
			Measurement{Distance: 1951500 * physic.MicroMetre, Echoes: 4, InRange: true},
			Stats{Frames: 4},
		},
		{
			"median out of range", false, 3,
			reads(f5000, f5000, f1953),
			Measurement{Distance: 5000 * mm, Echoes: 3, OutOfRange: 2},
			Stats{Frames: 3, OutOfRange: 2},
		},
		{
			"triggered, each frame asked for", true, 3,
			ops(triggered(f1953), triggered(f1950), triggered(f1960)),
			Measurement{Distance: 1953 * mm, Echoes: 3, InRange: true},
			Stats{Frames: 3},
		},
		{
			"garbage and a bad checksum between frames", false, 2,
			reads(cat([]byte{0x00, 0x13}, f1953[:2]), f1953[2:], []byte{0xff, 0x07, 0xa1, 0xa6}, cat(f1950[1:], []byte{0xff}), f1950[1:]),
			Measurement{Distance: 1951500 * physic.MicroMetre, Echoes: 2, InRange: true},
			Stats{Frames: 2, BadChecksums: 1, Garbage: 9},
		},
		{
			// The third trigger gets half a frame and no more; the frame
			// is abandoned and the board triggered again.
			"triggered, a lost frame is asked for again", true, 3,
			ops(triggered(f1953), triggered(f1950), []conntest.IO{writeOp(trig), {R: cat([]byte{0x00, 0x00}, f1960[:2])}, {R: f1953[:2]}},
				triggered(f1960)),
			Measurement{Distance: 1953 * mm, Echoes: 3, InRange: true},
			Stats{Frames: 3, BadChecksums: 1, Garbage: 6},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// In the last case the read after the half frame times out.
			before := map[int]int{}
			if tt.name == "triggered, a lost frame is asked for again" {
				before = map[int]int{7: 1}
			}
			d := devOn(&flaky{Playback: playback(t, tt.ops), Before: before}, tt.trigger)
			got, err := d.Measure(tt.n)
			if err != nil {
				t.Fatalf("Measure: %v", err)
			}
			if got != tt.want {
				t.Errorf("Measure = %+v, want %+v", got, tt.want)
			}
			if s := d.Stats(); s != tt.stats {
				t.Errorf("Stats = %+v, want %+v", s, tt.stats)
			}
		})
	}
}

func TestMeasureMajority(t *testing.T) {
	tests := []struct {
		name   string
		frames [][]byte
		n      int
		ok     bool
	}{
		{"three of five", [][]byte{f1953, f1950, f1960}, 5, true},
		{"two of five", [][]byte{f1953, f1950}, 5, false},
		{"one of two", [][]byte{f1953}, 2, false},
		{"none", nil, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := devOn(&stream{Data: cat(tt.frames...)}, false)
			m, err := d.Measure(tt.n)
			if (err == nil) != tt.ok {
				t.Fatalf("Measure = %+v, %v; want ok %v", m, err, tt.ok)
			}
			if !tt.ok && !framing.IsTimeout(err) {
				t.Errorf("Measure = %v, want the timeout", err)
			}
			if tt.ok && m.Echoes != len(tt.frames) {
				t.Errorf("Echoes = %d", m.Echoes)
			}
		})
	}
	if _, err := devOn(&stream{}, false).Measure(0); err == nil {
		t.Error("Measure(0) succeeded")
	}
}

func TestReadGivesUp(t *testing.T) {
	bad := cat(f1953[:3], []byte{0xa6})
	read := func(c conn.Conn) error { _, err := devOn(c, false).Read(); return err }
	sensortest.RunGiveUpCases(t, DefaultMaxSkip+FrameSize, read, []sensortest.GiveUpCase{
		{Name: "zeros", Data: make([]byte, 4096), Want: ErrNoFrame},
		{Name: "only corrupted frames", Data: cat(bad, bad, bad, bad, bad, bad, bad, bad, bad, bad, bad, bad), Want: ErrChecksum},
	})
}

// flushConn records input flushes.
type flushConn = sensortest.FlushStream

func TestMeasureFlushesInput(t *testing.T) {
	c := &flushConn{Stream: stream{Data: cat(f1953, f1950, f1960)}}
	d, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	d.rx.Buf[0], d.rx.N = 0xff, 1
	if v, err := d.Read(); err != nil || v != 1950*mm {
		t.Fatalf("Read = %v, %v", v, err)
	}
	if _, err := d.Measure(1); err != nil {
		t.Fatal(err)
	}
	if c.Flushes != 3 {
		t.Errorf("flushed %d times, want once per measurement", c.Flushes)
	}
}
