package mpu6050

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

// flat is a chip lying flat at 25 °C, turning at 1 °/s about X.
func flat(time.Time) Values {
	return Values{Accel: [3]float64{0, 0, G}, Gyro: [3]float64{1, 0, -0.5}, Temperature: 25}
}

func TestPowerOnAndReset(t *testing.T) {
	c := New(flat, nil)
	if got := tx(t, c, []byte{0x75}, 1); got[0] != 0x68 {
		t.Errorf("WHO_AM_I %#02x", got[0])
	}
	if got := tx(t, c, []byte{0x6b}, 1); got[0] != 0x40 {
		t.Errorf("PWR_MGMT_1 %#02x at power-on", got[0])
	}
	// Asleep: the data registers stay zero.
	if got := tx(t, c, []byte{0x3b}, 14); !bytes.Equal(got, make([]byte, 14)) {
		t.Errorf("data while asleep: % x", got)
	}
	tx(t, c, []byte{0x1b, 0x18, 0x10}, 0) // GYRO_CONFIG, ACCEL_CONFIG by auto-increment
	tx(t, c, []byte{0x6b, 0x01}, 0)
	tx(t, c, []byte{0x75, 0x12}, 0) // read-only
	if st := c.State(); st.Asleep || st.Clock != 1 || st.GyroRange != 2000 || st.AccelRange != 8 {
		t.Errorf("state %+v", st)
	}
	tx(t, c, []byte{0x6b, 0x80}, 0)
	if got := tx(t, c, []byte{0x6b}, 1); got[0] != 0x40 {
		t.Errorf("PWR_MGMT_1 %#02x after reset", got[0])
	}
	if st := c.State(); !st.Asleep || st.GyroRange != 250 || st.Resets != 1 {
		t.Errorf("state %+v after reset", st)
	}
	if got := tx(t, c, []byte{0x75}, 1); got[0] != 0x68 {
		t.Errorf("WHO_AM_I %#02x after a write", got[0])
	}
}

func TestSamples(t *testing.T) {
	c := New(flat, nil)
	tx(t, c, []byte{0x6b, 0x01}, 0)
	// ±2 g, ±250 °/s: Z 16384; TEMP (25 − 36.53) × 340 = −3920.2 → −3920
	// = 0xF0B0; gyro X 131, Z −65.5 → −66 (away from zero).
	want := []byte{0, 0, 0, 0, 0x40, 0x00, 0xf0, 0xb0, 0x00, 0x83, 0, 0, 0xff, 0xbe}
	if got := tx(t, c, []byte{0x3b}, 14); !bytes.Equal(got, want) {
		t.Errorf("burst % x, want % x", got, want)
	}
	// Saturation at ±2 g.
	c = New(func(time.Time) Values { return Values{Accel: [3]float64{3 * G, -3 * G}} }, nil)
	tx(t, c, []byte{0x6b, 0x01}, 0)
	if got := tx(t, c, []byte{0x3b}, 4); !bytes.Equal(got, []byte{0x7f, 0xff, 0x80, 0x00}) {
		t.Errorf("saturated % x", got)
	}
}
