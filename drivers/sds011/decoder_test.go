package sds011

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
	return sensortest.DecodeAll(t, "sds011", in, params)
}

func pm(off int64, pm25, pm10 float64) []sensor.Decoded {
	return []sensor.Decoded{
		{Offset: off, Quantity: telemetry.PM2_5, Value: pm25},
		{Offset: off, Quantity: telemetry.PM10, Value: pm10},
	}
}

func TestDecode(t *testing.T) {
	corrupt := bytes.Clone(knownFrame)
	corrupt[4] = 0xe8
	tests := []struct {
		name string
		in   []byte
		want []sensor.Decoded
		bad  []badFrame
	}{
		{"two frames", cat(knownFrame, cleanFrame), append(pm(0, 35.2, 48.7), pm(10, 2.8, 4.7)...), nil},
		{"replies are skipped", cat(ackWork, knownFrame, ackFirmware), pm(10, 35.2, 48.7), nil},
		{"garbage before a frame", cat([]byte{0x01, 0xaa, 0x02}, knownFrame), pm(3, 35.2, 48.7),
			[]badFrame{{Off: 0, Reason: "3 bytes"}}},
		{"bad checksum", cat(corrupt, cleanFrame), pm(10, 2.8, 4.7), []badFrame{{Off: 0, Reason: "checksum"}}},
		{"bad tail", cat(knownFrame[:9], cleanFrame), pm(9, 2.8, 4.7), []badFrame{{Off: 0, Reason: "ends 0xaa"}}},
		{"over range", overFrame, pm(0, 1000, 2000), []badFrame{{Off: 0, Reason: "range"}}},
		{"truncated", cat(knownFrame, cleanFrame[:6]), pm(0, 35.2, 48.7), []badFrame{{Off: 10, Reason: "ends 6 bytes into"}}},
		{"empty", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte at a time, so that frames straddle reads.
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
	if _, _, err := decodeAll(t, bytes.NewReader(knownFrame), map[string]string{"mode": "fast"}); err == nil {
		t.Error("decode with a bad param succeeded")
	}
	// nil callbacks are allowed.
	dec, _ := sensor.LookupDecoder("sds011")
	if err := dec(bytes.NewReader(cat(knownFrame, []byte{1, 2})), nil, nil, nil); err != nil {
		t.Error(err)
	}
}
