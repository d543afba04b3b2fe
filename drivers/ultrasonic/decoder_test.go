package ultrasonic

import (
	"testing"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// badFrame is a rejected frame: its offset and a part of its reason.
type badFrame = sensortest.BadFrame

func dist(off int64, mm float64) sensor.Decoded {
	return sensor.Decoded{Offset: off, Quantity: telemetry.Distance, Value: mm}
}

func TestDecode(t *testing.T) {
	sensortest.RunDecodeCases(t, "ultrasonic", nil, []sensortest.DecodeCase{
		{Name: "frames", In: cat(f1953, f1500), Want: []sensor.Decoded{dist(0, 1953), dist(4, 1500)}},
		{Name: "water level", Params: map[string]string{"mounting_height_m": "5.2"}, In: f1953,
			Want: []sensor.Decoded{dist(0, 1953), {Offset: 0, Quantity: telemetry.WaterLevel, Value: 3.247}}},
		{Name: "no-header variant", Params: map[string]string{"checksum": "sum-no-header"}, In: f1953NoHeader, Want: []sensor.Decoded{dist(0, 1953)}},
		{Name: "wrong variant", In: f1953NoHeader, Bad: []badFrame{{Off: 0, Reason: "checksum"}}},
		{Name: "garbage", In: cat([]byte{0x00, 0x55, 0x13}, f1953), Want: []sensor.Decoded{dist(3, 1953)}, Bad: []badFrame{{Off: 0, Reason: "3 bytes"}}},
		{Name: "bad frame, then good", In: cat([]byte{0xff, 0x07, 0xa1, 0xa6}, f1500), Want: []sensor.Decoded{dist(4, 1500)}, Bad: []badFrame{{Off: 0, Reason: "checksum"}}},
		{Name: "out of range is emitted and reported", In: f25, Want: []sensor.Decoded{dist(0, 25)}, Bad: []badFrame{{Off: 0, Reason: "outside"}}},
		{Name: "truncated", In: cat(f1953, f1500[:2]), Want: []sensor.Decoded{dist(0, 1953)}, Bad: []badFrame{{Off: 4, Reason: "ends 2 bytes into"}}},
	})
}

func TestDecodeErrors(t *testing.T) {
	sensortest.CheckDecoderErrors(t, "ultrasonic", map[string]string{"checksum": "crc"}, cat(f1953, []byte{1}))
}
