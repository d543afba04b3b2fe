package sps30

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Errors. Others wrap these with detail after the sentinel's text.
var (
	// ErrCRC means a 2-byte word from the chip did not match the CRC-8
	// that followed it.
	ErrCRC = errors.New("sps30: bad CRC")
	// ErrNotReady means Read waited Opts.ReadyTimeout without the chip
	// raising its data-ready flag: it is not measuring, or it is cleaning
	// its fan (values are not updated for the 10 s of a cleaning).
	ErrNotReady = errors.New("sps30: no new measurement")
	// ErrProbe means the chip at the address did not answer like an
	// SPS30: its serial number is not printable ASCII.
	ErrProbe = errors.New("sps30: not an SPS30")
)

// Commands: 16-bit "pointer addresses", written big-endian without a CRC
// (the code carries its own 3-bit check).
const (
	cmdStart     = 0x0010 // + 1 argument word: output format
	cmdStop      = 0x0104
	cmdReady     = 0x0202 // read 1 word: 0x0000 or 0x0001
	cmdValues    = 0x0300 // read 20 words (float format)
	cmdAutoClean = 0x8004 // read or write 2 words: interval in s, big-endian uint32
	cmdFanClean  = 0x5607
	cmdReset     = 0xd304
	cmdSerial    = 0xd033 // read 16 words: NUL-terminated ASCII

	formatFloat = 0x0300 // start argument: big-endian IEEE754 floats (0x03, dummy 0x00)
)

// Reply sizes on the wire, CRC bytes included.
const (
	readySize    = 3
	valuesSize   = 60 // 10 floats × 2 words × 3 bytes
	serialSize   = 48
	intervalSize = 6
)

// Measurement is one reading of the chip, in float output format.
type Measurement struct {
	// Mass concentrations, µg/m³, of particles up to each size. They are
	// cumulative: PM1 ≤ PM2_5 ≤ PM4 ≤ PM10.
	PM1, PM2_5, PM4, PM10 float64
	// Number concentrations, particles per cm³, up to each size.
	NC0_5, NC1, NC2_5, NC4, NC10 float64
	// TypicalSize is the typical particle diameter, µm.
	TypicalSize float64
}

// CRC is the chip's CRC-8 over b: polynomial 0x31, initial value 0xFF, no
// reflection, no final XOR. CRC([]byte{0xBE, 0xEF}) is 0x92.
func CRC(b []byte) byte {
	crc := byte(0xff)
	for _, c := range b {
		crc ^= c
		for range 8 {
			if crc&0x80 != 0 {
				crc = crc<<1 ^ 0x31
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// command encodes a command and its argument words, each word followed by
// its CRC.
func command(cmd uint16, args ...uint16) []byte {
	b := binary.BigEndian.AppendUint16(make([]byte, 0, 2+3*len(args)), cmd)
	for _, a := range args {
		w := binary.BigEndian.AppendUint16(nil, a)
		b = append(b, w[0], w[1], CRC(w))
	}
	return b
}

// decodeWords checks the CRC after every 2-byte word of a reply and
// returns the words' bytes without the CRCs.
func decodeWords(b []byte) ([]byte, error) {
	if len(b)%3 != 0 {
		return nil, fmt.Errorf("sps30: reply of %d bytes is not whole 3-byte words", len(b))
	}
	out := make([]byte, 0, len(b)/3*2)
	for i := 0; i < len(b); i += 3 {
		if got, want := b[i+2], CRC(b[i:i+2]); got != want {
			return nil, fmt.Errorf("%w: word %d (% x) has CRC %#02x, want %#02x", ErrCRC, i/3, b[i:i+2], got, want)
		}
		out = append(out, b[i], b[i+1])
	}
	return out, nil
}

// parseValues decodes the 60-byte reply to "read measured values" in
// float format.
func parseValues(b []byte) (Measurement, error) {
	if len(b) != valuesSize {
		return Measurement{}, fmt.Errorf("sps30: values reply of %d bytes, want %d", len(b), valuesSize)
	}
	d, err := decodeWords(b)
	if err != nil {
		return Measurement{}, err
	}
	f := func(i int) float64 { return float64(math.Float32frombits(binary.BigEndian.Uint32(d[4*i:]))) }
	return Measurement{
		PM1: f(0), PM2_5: f(1), PM4: f(2), PM10: f(3),
		NC0_5: f(4), NC1: f(5), NC2_5: f(6), NC4: f(7), NC10: f(8),
		TypicalSize: f(9),
	}, nil
}

// parseSerial decodes the 48-byte reply to "read serial number": up to 32
// ASCII characters ending at the first NUL. An empty or unprintable serial
// means the chip is not an SPS30 (or not one that answers properly).
func parseSerial(b []byte) (string, error) {
	d, err := decodeWords(b)
	if err != nil {
		return "", err
	}
	if i := strings.IndexByte(string(d), 0); i >= 0 {
		d = d[:i]
	}
	if len(d) == 0 {
		return "", fmt.Errorf("%w: empty serial number", ErrProbe)
	}
	for _, c := range d {
		if c < 0x20 || c > 0x7e {
			return "", fmt.Errorf("%w: serial number % x is not printable ASCII", ErrProbe, d)
		}
	}
	return string(d), nil
}

// parseReady decodes the reply to "read data-ready flag".
func parseReady(b []byte) (bool, error) {
	d, err := decodeWords(b)
	if err != nil {
		return false, err
	}
	if len(d) != 2 || d[1] > 1 {
		return false, fmt.Errorf("sps30: data-ready flag % x, want 00 00 or 00 01", d)
	}
	return d[1] == 1, nil
}

// parseInterval decodes the reply to "read auto-cleaning interval": a
// big-endian uint32 of seconds.
func parseInterval(b []byte) (uint32, error) {
	d, err := decodeWords(b)
	if err != nil {
		return 0, err
	}
	if len(d) != 4 {
		return 0, fmt.Errorf("sps30: interval reply of %d bytes, want %d", len(b), intervalSize)
	}
	return binary.BigEndian.Uint32(d), nil
}
