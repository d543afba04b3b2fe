package ld2410

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/simulator/chip/chiptest"
)

func constant(v Values) Source { return func(time.Time) Values { return v } }

// serve runs c on one end of a pipe and returns the other end, the host's.
func serve(t *testing.T, c *Chip) net.Conn { return chiptest.ServeOnPipe(t, c.Serve) }

// expect reads want from the host end, or checks that nothing comes when
// want is nil.
func expect(t *testing.T, host net.Conn, want []byte) { chiptest.Expect(t, host, want) }

func TestServeCommands(t *testing.T) {
	type step struct {
		send []byte
		want []byte // nil: the radar stays silent
	}
	tests := []struct {
		name  string
		steps []step
		state State
	}{
		{"firmware probe", []step{
			{cEnable, aEnable},
			{cFirmware, aFirmware},
			{cEnd, aEnd},
		}, State{Acks: 3, Commands: 3}},
		{"outside configuration mode only enable is heard", []step{
			{cFirmware, nil},
			{cEnd, nil},
			{cEnable, aEnable},
		}, State{Config: true, Acks: 1, Commands: 3, Ignored: 2}},
		{"commands not emulated are refused", []step{
			{cEnable, aEnable},
			{cEngOn, aEngOn},
		}, State{Config: true, Acks: 2, Commands: 2}},
		{"stray bytes and a bad footer", []step{
			{[]byte{0x00, 0xfd, 0x13}, nil},
			{append(bytes.Clone(cEnable[:13]), 0x00), nil},
			{cEnable, aEnable},
		}, State{Config: true, Acks: 1, Commands: 1, BadCommands: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(constant(Values{Moving: 1.5}), &Opts{Period: time.Hour})
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

func TestServeReports(t *testing.T) {
	clock := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	src := func(t time.Time) Values { return Values{Moving: float64(t.Hour()) / 4} }
	c := New(src, &Opts{Period: 10 * time.Millisecond, Now: func() time.Time { return clock }})
	host := serve(t, c)
	for range 3 {
		expect(t, host, report(Values{Moving: 2}))
	}
	// Configuration mode stops the reports: after the ACK, silence.
	host.Write(cEnable)
	host.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, len(aEnable))
	for {
		if _, err := io.ReadFull(host, b[:6]); err != nil {
			t.Fatal(err)
		}
		n := int(b[4])
		rest := make([]byte, n+4)
		if _, err := io.ReadFull(host, rest); err != nil {
			t.Fatal(err)
		}
		if b[0] == cmdHeader[0] {
			break
		}
	}
	expect(t, host, nil)
	host.Write(cEnd)
	expect(t, host, aEnd)
	expect(t, host, report(Values{Moving: 2}))
}

// TestServeStopsWhileWriteBlocked: nobody reads the host end, so the
// chip's first write blocks and its later frames are dropped; ending ctx
// must still stop Serve at once and leave no goroutine behind.
func TestServeStopsWhileWriteBlocked(t *testing.T) {
	chipEnd, host := net.Pipe()
	defer host.Close()
	defer chipEnd.Close()
	c := New(constant(Values{Moving: 1}), &Opts{Period: time.Millisecond})
	chiptest.StopsWhileBacked(t, chipEnd, c.Serve, func() bool { return c.State().Dropped >= 10 })
}

func TestServeReturnsReadError(t *testing.T) {
	c := New(constant(Values{}), &Opts{Period: time.Hour})
	chiptest.ReturnsReadError(t, c.Serve)
}
