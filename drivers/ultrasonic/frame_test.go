package ultrasonic

import (
	"bytes"
	"errors"
	"testing"

	"periph.io/x/conn/v3/physic"
)

func TestParseFrame(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		c    Checksum
		want physic.Distance
	}{
		{"datasheet example", f1953, SumWithHeader, 1953 * mm},
		{"1.5 m", f1500, SumWithHeader, 1500 * mm},
		{"blind zone", f25, SumWithHeader, 25 * mm},
		{"no-header checksum", f1953NoHeader, SumNoHeader, 1953 * mm},
		{"zero", []byte{0xff, 0x00, 0x00, 0xff}, SumWithHeader, 0},
		{"zero, no header", []byte{0xff, 0x00, 0x00, 0x00}, SumNoHeader, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFrame(tt.in, tt.c)
			if err != nil || got != tt.want {
				t.Errorf("ParseFrame = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestParseFrameErrors(t *testing.T) {
	with := func(i int, b byte) []byte {
		f := bytes.Clone(f1953)
		f[i] = b
		return f
	}
	tests := []struct {
		name string
		in   []byte
		c    Checksum
		want error
	}{
		{"empty", nil, SumWithHeader, ErrFrame},
		{"short", f1953[:3], SumWithHeader, ErrFrame},
		{"long", cat(f1953, []byte{0}), SumWithHeader, ErrFrame},
		{"bad header", with(0, 0xfe), SumWithHeader, ErrFrame},
		{"corrupted low byte", with(2, 0xa2), SumWithHeader, ErrChecksum},
		{"wrong variant", f1953, SumNoHeader, ErrChecksum},
		{"wrong variant the other way", f1953NoHeader, SumWithHeader, ErrChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseFrame(tt.in, tt.c); !errors.Is(err, tt.want) {
				t.Errorf("ParseFrame = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestChecksumString(t *testing.T) {
	if SumWithHeader.String() != "sum" || SumNoHeader.String() != "sum-no-header" || Checksum(7).String() != "checksum(7)" {
		t.Errorf("%v %v %v", SumWithHeader, SumNoHeader, Checksum(7))
	}
}
