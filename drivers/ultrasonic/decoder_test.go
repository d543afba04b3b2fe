package ultrasonic

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
	return sensortest.DecodeAll(t, "ultrasonic", in, params)
}

func dist(off int64, mm float64) sensor.Decoded {
	return sensor.Decoded{Offset: off, Quantity: telemetry.Distance, Value: mm}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		in     []byte
		want   []sensor.Decoded
		bad    []badFrame
	}{
		{"frames", nil, cat(f1953, f1500), []sensor.Decoded{dist(0, 1953), dist(4, 1500)}, nil},
		{"water level", map[string]string{"mounting_height_m": "5.2"}, f1953,
			[]sensor.Decoded{dist(0, 1953), {Offset: 0, Quantity: telemetry.WaterLevel, Value: 3.247}}, nil},
		{"no-header variant", map[string]string{"checksum": "sum-no-header"}, f1953NoHeader, []sensor.Decoded{dist(0, 1953)}, nil},
		{"wrong variant", nil, f1953NoHeader, nil, []badFrame{{Off: 0, Reason: "checksum"}}},
		{"garbage", nil, cat([]byte{0x00, 0x55, 0x13}, f1953), []sensor.Decoded{dist(3, 1953)}, []badFrame{{Off: 0, Reason: "3 bytes"}}},
		{"bad frame, then good", nil, cat([]byte{0xff, 0x07, 0xa1, 0xa6}, f1500), []sensor.Decoded{dist(4, 1500)}, []badFrame{{Off: 0, Reason: "checksum"}}},
		{"out of range is emitted and reported", nil, f25, []sensor.Decoded{dist(0, 25)}, []badFrame{{Off: 0, Reason: "outside"}}},
		{"truncated", nil, cat(f1953, f1500[:2]), []sensor.Decoded{dist(0, 1953)}, []badFrame{{Off: 4, Reason: "ends 2 bytes into"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad, err := decodeAll(t, iotest.OneByteReader(bytes.NewReader(tt.in)), tt.params)
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
	if _, _, err := decodeAll(t, bytes.NewReader(f1953), map[string]string{"checksum": "crc"}); err == nil {
		t.Error("decode with a bad param succeeded")
	}
	dec, _ := sensor.LookupDecoder("ultrasonic")
	if err := dec(bytes.NewReader(cat(f1953, []byte{1})), nil, nil, nil); err != nil {
		t.Error(err)
	}
}
