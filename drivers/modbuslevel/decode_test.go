package modbuslevel

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/telemetry"
)

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

type badFrame struct {
	off    int64
	reason string // a part of it
}

func decodeAll(t *testing.T, r io.Reader, params map[string]string) ([]sensor.Decoded, []badFrame, error) {
	t.Helper()
	d, err := sensor.LookupDecoder("modbuslevel")
	if err != nil {
		t.Fatal(err)
	}
	var out []sensor.Decoded
	var bad []badFrame
	err = d(r, params, func(v sensor.Decoded) { out = append(out, v) }, func(off int64, why string) { bad = append(bad, badFrame{off, why}) })
	return out, bad, err
}

func TestDecodeStream(t *testing.T) {
	dist := func(off int64, v float64) sensor.Decoded {
		return sensor.Decoded{Offset: off, Quantity: telemetry.Distance, Value: v}
	}
	tests := []struct {
		name   string
		stream []byte
		params map[string]string
		out    []sensor.Decoded
		bad    []badFrame
	}{
		{"responses", cat(resp1234, resp12345), nil, []sensor.Decoded{dist(0, 1234), dist(7, 12345)}, nil},
		{"requests and responses", cat(reqH0x1, resp1234, reqH0x1, resp12345), nil, []sensor.Decoded{dist(8, 1234), dist(23, 12345)}, nil},
		{"bad CRC between good frames", cat(resp1234, flip(resp12345, 4), resp1234), nil,
			[]sensor.Decoded{dist(0, 1234), dist(14, 1234)}, []badFrame{{7, "bad CRC: 01 03 02 30 38 6c 56"}}},
		{"truncated at the end", cat(resp1234, resp12345[:5]), nil,
			[]sensor.Decoded{dist(0, 1234)}, []badFrame{{7, "truncated: frame needs 7 bytes, 5 left"}}},
		{"one byte at the end", cat(resp1234, []byte{0x01}), nil,
			[]sensor.Decoded{dist(0, 1234)}, []badFrame{{7, "truncated: 1 byte"}}},
		{"garbage, then a frame", cat([]byte{0x00, 0xff, 0x42}, resp1234), nil,
			[]sensor.Decoded{dist(3, 1234)}, []badFrame{{0, "not a frame"}}},
		{"exception", cat(resp1234, excAddress, resp1234), nil,
			[]sensor.Decoded{dist(0, 1234), dist(12, 1234)}, []badFrame{{7, "exception 0x02 (illegal data address)"}}},
		{"count for another type", cat(resp1234), map[string]string{"type": "float32"},
			nil, []badFrame{{0, "has 2 data bytes, want 4"}}},
		{"NaN", cat(respNaN), map[string]string{"type": "float32"}, nil, []badFrame{{0, "value out of range"}}},
		{"float water level, low word first", cat(reqI7at100x2, respFloatLow), map[string]string{"type": "float32", "word_order": "little", "quantity": "water_level"},
			[]sensor.Decoded{{Offset: 8, Quantity: telemetry.WaterLevel, Value: 3.25}}, nil},
		{"only the slave asked for", cat(resp1234, respSlave2, respFloatLow), map[string]string{"slave": "2"}, []sensor.Decoded{dist(7, 1234)}, nil},
		{"only the function asked for", cat(resp1234, excFunc7), map[string]string{"function": "4"}, nil, []badFrame{{7, "slave 7 refused function 0x04"}}},
		{"empty", nil, nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte per Read, to show framing does not rely on reads.
			out, bad, err := decodeAll(t, iotest.OneByteReader(bytes.NewReader(tt.stream)), tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != len(tt.out) {
				t.Fatalf("decoded %+v, want %+v", out, tt.out)
			}
			for i := range out {
				if out[i] != tt.out[i] {
					t.Errorf("decoded %+v, want %+v", out[i], tt.out[i])
				}
			}
			if len(bad) != len(tt.bad) {
				t.Fatalf("bad frames %+v, want %+v", bad, tt.bad)
			}
			for i := range bad {
				if bad[i].off != tt.bad[i].off || !strings.Contains(bad[i].reason, tt.bad[i].reason) {
					t.Errorf("bad frame %+v, want %+v", bad[i], tt.bad[i])
				}
			}
		})
	}
}

func TestDecodeStreamErrors(t *testing.T) {
	if _, _, err := decodeAll(t, bytes.NewReader(resp1234), map[string]string{"type": "double"}); err == nil || !strings.HasPrefix(err.Error(), `modbuslevel: param type="double"`) {
		t.Errorf("bad params: %v", err)
	}
	broken := io.MultiReader(bytes.NewReader(resp1234), iotest.ErrReader(errors.New("disk gone")))
	out, _, err := decodeAll(t, broken, nil)
	if err == nil || err.Error() != "modbuslevel: read stream at offset 7: disk gone" {
		t.Errorf("reader fails: %v", err)
	}
	if len(out) != 1 || out[0].Value != 1234 {
		t.Errorf("decoded %+v before the error, want the frame read before it", out)
	}
}
