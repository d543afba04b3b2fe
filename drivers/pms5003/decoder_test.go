package pms5003

import (
	"bytes"
	"testing"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// badFrame is a rejected frame: its offset and a part of its reason.
type badFrame = sensortest.BadFrame

// pm is what the decoder emits for a frame at off with these atmospheric
// values.
func pm(off int64, pm1, pm25, pm10 float64) []sensor.Decoded {
	return []sensor.Decoded{
		{Offset: off, Quantity: telemetry.PM1, Value: pm1},
		{Offset: off, Quantity: telemetry.PM2_5, Value: pm25},
		{Offset: off, Quantity: telemetry.PM10, Value: pm10},
	}
}

func TestDecode(t *testing.T) {
	corrupt := bytes.Clone(knownFrame)
	corrupt[13] = 0x24
	sensortest.RunDecodeCases(t, "pms5003", map[string]string{"mode": "active"}, []sensortest.DecodeCase{
		// knownFrame's atmospheric values: PM1 22, PM2.5 35, PM10 44.
		{Name: "frames", In: cat(knownFrame, cleanFrame), Want: append(pm(0, 22, 35, 44), pm(32, 0, 0, 0)...)},
		{Name: "replies are skipped", In: cat(ackPassive, knownFrame, ackSleep), Want: pm(8, 22, 35, 44)},
		{Name: "garbage", In: cat([]byte{0x00, 0x42, 0x13}, knownFrame), Want: pm(3, 22, 35, 44), Bad: []badFrame{{Off: 0, Reason: "3 bytes"}}},
		{Name: "bad checksum", In: cat(corrupt, cleanFrame), Want: pm(32, 0, 0, 0), Bad: []badFrame{{Off: 0, Reason: "checksum"}}},
		{Name: "bad length", In: cat([]byte{0x42, 0x4d, 0x01, 0x00}, knownFrame), Want: pm(4, 22, 35, 44), Bad: []badFrame{{Off: 0, Reason: "length field 256"}}},
		{Name: "truncated", In: cat(knownFrame, cleanFrame[:20]), Want: pm(0, 22, 35, 44), Bad: []badFrame{{Off: 32, Reason: "ends 20 bytes into"}}},
		{
			// The last candidate's length says 28 but only a reply
			// follows: the reply inside is still found.
			Name: "reply inside a cut-short frame", In: cat(knownFrame[:4], ackSleep), Bad: []badFrame{{Off: 0, Reason: "ends 12 bytes into"}},
		},
		{Name: "empty"},
	})
}

func TestDecodeErrors(t *testing.T) {
	sensortest.CheckDecoderErrors(t, "pms5003", map[string]string{"mode": "fast"}, cat(knownFrame, []byte{0x42}))
}

// FuzzDecode checks that the stream decoder never panics or fails on
// bytes, and that every value it emits comes from a data frame with a
// good check at the offset it gives.
func FuzzDecode(f *testing.F) {
	bad := bytes.Clone(knownFrame)
	bad[20] ^= 0x10
	f.Add(knownFrame)
	f.Add(cat(knownFrame, cleanFrame))
	f.Add(cat([]byte{0x00, 0x42, 0x42, 0x4d}, knownFrame))
	f.Add(cat(ackSleep, knownFrame, ackPassive))
	f.Add(cat(bad, knownFrame))
	f.Add(cat(knownFrame[:4], ackSleep))
	f.Add(bytes.Repeat([]byte{0x42, 0x4d}, 40))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		sensortest.FuzzDecoded(t, "pms5003", data, nil, func(d sensor.Decoded) float64 {
			if d.Offset+FrameSize > int64(len(data)) {
				t.Fatalf("value at offset %d outside the input", d.Offset)
			}
			fr, err := ParseFrame(data[d.Offset : d.Offset+FrameSize])
			if err != nil {
				t.Fatalf("value %+v from a frame ParseFrame refuses: %v", d, err)
			}
			return float64(map[telemetry.Quantity]uint16{telemetry.PM1: fr.Atm.PM1, telemetry.PM2_5: fr.Atm.PM2_5, telemetry.PM10: fr.Atm.PM10}[d.Quantity])
		})
	})
}
