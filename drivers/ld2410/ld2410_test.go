package ld2410

import (
	"bytes"
	"errors"
	"testing"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"

	"github.com/xiuhua/xiuhua/drivers/framing"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name  string
		ops   []conntest.IO
		stats Stats
	}{
		{"quiet line", newOps(), Stats{Acks: 3}},
		{
			// Reports were on their way when enable configuration went
			// out; one was cut by the flush.
			"reports before the first ACK",
			ops([]conntest.IO{writeOp(wEnable)}, reads(cat(repMoving[19:], repBoth[:2]), repBoth[2:6], repBoth[6:]),
				frameReads(repNone), frameReads(ackEnable), exchange(wFirmware, ackFirmware), exchange(wEnd, ackEnd)),
			Stats{Frames: 2, Acks: 3, Garbage: 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(playback(t, tt.ops), nil)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if d.Firmware() != wantFirmware {
				t.Errorf("Firmware = %+v, want %+v", d.Firmware(), wantFirmware)
			}
			if got := d.Stats(); got != tt.stats {
				t.Errorf("Stats = %+v, want %+v", got, tt.stats)
			}
			if d.String() != "ld2410 on playback" || d.Halt() != nil {
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
		{"absent radar", nil, []conntest.IO{writeOp(wEnable)}, timeoutErr{}},
		{"configuration refused", nil, ops([]conntest.IO{writeOp(wEnable)}, frameReads(ackEnableRefused)), ErrRefused},
		{
			// The firmware read fails; configuration mode is still ended.
			"firmware refused", nil,
			ops(exchange(wEnable, ackEnable), exchange(wFirmware, ackFirmwareFail), exchange(wEnd, ackEnd)), ErrRefused,
		},
		{
			"no ACK to the firmware read", nil,
			ops(exchange(wEnable, ackEnable), []conntest.IO{writeOp(wFirmware)}, frameReads(repNone), frameReads(repNone),
				frameReads(repNone), frameReads(repNone), frameReads(repNone), frameReads(repNone), frameReads(repNone), frameReads(repNone),
				frameReads(repNone), frameReads(repNone), frameReads(repNone), frameReads(repNone), frameReads(repNone),
				exchange(wEnd, ackEnd)),
			ErrNoFrame,
		},
		{"negative MaxRange", &Opts{MaxRange: -1}, nil, nil},
		{"negative MaxSkip", &Opts{MaxSkip: -1}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := playback(t, tt.ops)
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
		})
	}
}

func TestRead(t *testing.T) {
	corrupt := bytes.Clone(repBoth)
	corrupt[17] = 0x54 // tail
	tests := []struct {
		name  string
		ops   []conntest.IO
		want  Report
		stats Stats
	}{
		{"moving", frameReads(repMoving), wantMoving, Stats{Frames: 1}},
		{"engineering", frameReads(repEng), wantEng, Stats{Frames: 1}},
		{"garbage first", reads(cat([]byte{0x00, 0xf4, 0xf3, 0x11}, repStill[:2]), repStill[2:6], repStill[6:]), wantStill, Stats{Frames: 1, Garbage: 4}},
		{"an ACK is skipped", ops(frameReads(ackEnd), frameReads(repMoving)), wantMoving, Stats{Frames: 1, Acks: 1}},
		{"corrupted, then good", ops(frameReads(corrupt), frameReads(repBoth)), wantBoth,
			Stats{Frames: 1, BadFrames: 1, Garbage: 23}},
		{
			// A length that cannot be: the frame inside is still found.
			"implausible length", reads(cat(hdr, []byte{0xff, 0x00}), repMoving[:6], repMoving[6:]), wantMoving,
			Stats{Frames: 1, BadFrames: 1, Garbage: 6},
		},
		{"beyond range", frameReads(repFar), Report{State: Moving, MovingDistance: 8000 * mm, MovingEnergy: 20, DetectionDistance: 8000 * mm},
			Stats{Frames: 1, OutOfRange: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := devOn(playback(t, tt.ops))
			got, err := d.Read()
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if got != tt.want {
				t.Errorf("Read = %+v, want %+v", got, tt.want)
			}
			if s := d.Stats(); s != tt.stats {
				t.Errorf("Stats = %+v, want %+v", s, tt.stats)
			}
		})
	}
}

func TestReadTimeouts(t *testing.T) {
	tests := []struct {
		quiet int
		ok    bool
	}{{0, true}, {2, true}, {3, false}}
	for _, tt := range tests {
		p := &conntest.Playback{Ops: frameReads(repMoving), DontPanic: true}
		d := devOn(&flaky{Playback: p, Before: map[int]int{0: tt.quiet}})
		r, err := d.Read()
		if tt.ok && (err != nil || r != wantMoving) {
			t.Errorf("%d timeouts: Read = %+v, %v", tt.quiet, r, err)
		}
		if !tt.ok && !framing.IsTimeout(err) {
			t.Errorf("%d timeouts: Read = %v, want a timeout", tt.quiet, err)
		}
	}
}

func TestReadGivesUp(t *testing.T) {
	bad := bytes.Clone(repMoving)
	bad[22] = 0
	read := func(c conn.Conn) error { _, err := devOn(c).Read(); return err }
	sensortest.RunGiveUpCases(t, DefaultMaxSkip+maxFrame, read, []sensortest.GiveUpCase{
		{Name: "zeros", Data: make([]byte, 4096), Want: ErrNoFrame},
		{Name: "only corrupted frames", Data: bytes.Repeat(bad, 100), Want: ErrFrame},
		{Name: "only ACKs", Data: bytes.Repeat(ackEnd, 100), Want: ErrNoFrame},
	})
}

// flushConn records input flushes.
type flushConn = sensortest.FlushStream

func TestReadFlushesInput(t *testing.T) {
	c := &flushConn{Stream: stream{Data: cat(ackEnable, ackFirmware, ackEnd, repMoving)}}
	d, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	d.rx.Buf[0], d.rx.N = 0xf4, 1
	if r, err := d.Read(); err != nil || r != wantMoving {
		t.Fatalf("Read = %+v, %v", r, err)
	}
	if c.Flushes != 2 {
		t.Errorf("flushed %d times, want once in New and once in Read", c.Flushes)
	}
}
