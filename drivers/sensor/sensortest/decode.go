package sensortest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
)

// BadFrame is one frame a stream decoder rejected: where, and why.
type BadFrame struct {
	Off    int64
	Reason string
}

// DecodeAll runs driver's stream decoder over in and collects what it
// decodes and what it rejects.
func DecodeAll(t testing.TB, driver string, in io.Reader, params map[string]string) ([]sensor.Decoded, []BadFrame, error) {
	t.Helper()
	dec, err := sensor.LookupDecoder(driver)
	if err != nil {
		t.Fatal(err)
	}
	var got []sensor.Decoded
	var bad []BadFrame
	err = dec(in, params,
		func(d sensor.Decoded) { got = append(got, d) },
		func(off int64, reason string) { bad = append(bad, BadFrame{off, reason}) })
	return got, bad, err
}

// CheckDecoded compares a decode with what was wanted: values exactly, in
// order; rejected frames by offset, and by a part of the reason.
func CheckDecoded(t testing.TB, got, want []sensor.Decoded, bad, wantBad []BadFrame) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("value %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if len(bad) != len(wantBad) {
		t.Fatalf("bad frames %+v, want %+v", bad, wantBad)
	}
	for i := range bad {
		if bad[i].Off != wantBad[i].Off || !strings.Contains(bad[i].Reason, wantBad[i].Reason) {
			t.Errorf("bad frame %d = %+v, want %+v", i, bad[i], wantBad[i])
		}
	}
}

// DecodeCase is a captured byte stream and what a stream decoder must make
// of it.
type DecodeCase struct {
	Name   string
	Params map[string]string // when not nil, instead of RunDecodeCases's
	In     []byte
	Want   []sensor.Decoded
	Bad    []BadFrame
}

// RunDecodeCases runs each case as a subtest: driver's stream decoder,
// with params (or the case's), over the case's input fed one byte at a
// time, so that frames straddle reads; then CheckDecoded.
func RunDecodeCases(t *testing.T, driver string, params map[string]string, cases []DecodeCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			p := params
			if c.Params != nil {
				p = c.Params
			}
			got, bad, err := DecodeAll(t, driver, iotest.OneByteReader(bytes.NewReader(c.In)), p)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			CheckDecoded(t, got, c.Want, bad, c.Bad)
		})
	}
}

// CheckDecoderErrors checks how driver's stream decoder fails: with the
// reader's error when reading fails, with an error for badParams, and not
// at all when its callbacks are nil (in holds frames and a cut-short
// tail).
func CheckDecoderErrors(t *testing.T, driver string, badParams map[string]string, in []byte) {
	t.Helper()
	boom := errors.New("disk on fire")
	if _, _, err := DecodeAll(t, driver, iotest.ErrReader(boom), nil); !errors.Is(err, boom) {
		t.Errorf("decode of a failing reader = %v, want %v", err, boom)
	}
	if _, _, err := DecodeAll(t, driver, bytes.NewReader(in), badParams); err == nil {
		t.Errorf("decode with params %v succeeded", badParams)
	}
	dec, err := sensor.LookupDecoder(driver)
	if err != nil {
		t.Fatal(err)
	}
	if err := dec(bytes.NewReader(in), nil, nil, nil); err != nil {
		t.Errorf("decode with nil callbacks: %v", err)
	}
}

// FuzzDecoded runs driver's stream decoder over data, for a fuzz target:
// it must not fail, every frame it rejects must lie in data and have a
// reason, and every value must be what frameValue, given the value's
// offset and quantity, finds in data there. frameValue fails the test
// when there is no good frame at that offset.
func FuzzDecoded(t *testing.T, driver string, data []byte, params map[string]string, frameValue func(d sensor.Decoded) float64) {
	t.Helper()
	dec, err := sensor.LookupDecoder(driver)
	if err != nil {
		t.Fatal(err)
	}
	err = dec(bytes.NewReader(data), params, func(d sensor.Decoded) {
		if d.Offset < 0 || d.Offset >= int64(len(data)) {
			t.Fatalf("value at offset %d outside the input", d.Offset)
		}
		if want := frameValue(d); d.Value != want {
			t.Fatalf("value %+v, frame says %v", d, want)
		}
	}, func(off int64, reason string) {
		if off < 0 || off >= int64(len(data)) || reason == "" {
			t.Fatalf("bad frame at %d (%q) in %d bytes", off, reason, len(data))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}
