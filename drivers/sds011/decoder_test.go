package sds011

import (
	"bytes"
	"testing"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// badFrame is a rejected frame: its offset and a part of its reason.
type badFrame = sensortest.BadFrame

func pm(off int64, pm25, pm10 float64) []sensor.Decoded {
	return []sensor.Decoded{
		{Offset: off, Quantity: telemetry.PM2_5, Value: pm25},
		{Offset: off, Quantity: telemetry.PM10, Value: pm10},
	}
}

func TestDecode(t *testing.T) {
	corrupt := bytes.Clone(knownFrame)
	corrupt[4] = 0xe8
	sensortest.RunDecodeCases(t, "sds011", nil, []sensortest.DecodeCase{
		{Name: "two frames", In: cat(knownFrame, cleanFrame), Want: append(pm(0, 35.2, 48.7), pm(10, 2.8, 4.7)...)},
		{Name: "replies are skipped", In: cat(ackWork, knownFrame, ackFirmware), Want: pm(10, 35.2, 48.7)},
		{Name: "garbage before a frame", In: cat([]byte{0x01, 0xaa, 0x02}, knownFrame), Want: pm(3, 35.2, 48.7),
			Bad: []badFrame{{Off: 0, Reason: "3 bytes"}}},
		{Name: "bad checksum", In: cat(corrupt, cleanFrame), Want: pm(10, 2.8, 4.7), Bad: []badFrame{{Off: 0, Reason: "checksum"}}},
		{Name: "bad tail", In: cat(knownFrame[:9], cleanFrame), Want: pm(9, 2.8, 4.7), Bad: []badFrame{{Off: 0, Reason: "ends 0xaa"}}},
		{Name: "over range", In: overFrame, Want: pm(0, 1000, 2000), Bad: []badFrame{{Off: 0, Reason: "range"}}},
		{Name: "truncated", In: cat(knownFrame, cleanFrame[:6]), Want: pm(0, 35.2, 48.7), Bad: []badFrame{{Off: 10, Reason: "ends 6 bytes into"}}},
		{Name: "empty"},
	})
}

func TestDecodeErrors(t *testing.T) {
	sensortest.CheckDecoderErrors(t, "sds011", map[string]string{"mode": "fast"}, cat(knownFrame, []byte{1, 2}))
}
