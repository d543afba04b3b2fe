package ultrasonic

import (
	"bytes"
	"math"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	drv "github.com/xiuhua/xiuhua/drivers/ultrasonic"
)

func TestFrame(t *testing.T) {
	tests := []struct {
		v        float64
		noHeader bool
		want     []byte
	}{
		// The DFRobot wiki's example.
		{1953, false, []byte{0xff, 0x07, 0xa1, 0xa7}},
		{1952.6, false, []byte{0xff, 0x07, 0xa1, 0xa7}},
		{1953, true, []byte{0xff, 0x07, 0xa1, 0xa8}},
		{0, false, []byte{0xff, 0x00, 0x00, 0xff}},
	}
	for _, tt := range tests {
		b := frame(Values{Distance: tt.v}, tt.noHeader)
		if !bytes.Equal(b, tt.want) {
			t.Errorf("frame(%v, %v) = % x, want % x", tt.v, tt.noHeader, b, tt.want)
		}
		c := drv.SumWithHeader
		if tt.noHeader {
			c = drv.SumNoHeader
		}
		if d, err := drv.ParseFrame(b, c); err != nil || d != physic.Distance(mm(tt.v))*physic.MilliMetre {
			t.Errorf("the driver reads % x as %v, %v", b, d, err)
		}
	}
}

func TestMM(t *testing.T) {
	tests := []struct {
		in   float64
		want uint16
	}{
		{0, 0}, {2.4, 2}, {2.5, 3}, {-4, 0}, {math.NaN(), 0}, {math.Inf(1), 65535}, {1e9, 65535},
	}
	for _, tt := range tests {
		if got := mm(tt.in); got != tt.want {
			t.Errorf("mm(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	c := New(func(time.Time) Values { return Values{} }, nil)
	if c.period != DefaultPeriod || c.trigger != -1 || c.noHeader || c.now == nil {
		t.Errorf("board %+v", c)
	}
	c = New(func(time.Time) Values { return Values{} }, &Opts{Trigger: true})
	if c.trigger != DefaultTrigger {
		t.Errorf("trigger %#x, want 0x55", c.trigger)
	}
}
