package sensortest

import (
	"io"
	"strings"
	"testing"

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
