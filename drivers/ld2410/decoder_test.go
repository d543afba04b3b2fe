package ld2410

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// badFrame is a rejected frame: its offset and a part of its reason.
type badFrame = sensortest.BadFrame

// decodeAll runs the registered decoder over in.
func decodeAll(t *testing.T, in io.Reader, params map[string]string) ([]sensor.Decoded, []badFrame, error) {
	return sensortest.DecodeAll(t, "ld2410", in, params)
}

func pres(off int64, state float64) sensor.Decoded {
	return sensor.Decoded{Offset: off, Quantity: telemetry.Presence, Value: state}
}

func dist(off int64, mm float64) sensor.Decoded {
	return sensor.Decoded{Offset: off, Quantity: telemetry.Distance, Value: mm}
}

func TestDecode(t *testing.T) {
	corrupt := bytes.Clone(repBoth)
	corrupt[18] = 0x01
	tests := []struct {
		name string
		in   []byte
		want []sensor.Decoded
		bad  []badFrame
	}{
		{"reports", cat(repMoving, repNone, repBoth),
			[]sensor.Decoded{pres(0, 1), dist(0, 1500), pres(23, 0), pres(46, 3), dist(46, 1200)}, nil},
		{"engineering report", repEng, []sensor.Decoded{pres(0, 2), dist(0, 950)}, nil},
		{"ACKs are skipped", cat(ackEnable, repStill, ackEnd), []sensor.Decoded{pres(18, 2), dist(18, 850)}, nil},
		{"garbage", cat([]byte{0x00, 0xf4, 0x00}, repNone), []sensor.Decoded{pres(3, 0)}, []badFrame{{Off: 0, Reason: "3 bytes"}}},
		{"corrupted report", cat(corrupt, repNone), []sensor.Decoded{pres(23, 0)}, []badFrame{{Off: 0, Reason: "ends 55 01"}}},
		{"implausible length", cat(hdr, []byte{0xff, 0x00}, repNone), []sensor.Decoded{pres(6, 0)}, []badFrame{{Off: 0, Reason: "length field 255"}}},
		{"beyond range", repFar, []sensor.Decoded{pres(0, 1), dist(0, 8000)}, []badFrame{{Off: 0, Reason: "beyond"}}},
		{"truncated", cat(repNone, repMoving[:10]), []sensor.Decoded{pres(0, 0)}, []badFrame{{Off: 23, Reason: "ends 10 bytes into"}}},
		{"truncated header", cat(repNone, hdr[:3]), []sensor.Decoded{pres(0, 0)}, []badFrame{{Off: 23, Reason: "ends 3 bytes into"}}},
		{
			// A length field stretched past the end: the report inside
			// is still found.
			"long length hides a report", cat(hdr, []byte{0x30, 0x00}, repMoving),
			[]sensor.Decoded{pres(6, 1), dist(6, 1500)}, []badFrame{{Off: 0, Reason: "ends 29 bytes into"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad, err := decodeAll(t, iotest.OneByteReader(bytes.NewReader(tt.in)), nil)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			sensortest.CheckDecoded(t, got, tt.want, bad, tt.bad)
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	boom := errors.New("disk on fire")
	if _, _, err := decodeAll(t, iotest.ErrReader(boom), nil); !errors.Is(err, boom) {
		t.Errorf("decode of a failing reader = %v, want %v", err, boom)
	}
	if _, _, err := decodeAll(t, bytes.NewReader(repNone), map[string]string{"x": "y"}); err == nil {
		t.Error("decode with a param succeeded")
	}
	dec, _ := sensor.LookupDecoder("ld2410")
	if err := dec(bytes.NewReader(cat(repNone, hdr)), nil, nil, nil); err != nil {
		t.Error(err)
	}
}
