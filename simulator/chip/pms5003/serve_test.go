package pms5003

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/simulator/chip/chiptest"
)

// Host commands.
var (
	cPassive = []byte{0x42, 0x4d, 0xe1, 0x00, 0x00, 0x01, 0x70}
	cActive  = []byte{0x42, 0x4d, 0xe1, 0x00, 0x01, 0x01, 0x71}
	cRead    = []byte{0x42, 0x4d, 0xe2, 0x00, 0x00, 0x01, 0x71}
	cSleep   = []byte{0x42, 0x4d, 0xe4, 0x00, 0x00, 0x01, 0x73}
	cWake    = []byte{0x42, 0x4d, 0xe4, 0x00, 0x01, 0x01, 0x74}
	cBad     = []byte{0x42, 0x4d, 0xe1, 0x00, 0x00, 0x01, 0x71}
)

var hazy = Values{PM1: 22, PM2_5: 35, PM10: 44}

func constant(v Values) Source { return func(time.Time) Values { return v } }

// serve runs c on one end of a pipe and returns the other end, the host's.
func serve(t *testing.T, c *Chip) net.Conn { return chiptest.ServeOnPipe(t, c.Serve) }

// expect reads want from the host end, or checks that nothing comes when
// want is nil.
func expect(t *testing.T, host net.Conn, want []byte) { chiptest.Expect(t, host, want) }

func TestServeCommands(t *testing.T) {
	data := frame(hazy)
	type step struct {
		send []byte
		want []byte // nil: the chip stays silent
	}
	tests := []struct {
		name  string
		steps []step
		state State
	}{
		{"passive, then read", []step{
			{cPassive, reply(cmdMode, 0)},
			{cRead, data},
			{cRead, data},
		}, State{Frames: 2, Replies: 1, Commands: 3}},
		{"read is ignored in active mode", []step{
			{cRead, nil},
		}, State{Active: true, Commands: 1}},
		{"sleep, wake", []step{
			{cPassive, reply(cmdMode, 0)},
			{cSleep, reply(cmdSleep, 0)},
			{cRead, nil},
			{cWake, nil},
			{cRead, data},
		}, State{Frames: 1, Replies: 2, Commands: 5}},
		{"mode commands are answered while asleep", []step{
			{cSleep, reply(cmdSleep, 0)},
			{cPassive, reply(cmdMode, 0)},
			{cActive, reply(cmdMode, 1)},
		}, State{Active: true, Asleep: true, Replies: 3, Commands: 3}},
		{"bad check and stray bytes are ignored", []step{
			{cBad, nil},
			{[]byte{0x00, 0x42, 0x13}, nil},
			{cPassive, reply(cmdMode, 0)},
		}, State{Replies: 1, Commands: 1, BadCommands: 1}},
		{"command split across writes", []step{
			{cPassive[:3], nil},
			{cPassive[3:], reply(cmdMode, 0)},
		}, State{Replies: 1, Commands: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(constant(hazy), &Opts{Period: time.Hour})
			host := serve(t, c)
			for _, s := range tt.steps {
				chiptest.Send(t, host, s.send)
				expect(t, host, s.want)
			}
			if got := c.State(); got != tt.state {
				t.Errorf("State = %+v, want %+v", got, tt.state)
			}
		})
	}
}

func TestServeActive(t *testing.T) {
	var clock = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	src := func(t time.Time) Values { return Values{PM2_5: float64(t.Hour())} }
	c := New(src, &Opts{Period: 10 * time.Millisecond, Now: func() time.Time { return clock }})
	host := serve(t, c)
	for range 3 {
		expect(t, host, frame(Values{PM2_5: 8}))
	}
	host.Write(cPassive)
	// Frames already queued may come before the reply.
	host.SetReadDeadline(time.Now().Add(5 * time.Second))
	for b := make([]byte, 8); ; {
		if _, err := io.ReadFull(host, b[:4]); err != nil {
			t.Fatal(err)
		}
		if b[3] == 0x04 {
			io.ReadFull(host, b[4:])
			if !bytes.Equal(b, reply(cmdMode, 0)) {
				t.Fatalf("reply % x", b)
			}
			break
		}
		io.ReadFull(host, make([]byte, 28))
	}
	expect(t, host, nil)
}

// TestServeStopsWhileWriteBlocked: nobody reads the host end, so the
// chip's first write blocks and its later frames are dropped; ending ctx
// must still stop Serve at once and leave no goroutine behind.
func TestServeStopsWhileWriteBlocked(t *testing.T) {
	chipEnd, host := net.Pipe()
	defer host.Close()
	defer chipEnd.Close()
	c := New(constant(hazy), &Opts{Period: time.Millisecond})
	chiptest.StopsWhileBacked(t, chipEnd, c.Serve, func() bool { return c.State().Dropped >= 10 })
}

func TestServeReturnsReadError(t *testing.T) {
	c := New(constant(hazy), &Opts{Period: time.Hour})
	chiptest.ReturnsReadError(t, c.Serve)
}
