package sds011

import (
	"bytes"
	"testing"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"

	"github.com/xiuhua/xiuhua/drivers/framing"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

// TestReadStreams replays active-mode byte streams with the exact reads
// the Dev must make: a whole frame while hunting, then exactly the bytes
// missing from a candidate.
func TestReadStreams(t *testing.T) {
	bad := bytes.Clone(knownFrame)
	bad[3] = 0x02 // PM2.5 high byte flipped in transit
	badTail := bytes.Clone(knownFrame)
	badTail[9] = 0x00
	tests := []struct {
		name  string
		ops   []conntest.IO
		stats Stats
	}{
		{
			"garbage before the frame",
			reads(cat([]byte{0x00, 0xff, 0x13}, knownFrame[:7]), knownFrame[7:]),
			Stats{Frames: 1, Garbage: 3},
		},
		{
			"0xAA not followed by C0 or C5 is garbage",
			reads(cat([]byte{0xaa, 0x00, 0xaa, 0xab}, knownFrame[:6]), knownFrame[6:]),
			Stats{Frames: 1, Garbage: 4},
		},
		{
			"start split across reads",
			reads(cat([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, knownFrame[:1]), knownFrame[1:]),
			Stats{Frames: 1, Garbage: 9},
		},
		{
			"joined mid-frame",
			reads(cat(cleanFrame[4:], knownFrame[:4]), knownFrame[4:]),
			Stats{Frames: 1, Garbage: 6},
		},
		{
			"bad checksum, then a good frame",
			reads(bad, knownFrame),
			Stats{Frames: 1, BadChecksums: 1, Garbage: 10},
		},
		{
			"bad tail, then a good frame",
			reads(badTail, knownFrame),
			Stats{Frames: 1, BadChecksums: 1, Garbage: 10},
		},
		{
			// A head and kind that were cut short: the bytes read for the
			// false candidate hold the real frame's beginning.
			"real frame inside a failed candidate",
			reads(cat([]byte{0xaa, 0xc0}, knownFrame[:8]), knownFrame[8:]),
			Stats{Frames: 1, BadChecksums: 1, Garbage: 2},
		},
		{
			"reply in the stream",
			reads(ackSleep, knownFrame),
			Stats{Frames: 1, Replies: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := devOn(playback(t, tt.ops), Active)
			got, err := d.Read()
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if got != knownValues {
				t.Errorf("Read = %+v, want %+v", got, knownValues)
			}
			if s := d.Stats(); s != tt.stats {
				t.Errorf("Stats = %+v, want %+v", s, tt.stats)
			}
		})
	}
}

func TestReadGivesUp(t *testing.T) {
	bad := bytes.Clone(knownFrame)
	bad[8]++
	// The bound: MaxSkip bytes, plus at most one frame being looked at.
	read := func(c conn.Conn) error { _, err := devOn(c, Active).Read(); return err }
	sensortest.RunGiveUpCases(t, DefaultMaxSkip+FrameSize, read, []sensortest.GiveUpCase{
		{Name: "zeros", Data: make([]byte, 4096), Want: ErrNoFrame},
		{Name: "heads without a kind", Data: bytes.Repeat([]byte{0xaa, 0xaa, 0x01}, 500), Want: ErrNoFrame},
		{Name: "only corrupted frames", Data: bytes.Repeat(bad, 100), Want: ErrChecksum},
	})
}

func TestReadTimeouts(t *testing.T) {
	tests := []struct {
		name   string
		mode   Mode
		period int
		quiet  int // timeouts before the frame
		ok     bool
	}{
		// The step clock moves 1 s per look: continuous active mode sits
		// out timeouts for 3 s, i.e. two of them.
		{"active sits out two timeouts", Active, 0, 2, true},
		{"active gives up at the third", Active, 0, 3, false},
		{"active with a period waits longer", Active, 1, 60, true},
		{"query expects an answer at once", Query, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o []conntest.IO
			if tt.mode == Query {
				o = append(o, writeOp(wQuery))
			}
			p := &conntest.Playback{Ops: append(o, reads(knownFrame)...), DontPanic: true}
			d := devOn(&flaky{Playback: p, Before: map[int]int{len(o): tt.quiet}}, tt.mode)
			d.period = tt.period
			f, err := d.Read()
			if tt.ok && (err != nil || f != knownValues) {
				t.Fatalf("Read = %+v, %v", f, err)
			}
			if !tt.ok && !framing.IsTimeout(err) {
				t.Fatalf("Read = %v, want a timeout", err)
			}
		})
	}
}

func TestReadOutOfRange(t *testing.T) {
	d := devOn(playback(t, ops(reads(overFrame, knownFrame))), Active)
	for _, want := range []bool{false, true} {
		f, err := d.Read()
		if err != nil || f.InRange() != want {
			t.Fatalf("Read = %+v, %v; want in range %v", f, err, want)
		}
	}
	if got := d.Stats(); got != (Stats{Frames: 2, OutOfRange: 1}) {
		t.Errorf("Stats = %+v", got)
	}
}

// flushConn records input flushes.
type flushConn = sensortest.FlushStream

func TestReadFlushesInput(t *testing.T) {
	c := &flushConn{Stream: stream{Data: cat(ackWork, ackQueryMode, ackPeriod0, ackFirmware, knownFrame)}}
	d, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A byte left over from an earlier, failed read is stale too.
	d.rx.Buf[0], d.rx.N = 0xaa, 1
	if _, err := d.Read(); err != nil {
		t.Fatal(err)
	}
	if c.Flushes != 2 {
		t.Errorf("flushed %d times, want once in New and once in Read", c.Flushes)
	}
}
