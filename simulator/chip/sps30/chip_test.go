package sps30

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/simulator/chip/chiptest"
)

// clock is a settable time for the chip: see chiptest.Clock.
type clock = chiptest.Clock

var t0 = time.Date(2025, 6, 1, 7, 30, 0, 0, time.UTC)

// byMinute is a Source whose air changes with the minute of the day.
func byMinute(t time.Time) Values {
	m := float64(t.Hour()*60 + t.Minute())
	return Values{
		PM1: m / 40, PM2_5: m / 20, PM4: m / 16, PM10: m / 14,
		NC0_5: m, NC1: m * 1.25, NC2_5: m * 1.5, NC4: m * 1.75, NC10: m * 2,
		TypicalSize: 0.5 + float64(t.Second())/100,
	}
}

func newChip() (*Chip, *clock) {
	clk := chiptest.NewClock(t0)
	return New(byMinute, &Opts{Now: clk.Now}), clk
}

func tx(t *testing.T, c *Chip, w []byte, n int) []byte {
	t.Helper()
	r := make([]byte, n)
	if len(w) > 0 {
		if err := c.Tx(w, nil); err != nil {
			t.Fatalf("write % x: %v", w, err)
		}
	}
	if n > 0 {
		if err := c.Tx(nil, r); err != nil {
			t.Fatalf("read %d after % x: %v", n, w, err)
		}
	}
	return r
}

func TestSerialAndInfo(t *testing.T) {
	c, _ := newChip()
	got := tx(t, c, []byte{0xd0, 0x33}, 48)
	want := []byte{0x38, 0x43, 0x6a, 0x32, 0x46, 0x71} // "8C" CRC, "2F" CRC
	if !bytes.Equal(got[:6], want) || !bytes.Equal(got[24:27], []byte{0, 0, 0x81}) {
		t.Errorf("serial reply % x", got)
	}
	// Read again without a new pointer: the same item. Past its end: 0xFF.
	if again := tx(t, c, nil, 50); !bytes.Equal(again[:48], got) || again[48] != 0xff || again[49] != 0xff {
		t.Errorf("second read % x", again)
	}
	if got := tx(t, c, []byte{0xd0, 0x02}, 12); !bytes.Equal(got[:3], []byte{'0', '0', 0xf6}) {
		t.Errorf("product type % x", got)
	}
	if got := tx(t, c, []byte{0x80, 0x04}, 6); !bytes.Equal(got, []byte{0x00, 0x09, 0x09, 0x3a, 0x80, 0xa7}) {
		t.Errorf("interval % x, want 604800 s", got)
	}
}

func TestRefusals(t *testing.T) {
	c, _ := newChip()
	tests := []struct {
		name string
		w, r []byte
	}{
		{"read with no pointer", nil, make([]byte, 3)},
		{"one-byte write", []byte{0x03}, nil},
		{"bad argument CRC", []byte{0x00, 0x10, 0x03, 0x00, 0xad}, nil},
		{"unknown format", []byte{0x00, 0x10, 0x04, 0x00, crc([]byte{4, 0})}, nil},
		{"repeated start", []byte{0x02, 0x02}, make([]byte, 3)},
		{"fan clean in idle", []byte{0x56, 0x07}, nil},
		{"unknown command", []byte{0x12, 0x34}, nil},
	}
	for i, tt := range tests {
		if err := c.Tx(tt.w, tt.r); !errors.Is(err, errNACK) {
			t.Errorf("%s: Tx = %v, want a NACK", tt.name, err)
		}
		if st := c.State(); st.Refused != uint64(i+1) || st.Measuring {
			t.Errorf("%s: state %+v", tt.name, st)
		}
	}
	tx(t, c, []byte{0x03, 0x00}, 0) // the pointer alone is fine
	if err := c.Tx(nil, make([]byte, 60)); !errors.Is(err, errNACK) {
		t.Errorf("values in idle: %v", err)
	}
}

func TestMeasuring(t *testing.T) {
	c, clk := newChip()
	tx(t, c, []byte{0x00, 0x10, 0x03, 0x00, 0xac}, 0)
	if st := c.State(); !st.Measuring || st.Format != 0x03 {
		t.Fatalf("state %+v after start", st)
	}
	if err := c.Tx([]byte{0x00, 0x10, 0x03, 0x00, 0xac}, nil); !errors.Is(err, errNACK) {
		t.Errorf("second start: %v", err)
	}
	ready := func() byte { return tx(t, c, []byte{0x02, 0x02}, 3)[1] }
	if ready() != 0 {
		t.Error("ready before the first second")
	}
	clk.Add(time.Second)
	if ready() != 1 {
		t.Fatal("not ready after a second")
	}
	// 7:30 is minute 450: PM1 11.25 = 0x41340000; CRC(41 34) = 0xfd.
	v := tx(t, c, []byte{0x03, 0x00}, 60)
	if !bytes.Equal(v[:6], []byte{0x41, 0x34, 0xfd, 0x00, 0x00, 0x81}) {
		t.Errorf("PM1 bytes % x", v[:6])
	}
	if ready() != 0 {
		t.Error("still ready after reading")
	}
	// Fan cleaning freezes the values for 10 s.
	tx(t, c, []byte{0x56, 0x07}, 0)
	clk.Add(5 * time.Second)
	if ready() != 0 {
		t.Error("ready while cleaning")
	}
	clk.Add(6 * time.Second)
	if ready() != 1 {
		t.Error("not ready after cleaning")
	}
	// Integer format after a reset: 7:30:13 gives typical size 0.63 µm =
	// 630 nm = 0x0276; CRC(02 76) = 0x06.
	tx(t, c, []byte{0xd3, 0x04}, 0)
	tx(t, c, []byte{0x00, 0x10, 0x05, 0x00, crc([]byte{5, 0})}, 0)
	clk.Add(time.Second)
	v = tx(t, c, []byte{0x03, 0x00}, 30)
	if !bytes.Equal(v[27:], []byte{0x02, 0x76, 0x06}) {
		t.Errorf("typical size bytes % x", v[27:])
	}
	if st := c.State(); st.Cleanings != 1 || st.Resets != 1 || st.Format != 0x05 {
		t.Errorf("state %+v", st)
	}
}

func TestAutoClean(t *testing.T) {
	clk := chiptest.NewClock(t0)
	c := New(byMinute, &Opts{Now: clk.Now, CleanInterval: 60})
	tx(t, c, []byte{0x00, 0x10, 0x03, 0x00, 0xac}, 0)
	clk.Add(61 * time.Second)
	tx(t, c, []byte{0x02, 0x02}, 3)
	if n := c.State().Cleanings; n != 1 {
		t.Errorf("%d cleanings after 61 s at a 60 s interval", n)
	}
	// Interval 0 switches it off.
	tx(t, c, []byte{0x80, 0x04, 0x00, 0x00, 0x81, 0x00, 0x00, 0x81}, 0)
	clk.Add(time.Hour)
	tx(t, c, []byte{0x02, 0x02}, 3)
	if st := c.State(); st.Cleanings != 1 || st.CleanInterval != 0 {
		t.Errorf("state %+v", st)
	}
}
