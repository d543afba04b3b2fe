package ultrasonic

import (
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

func TestServeAuto(t *testing.T) {
	clock := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	src := func(t time.Time) Values { return Values{Distance: float64(t.Hour()) * 100} }
	c := New(src, &Opts{Period: 10 * time.Millisecond, Now: func() time.Time { return clock }})
	host := serve(t, c)
	host.Write([]byte{0x55, 0x01}) // ignored
	for range 3 {
		expect(t, host, []byte{0xff, 0x03, 0x20, 0x22}) // 800 mm: 0xFF+0x03+0x20 = 0x122
	}
	if st := c.State(); st.Ignored != 2 || st.Triggers != 0 || st.Frames < 3 {
		t.Errorf("State = %+v", st)
	}
}

func TestServeTriggered(t *testing.T) {
	tests := []struct {
		name string
		opts Opts
		trig byte
		want []byte
	}{
		{"JSN-SR04T mode 3", Opts{Trigger: true}, 0x55, []byte{0xff, 0x07, 0xa1, 0xa7}},
		{"AJ-SR04M mode 4", Opts{Trigger: true, TriggerByte: 0x01, SumNoHeader: true}, 0x01, []byte{0xff, 0x07, 0xa1, 0xa8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.Period = time.Millisecond // not used by a triggered board
			c := New(constant(Values{Distance: 1953}), &o)
			host := serve(t, c)
			expect(t, host, nil)
			host.Write([]byte{0x00, 0x13})
			expect(t, host, nil)
			for range 2 {
				host.Write([]byte{tt.trig})
				expect(t, host, tt.want)
			}
			if st := c.State(); st != (State{Frames: 2, Triggers: 2, Ignored: 2}) {
				t.Errorf("State = %+v", st)
			}
		})
	}
}

// TestServeStopsWhileWriteBlocked: nobody reads the host end, so the
// chip's first write blocks and its later frames are dropped; ending ctx
// must still stop Serve at once and leave no goroutine behind.
func TestServeStopsWhileWriteBlocked(t *testing.T) {
	chipEnd, host := net.Pipe()
	defer host.Close()
	defer chipEnd.Close()
	c := New(constant(Values{Distance: 1953}), &Opts{Period: time.Millisecond})
	chiptest.StopsWhileBacked(t, chipEnd, c.Serve, func() bool { return c.State().Dropped >= 10 })
}

func TestServeReturnsReadError(t *testing.T) {
	c := New(constant(Values{}), &Opts{Trigger: true})
	chiptest.ReturnsReadError(t, c.Serve)
}
