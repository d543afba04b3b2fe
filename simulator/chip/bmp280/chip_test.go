package bmp280

import (
	"bytes"
	"testing"
	"time"
)

func tx(t *testing.T, c *Chip, w []byte, n int) []byte {
	t.Helper()
	r := make([]byte, n)
	if err := c.Tx(w, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// sea is sea-level air at 15 °C, 50 %.
func sea(time.Time) Values { return Values{Pressure: 101325, Temperature: 15, Humidity: 50} }

func TestRegisters(t *testing.T) {
	c := New(sea, nil)
	if got := tx(t, c, []byte{0xd0}, 1); got[0] != 0x58 {
		t.Errorf("chip ID %#02x", got[0])
	}
	if got := tx(t, c, []byte{0x88}, 26); !bytes.Equal(got[:6], []byte{0x70, 0x6b, 0x43, 0x67, 0x18, 0xfc}) || got[25] != 0 {
		t.Errorf("calibration % x", got)
	}
	// Not measured yet: 0x80000.
	if got := tx(t, c, []byte{0xf7}, 6); !bytes.Equal(got, []byte{0x80, 0, 0, 0x80, 0, 0}) {
		t.Errorf("results at power-on % x", got)
	}
	// Pairs: config then ctrl_meas (sleep); the chip ID is read-only.
	tx(t, c, []byte{0xf5, 0xa0, 0xf4, 0x2c, 0xd0, 0x11}, 0)
	if st := c.State(); st.Config != 0xa0 || st.CtrlMeas != 0x2c || st.Mode != 0 || st.Measurements != 0 {
		t.Errorf("state %+v", st)
	}
	if got := tx(t, c, []byte{0xd0}, 1); got[0] != 0x58 {
		t.Errorf("chip ID %#02x after a write", got[0])
	}
	// A BMP280 has no ctrl_hum.
	tx(t, c, []byte{0xf2, 0x01}, 0)
	if st := c.State(); st.CtrlHum != 0 {
		t.Errorf("ctrl_hum %#02x on a BMP280", st.CtrlHum)
	}
}

func TestForcedMode(t *testing.T) {
	c := New(sea, &Opts{BME280: true})
	if got := tx(t, c, []byte{0xd0}, 1); got[0] != 0x60 {
		t.Errorf("chip ID %#02x", got[0])
	}
	if got := tx(t, c, []byte{0xe1}, 7); !bytes.Equal(got, []byte{0x6a, 0x01, 0x00, 0x13, 0x29, 0x03, 0x1e}) {
		t.Errorf("humidity calibration % x", got)
	}
	tx(t, c, []byte{0xf2, 0x01, 0xf4, 0x25}, 0) // humidity 1×, T 1×, P 1×, forced
	st := c.State()
	if st.Mode != 0 || st.Measurements != 1 || st.CtrlHum != 1 {
		t.Errorf("state %+v after forced mode", st)
	}
	got := tx(t, c, []byte{0xf3}, 12) // status, ctrl_meas, config, results
	if got[0] != 0 || got[1] != 0x24 {
		t.Errorf("status %#02x, ctrl_meas %#02x", got[0], got[1])
	}
	// 1×: 16-bit codes, so the xlsb nibbles are 0.
	if got[6]&0xf0 != 0 || got[9]&0xf0 != 0 || got[7] == 0x80 {
		t.Errorf("results % x", got[4:])
	}
	// Pressure skipped: 0x80000.
	tx(t, c, []byte{0xf4, 0x21}, 0)
	if got := tx(t, c, []byte{0xf7}, 3); !bytes.Equal(got, []byte{0x80, 0, 0}) {
		t.Errorf("skipped pressure % x", got)
	}
	// Soft reset: results and settings back to power-on.
	tx(t, c, []byte{0xe0, 0xb6}, 0)
	if got := tx(t, c, []byte{0xf2}, 13); !bytes.Equal(got, []byte{0, 0, 0, 0, 0, 0x80, 0, 0, 0x80, 0, 0, 0x80, 0}) {
		t.Errorf("after reset % x", got)
	}
	if st := c.State(); st.Resets != 1 {
		t.Errorf("state %+v", st)
	}
}

func TestNormalMode(t *testing.T) {
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	c := New(func(t time.Time) Values { return Values{Pressure: 100000 + float64(t.Minute())*10, Temperature: 20} }, &Opts{Now: func() time.Time { return now }})
	tx(t, c, []byte{0xf4, 0x57}, 0) // T 2×, P 16×, normal
	a := tx(t, c, []byte{0xf7}, 6)
	now = now.Add(10 * time.Minute)
	b := tx(t, c, []byte{0xf7}, 6)
	if bytes.Equal(a[:3], b[:3]) || !bytes.Equal(a[3:], b[3:]) {
		t.Errorf("normal mode results % x then % x: want a new pressure, the same temperature", a, b)
	}
	if st := c.State(); st.Mode != 3 || st.Measurements != 2 {
		t.Errorf("state %+v", st)
	}
}
