package pms5003

import (
	"bytes"
	"errors"
	"testing"

	"periph.io/x/conn/v3/conntest"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name  string
		opts  *Opts
		ops   []conntest.IO
		stats Stats
	}{
		{"nil opts is passive", nil, newOps(Passive), Stats{Replies: 1}},
		{"active", &Opts{Mode: Active}, newOps(Active), Stats{Replies: 1}},
		{
			// A chip still streaming from an earlier run: the frame in
			// flight and the sleep reply before the mode reply are skipped.
			"passive after stale traffic", &Opts{Mode: Passive},
			ops(reads(), []conntest.IO{writeOp(wWake), writeOp(wPassive)},
				frameReads(knownFrame), frameReads(ackSleep), frameReads(ackPassive)),
			Stats{Frames: 1, Replies: 2},
		},
		{
			"mode reply for the other mode is not the probe", &Opts{Mode: Active},
			ops([]conntest.IO{writeOp(wWake), writeOp(wActive)}, frameReads(ackPassive), frameReads(ackActive)),
			Stats{Replies: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(playback(t, tt.ops), tt.opts)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := d.Stats(); got != tt.stats {
				t.Errorf("Stats = %+v, want %+v", got, tt.stats)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		opts *Opts
		data []byte // what the chip sends after the commands
		want error
	}{
		{"silent chip", nil, nil, timeoutErr{}},
		{"no reply, only frames", nil, bytes.Repeat(knownFrame, 6), ErrNoFrame},
		{"bad mode", &Opts{Mode: 7}, nil, nil},
		{"negative MaxSkip", &Opts{MaxSkip: -1}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(&stream{Data: tt.data}, tt.opts)
			t.Log(err)
			if err == nil {
				t.Fatal("New succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("New = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		name string
		mode Mode
		ops  []conntest.IO
	}{
		{"passive", Passive, ops(newOps(Passive), []conntest.IO{writeOp(wRead)}, frameReads(knownFrame))},
		{"active", Active, ops(newOps(Active), frameReads(knownFrame))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(playback(t, tt.ops), &Opts{Mode: tt.mode})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			got, err := d.Read()
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if got != knownValues {
				t.Errorf("Read = %+v, want %+v", got, knownValues)
			}
			if got.Atm.PM2_5 != 35 {
				t.Errorf("atmospheric PM2.5 = %d, want 35", got.Atm.PM2_5)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		name string
		do   func(*Dev) error
		w    []byte
	}{
		{"sleep", (*Dev).Sleep, wSleep},
		{"wake", (*Dev).Wake, wWake},
		{"halt sleeps", (*Dev).Halt, wSleep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(playback(t, ops(newOps(Passive), []conntest.IO{writeOp(tt.w)})), nil)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if err := tt.do(d); err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
		})
	}
}

func TestSleepReplySkipped(t *testing.T) {
	p := playback(t, ops(newOps(Passive),
		[]conntest.IO{writeOp(wSleep), writeOp(wWake), writeOp(wRead)},
		frameReads(ackSleep), frameReads(knownFrame)))
	d, err := New(p, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := d.Sleep(); err != nil {
		t.Fatal(err)
	}
	if err := d.Wake(); err != nil {
		t.Fatal(err)
	}
	if f, err := d.Read(); err != nil || f != knownValues {
		t.Fatalf("Read = %+v, %v", f, err)
	}
	if got, want := d.Stats(), (Stats{Frames: 1, Replies: 2}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

func TestString(t *testing.T) {
	d, err := New(playback(t, newOps(Passive)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.String(), "pms5003 on playback"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if d.Mode() != Passive || Passive.String() != "passive" || Active.String() != "active" {
		t.Errorf("Mode = %v", d.Mode())
	}
}
