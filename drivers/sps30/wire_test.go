package sps30

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestCRC(t *testing.T) {
	tests := []struct {
		in   []byte
		want byte
	}{
		{[]byte{0xbe, 0xef}, 0x92}, // the datasheet's example
		{[]byte{0x03, 0x00}, 0xac}, // start argument: float format
		{[]byte{0x00, 0x00}, 0x81},
		{[]byte{0x00, 0x01}, 0xb0},
		{nil, 0xff},
	}
	for _, tt := range tests {
		if got := CRC(tt.in); got != tt.want {
			t.Errorf("CRC(% x) = %#02x, want %#02x", tt.in, got, tt.want)
		}
	}
}

func TestCommand(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"start float", command(cmdStart, formatFloat), wStart},
		{"stop", command(cmdStop), wStop},
		{"interval 48 h", command(cmdAutoClean, 0x0002, 0xa300), wClean48h},
		{"interval off", command(cmdAutoClean, 0, 0), wCleanOff},
	}
	for _, tt := range tests {
		if !bytes.Equal(tt.got, tt.want) {
			t.Errorf("%s: % x, want % x", tt.name, tt.got, tt.want)
		}
	}
}

func TestParseValues(t *testing.T) {
	m, err := parseValues(valuesReply)
	if err != nil {
		t.Fatal(err)
	}
	if m != hazy {
		t.Errorf("parseValues = %+v, want %+v", m, hazy)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		parse func() error
		want  error // nil: any error
	}{
		{"values: CRC of word 0", func() error { _, err := parseValues(with(valuesReply, 2, 0x79)); return err }, ErrCRC},
		{"values: data of word 19", func() error { _, err := parseValues(with(valuesReply, 58, 0x01)); return err }, ErrCRC},
		{"values: short", func() error { _, err := parseValues(valuesReply[:57]); return err }, nil},
		{"values: ragged", func() error { _, err := decodeWords(valuesReply[:59]); return err }, nil},
		{"serial: empty", func() error { _, err := parseSerial(bytes.Repeat([]byte{0, 0, 0x81}, 16)); return err }, ErrProbe},
		{"serial: floating bus", func() error { _, err := parseSerial(bytes.Repeat([]byte{0xff}, 48)); return err }, ErrCRC},
		{"serial: control char", func() error { _, err := parseSerial([]byte{0x41, 0x07, CRC([]byte{0x41, 0x07})}); return err }, ErrProbe},
		{"ready: flag 2", func() error { _, err := parseReady([]byte{0x00, 0x02, CRC([]byte{0, 2})}); return err }, nil},
		{"ready: bad CRC", func() error { _, err := parseReady([]byte{0x00, 0x01, 0x81}); return err }, ErrCRC},
		{"interval: one word", func() error { _, err := parseInterval(interval168h[:3]); return err }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse()
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseSmall(t *testing.T) {
	if s, err := parseSerial(serialReply); err != nil || s != "ABCDEF0123456789" {
		t.Errorf("parseSerial = %q, %v", s, err)
	}
	if ok, err := parseReady(readyYes); err != nil || !ok {
		t.Errorf("parseReady(yes) = %v, %v", ok, err)
	}
	if ok, err := parseReady(readyNo); err != nil || ok {
		t.Errorf("parseReady(no) = %v, %v", ok, err)
	}
	if s, err := parseInterval(interval168h); err != nil || s != 604800 {
		t.Errorf("parseInterval = %d, %v", s, err)
	}
}

func TestSuspect(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		m    Measurement
		want [4]bool
	}{
		{"hazy", hazy, [4]bool{}},
		{"clean air", Measurement{}, [4]bool{}},
		{"equal classes", Measurement{PM1: 3, PM2_5: 3, PM4: 3, PM10: 3}, [4]bool{}},
		{"rounding slack", Measurement{PM1: 3.005, PM2_5: 3, PM4: 3, PM10: 3}, [4]bool{}},
		{"negative PM1", Measurement{PM1: -1, PM2_5: 3, PM4: 4, PM10: 5}, [4]bool{true}},
		{"NaN PM4", Measurement{PM1: 1, PM2_5: 2, PM4: nan, PM10: 5}, [4]bool{false, false, true, false}},
		{"infinite PM10", Measurement{PM1: 1, PM2_5: 2, PM4: 3, PM10: math.Inf(1)}, [4]bool{false, false, false, true}},
		{"PM2.5 above PM10", Measurement{PM1: 1, PM2_5: 20, PM4: 20, PM10: 10}, [4]bool{false, true, true, true}},
	}
	for _, tt := range tests {
		if got := tt.m.Suspect(); got != tt.want {
			t.Errorf("%s: Suspect = %v, want %v", tt.name, got, tt.want)
		}
	}
}
