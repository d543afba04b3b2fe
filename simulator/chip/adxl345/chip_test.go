package adxl345

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

// still is 1 g down Z plus a little tilt.
func still(time.Time) Values { return Values{X: 0.5, Y: -0.25, Z: G} }

func TestRegisters(t *testing.T) {
	c := New(still, nil)
	if got := tx(t, c, []byte{0x00}, 1); got[0] != 0xe5 {
		t.Errorf("DEVID %#02x", got[0])
	}
	// Power-on values, read across the map with auto-increment.
	if got := tx(t, c, []byte{0x2c}, 6); !bytes.Equal(got, []byte{0x0a, 0, 0, 0, 0x02, 0}) {
		t.Errorf("0x2C..0x31 = % x", got)
	}
	// DEVID is read-only; a multi-byte write fills consecutive registers.
	tx(t, c, []byte{0x00, 0x12}, 0)
	tx(t, c, []byte{0x2c, 0x0f, 0x08}, 0)
	if st := c.State(); !st.Measuring || st.Rate != 0x0f || st.Range != 2 {
		t.Errorf("state %+v", st)
	}
	if got := tx(t, c, []byte{0x00}, 1); got[0] != 0xe5 {
		t.Errorf("DEVID %#02x after a write", got[0])
	}
	if got := tx(t, c, []byte{0x40}, 2); !bytes.Equal(got, []byte{0, 0}) {
		t.Errorf("past the map: % x", got)
	}
}

func TestSamples(t *testing.T) {
	tests := []struct {
		name   string
		format byte
		want   []byte
	}{
		// 0.5 m/s² = 13.05 counts → 13; −0.25 → −6.5 → −7 (away from zero);
		// 9.80665 → 256.
		{"full resolution ±2 g", 0x08, []byte{0x0d, 0x00, 0xf9, 0xff, 0x00, 0x01}},
		// 10 bits over ±16 g: 32 counts per g: 1.63 → 2, −0.82 → −1, 32.
		{"10 bits ±16 g", 0x03, []byte{0x02, 0x00, 0xff, 0xff, 0x20, 0x00}},
		// Left-justified full resolution ±2 g: 10 bits shifted up by 6.
		{"left-justified", 0x0c, []byte{0x40, 0x03, 0x40, 0xfe, 0x00, 0x40}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(still, nil)
			tx(t, c, []byte{0x31, tt.format}, 0)
			if got := tx(t, c, []byte{0x32}, 6); !bytes.Equal(got, make([]byte, 6)) {
				t.Errorf("standby read % x, want zeros", got)
			}
			tx(t, c, []byte{0x2d, 0x08}, 0)
			if got := tx(t, c, []byte{0x32}, 6); !bytes.Equal(got, tt.want) {
				t.Errorf("DATAX0..DATAZ1 = % x, want % x", got, tt.want)
			}
		})
	}
}

func TestSaturates(t *testing.T) {
	c := New(func(time.Time) Values { return Values{X: 5 * G, Y: -5 * G, Z: 100 * G} }, nil)
	tx(t, c, []byte{0x31, 0x08}, 0)
	tx(t, c, []byte{0x2d, 0x08}, 0)
	// ±2 g full resolution: 10 bits, 511 and −512.
	if got := tx(t, c, []byte{0x32}, 6); !bytes.Equal(got, []byte{0xff, 0x01, 0x00, 0xfe, 0xff, 0x01}) {
		t.Errorf("saturated sample % x", got)
	}
}
