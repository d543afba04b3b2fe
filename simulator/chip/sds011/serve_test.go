package sds011

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/simulator/chip/chiptest"
)

var hazy = Values{PM2_5: 35.2, PM10: 48.7}

func constant(v Values) Source { return func(time.Time) Values { return v } }

// serve runs c on one end of a pipe and returns the other end, the host's.
func serve(t *testing.T, c *Chip) net.Conn { return chiptest.ServeOnPipe(t, c.Serve) }

// expect reads want from the host end, or checks that nothing comes when
// want is nil.
func expect(t *testing.T, host net.Conn, want []byte) { chiptest.Expect(t, host, want) }

func TestServeCommands(t *testing.T) {
	const id = DefaultID
	data := frame(hazy, id)
	otherChip := cmd(cmdQuery)
	otherChip[15], otherChip[16] = 0x12, 0x34
	otherChip[17] = sum(otherChip[2:17])
	badSum := cmd(cmdQuery)
	badSum[17]++
	type step struct {
		send []byte
		want []byte // nil: the chip stays silent
	}
	tests := []struct {
		name  string
		steps []step
		state State
	}{
		{"query mode, then query", []step{
			{cmd(cmdMode, 1, 1), reply(cmdMode, 1, 1, 0, id)},
			{cmd(cmdQuery), data},
			{cmd(cmdMode, 0), reply(cmdMode, 0, 1, 0, id)},
		}, State{ID: id, Frames: 1, Replies: 2, Commands: 3}},
		{"working period and firmware", []step{
			{cmd(cmdMode, 1, 1), reply(cmdMode, 1, 1, 0, id)},
			{cmd(cmdPeriod, 1, 5), reply(cmdPeriod, 1, 5, 0, id)},
			{cmd(cmdPeriod, 0), reply(cmdPeriod, 0, 5, 0, id)},
			{cmd(cmdPeriod, 1, 31), nil},
			{cmd(cmdFirmware), reply(cmdFirmware, 15, 7, 10, id)},
		}, State{Period: 5, ID: id, Replies: 4, Commands: 5, Ignored: 1}},
		{"asleep, only work is heard", []step{
			{cmd(cmdMode, 1, 1), reply(cmdMode, 1, 1, 0, id)},
			{cmd(cmdSleep, 1, 0), reply(cmdSleep, 1, 0, 0, id)},
			{cmd(cmdQuery), nil},
			{cmd(cmdFirmware), nil},
			{cmd(cmdSleep, 1, 1), reply(cmdSleep, 1, 1, 0, id)},
			{cmd(cmdSleep, 0), reply(cmdSleep, 0, 1, 0, id)},
			{cmd(cmdQuery), data},
		}, State{ID: id, Frames: 1, Replies: 4, Commands: 7, Ignored: 2}},
		{"set device id", []step{
			{cmd(cmdMode, 1, 1), reply(cmdMode, 1, 1, 0, id)},
			{cmd(cmdSetID, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34), reply(cmdSetID, 0, 0, 0, 0x1234)},
			{otherChip, frame(hazy, 0x1234)}, // now addressed to it
		}, State{ID: 0x1234, Frames: 1, Replies: 2, Commands: 3}},
		{"bad checksum, another chip, stray bytes", []step{
			{cmd(cmdMode, 1, 1), reply(cmdMode, 1, 1, 0, id)},
			{badSum, nil},
			{otherChip, nil},
			{[]byte{0x00, 0xaa, 0x13}, nil},
		}, State{ID: id, Replies: 1, Commands: 1, BadCommands: 1}},
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
	clock := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	src := func(t time.Time) Values { return Values{PM2_5: float64(t.Hour())} }
	c := New(src, &Opts{Period: 10 * time.Millisecond, Minute: 30 * time.Millisecond, Now: func() time.Time { return clock }})
	host := serve(t, c)
	for range 3 {
		expect(t, host, frame(Values{PM2_5: 8}, DefaultID))
	}
	// A working period of 2 "minutes" slows the frames to one per 60 ms.
	host.Write(cmd(cmdPeriod, 1, 2))
	host.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 10)
	for {
		if _, err := io.ReadFull(host, b); err != nil {
			t.Fatal(err)
		}
		if b[1] == kindAck {
			break
		}
	}
	start := time.Now()
	expect(t, host, frame(Values{PM2_5: 8}, DefaultID))
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Errorf("next frame after %v, want about 60 ms", d)
	}
	host.Write(cmd(cmdMode, 1, 1))
	host.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, err := io.ReadFull(host, b); err != nil {
			t.Fatal(err)
		}
		if b[1] == kindAck {
			break
		}
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
