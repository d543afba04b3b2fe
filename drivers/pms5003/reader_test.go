package pms5003

import (
	"bytes"
	"testing"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"

	"github.com/xiuhua/xiuhua/drivers/framing"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
)

// TestReadStreams replays active-mode byte streams with the exact reads
// the Dev must make: it asks for four bytes while hunting, then exactly
// the rest of the frame its length field announces.
func TestReadStreams(t *testing.T) {
	bad := bytes.Clone(knownFrame)
	bad[13] = 0x24 // PM2.5 flipped in transit; the check no longer matches
	tests := []struct {
		name  string
		ops   []conntest.IO
		stats Stats
	}{
		{
			"leading garbage, start split across reads",
			reads([]byte{0x00, 0xff, 0x13, 0x42}, knownFrame[1:4], knownFrame[4:]),
			Stats{Frames: 1, Garbage: 3},
		},
		{
			"0x42 not followed by 0x4d is garbage",
			reads([]byte{0x42, 0x00, 0x42, 0x4d}, knownFrame[2:4], knownFrame[4:]),
			Stats{Frames: 1, Garbage: 2},
		},
		{
			"joined mid-frame",
			ops(reads(cleanFrame[20:24], cleanFrame[24:28], cleanFrame[28:32]), frameReads(knownFrame)),
			Stats{Frames: 1, Garbage: 12},
		},
		{
			"bad checksum, then a good frame",
			ops(frameReads(bad), frameReads(knownFrame)),
			Stats{Frames: 1, BadChecksums: 1, Garbage: 32},
		},
		{
			// A start and length that were cut short: the 28 bytes read
			// for the false candidate hold the real frame's beginning,
			// which must not be lost with it.
			"real frame inside a failed candidate",
			reads(knownFrame[:4], knownFrame[:28], knownFrame[28:]),
			Stats{Frames: 1, BadChecksums: 1, Garbage: 4},
		},
		{
			"implausible length",
			reads([]byte{0x42, 0x4d, 0x01, 0x00}, knownFrame[:4], knownFrame[4:]),
			Stats{Frames: 1, Garbage: 4},
		},
		{
			"command reply in the stream",
			ops(frameReads(ackSleep), frameReads(knownFrame)),
			Stats{Frames: 1, Replies: 1},
		},
		{
			"reply right after garbage",
			ops(reads([]byte{0x00, 0x00, 0x42, 0x4d}, ackActive[2:4], ackActive[4:]), frameReads(knownFrame)),
			Stats{Frames: 1, Replies: 1, Garbage: 2},
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
	bad[31]++
	// The bound: MaxSkip bytes, plus at most one frame being looked at.
	read := func(c conn.Conn) error { _, err := devOn(c, Active).Read(); return err }
	sensortest.RunGiveUpCases(t, DefaultMaxSkip+FrameSize, read, []sensortest.GiveUpCase{
		{Name: "zeros", Data: make([]byte, 4096), Want: ErrNoFrame},
		{Name: "starts without a length", Data: bytes.Repeat([]byte{0x42, 0x4d, 0x42, 0x4d, 0xff}, 500), Want: ErrNoFrame},
		{Name: "only corrupted frames", Data: bytes.Repeat(bad, 100), Want: ErrChecksum},
	})
}

func TestMaxSkip(t *testing.T) {
	data := cat(make([]byte, 40), knownFrame)
	tests := []struct {
		maxSkip int
		ok      bool
	}{{0, true}, {40, true}, {39, false}}
	for _, tt := range tests {
		d := devOn(&stream{Data: data}, Active)
		d.maxSkip = tt.maxSkip
		if tt.maxSkip == 0 {
			d.maxSkip = DefaultMaxSkip
		}
		_, err := d.Read()
		if (err == nil) != tt.ok {
			t.Errorf("MaxSkip %d: Read = %v, want ok=%v", tt.maxSkip, err, tt.ok)
		}
	}
}

// idleConn times out a given number of times before each chunk arrives.
type idleConn struct {
	stream
	quiet int
}

func (c *idleConn) Tx(w, r []byte) error {
	if len(r) > 0 && c.quiet > 0 {
		c.quiet--
		return timeoutErr{}
	}
	return c.stream.Tx(w, r)
}

func TestReadIdleTimeouts(t *testing.T) {
	tests := []struct {
		name  string
		mode  Mode
		quiet int
		ok    bool
	}{
		{"active sits out two timeouts", Active, 2, true},
		{"active gives up at the third", Active, 3, false},
		{"passive expects an answer at once", Passive, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := devOn(&idleConn{stream: stream{Data: knownFrame}, quiet: tt.quiet}, tt.mode)
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

// flushConn records input flushes.
type flushConn = sensortest.FlushStream

func TestReadFlushesInput(t *testing.T) {
	c := &flushConn{Stream: stream{Data: cat(ackPassive, knownFrame)}}
	d, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A byte left over from an earlier, failed read is stale too.
	d.rx.Buf[0], d.rx.N = 0x42, 1
	if _, err := d.Read(); err != nil {
		t.Fatal(err)
	}
	if c.Flushes != 2 {
		t.Errorf("flushed %d times, want once in New and once in Read", c.Flushes)
	}
}
