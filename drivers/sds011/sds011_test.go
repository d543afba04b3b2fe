package sds011

import (
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
		{"nil opts is query, continuous", nil, newOps(Query, 0), Stats{Replies: 4}},
		{"active, every 5 minutes", &Opts{Mode: Active, Period: 5}, newOps(Active, 5), Stats{Replies: 4}},
		{
			// An active chip streaming: frames in flight before each reply
			// are skipped, and a frame cut off by the flush is junk.
			"active stream around the replies", &Opts{Mode: Active},
			ops([]conntest.IO{writeOp(wWork)}, reads(cat(knownFrame[5:], ackWork[:5]), ackWork[5:]),
				[]conntest.IO{writeOp(wActive)}, reads(cleanFrame, ackActive),
				exchange(wPeriod0, ackPeriod0), exchange(wFirmware, ackFirmware)),
			Stats{Frames: 1, Replies: 4, Garbage: 5},
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
			if got := d.Firmware(); got != (Firmware{Year: 15, Month: 7, Day: 10}) {
				t.Errorf("Firmware = %v", got)
			}
		})
	}
}

func TestNewWakesSleepingChip(t *testing.T) {
	tests := []struct {
		name   string
		ops    []conntest.IO
		before map[int]int
		stats  Stats
	}{
		{
			// The first work command gets no answer at all.
			"silent", []conntest.IO{writeOp(wWork)}, map[int]int{1: 1}, Stats{Replies: 4},
		},
		{
			// The first is answered with stray bytes, one pair looking
			// like a reply's start, and then nothing.
			"stray bytes", ops([]conntest.IO{writeOp(wWork)}, reads([]byte{0xad, 0x50, 0xaa, 0xc5, 0x5e, 0xdd, 0x01, 0x02, 0x03, 0x04})),
			map[int]int{2: 1}, Stats{Replies: 4, Garbage: 10},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &flaky{Playback: playback(t, ops(tt.ops, newOps(Query, 0))), Before: tt.before}
			d, err := New(c, nil)
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
		ops  []conntest.IO
		want error
	}{
		// Absent: nothing answers either work command.
		{"absent chip", nil, []conntest.IO{writeOp(wWork), writeOp(wWork)}, timeoutErr{}},
		{"silent after wake", nil, ops(exchange(wWork, ackWork), []conntest.IO{writeOp(wQueryMode)}), timeoutErr{}},
		{"mode not taken", nil, ops(exchange(wWork, ackWork), []conntest.IO{writeOp(wQueryMode), {R: ackActive}}), ErrReply},
		{"period answered wrong", &Opts{Period: 5}, ops(exchange(wWork, ackWork), exchange(wQueryMode, ackQueryMode),
			[]conntest.IO{writeOp(wPeriod5), {R: ackPeriod0}}), ErrReply},
		{"bad mode", &Opts{Mode: 7}, nil, nil},
		{"period too long", &Opts{Period: 31}, nil, nil},
		{"negative period", &Opts{Period: -1}, nil, nil},
		{"negative MaxSkip", &Opts{MaxSkip: -1}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(&flaky{Playback: playback(t, tt.ops)}, tt.opts)
			t.Log(err)
			if err == nil {
				t.Fatal("New succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				var te interface{ Timeout() bool }
				if _, ok := tt.want.(timeoutErr); !ok || !errors.As(err, &te) {
					t.Errorf("New = %v, want %v", err, tt.want)
				}
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
		{"query", Query, ops(newOps(Query, 0), exchange(wQuery, knownFrame))},
		{"active", Active, ops(newOps(Active, 0), reads(knownFrame))},
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
		})
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		name string
		do   func(*Dev) error
		ops  []conntest.IO
	}{
		{"sleep", (*Dev).Sleep, exchange(wSleep, ackSleep)},
		{"halt sleeps", (*Dev).Halt, exchange(wSleep, ackSleep)},
		{"wake", (*Dev).Wake, exchange(wWork, ackWork)},
		{"set active", func(d *Dev) error {
			if err := d.SetMode(Active); err != nil {
				return err
			}
			if d.Mode() != Active {
				t.Errorf("Mode = %v after SetMode(Active)", d.Mode())
			}
			return nil
		}, exchange(wActive, ackActive)},
		{"get mode", func(d *Dev) error {
			m, err := d.ReportingMode()
			if m != Query {
				t.Errorf("ReportingMode = %v, want query", m)
			}
			return err
		}, exchange(wGetMode, ackGetQuery)},
		{"set period", func(d *Dev) error { return d.SetPeriod(5) }, exchange(wPeriod5, ackPeriod5)},
		{"get period", func(d *Dev) error {
			n, err := d.Period()
			if n != 5 {
				t.Errorf("Period = %d, want 5", n)
			}
			return err
		}, exchange(wGetPeriod, ackGetP5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(playback(t, ops(newOps(Query, 0), tt.ops)), nil)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if err := tt.do(d); err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
		})
	}
}

func TestCommandErrors(t *testing.T) {
	d, err := New(playback(t, newOps(Query, 0)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetMode(5); err == nil {
		t.Error("SetMode(5) succeeded")
	}
	if err := d.SetPeriod(31); err == nil {
		t.Error("SetPeriod(31) succeeded")
	}
}

func TestString(t *testing.T) {
	d, err := New(playback(t, newOps(Query, 0)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.String(), "sds011 on playback"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}
