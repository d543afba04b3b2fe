package ld2410

import (
	"bytes"
	"testing"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/sensor/sensortest"
	"github.com/xiuhua/xiuhua/telemetry"
)

// badFrame is a rejected frame: its offset and a part of its reason.
type badFrame = sensortest.BadFrame

func pres(off int64, state float64) sensor.Decoded {
	return sensor.Decoded{Offset: off, Quantity: telemetry.Presence, Value: state}
}

func dist(off int64, mm float64) sensor.Decoded {
	return sensor.Decoded{Offset: off, Quantity: telemetry.Distance, Value: mm}
}

func TestDecode(t *testing.T) {
	corrupt := bytes.Clone(repBoth)
	corrupt[18] = 0x01
	sensortest.RunDecodeCases(t, "ld2410", nil, []sensortest.DecodeCase{
		{Name: "reports", In: cat(repMoving, repNone, repBoth),
			Want: []sensor.Decoded{pres(0, 1), dist(0, 1500), pres(23, 0), pres(46, 3), dist(46, 1200)}},
		{Name: "engineering report", In: repEng, Want: []sensor.Decoded{pres(0, 2), dist(0, 950)}},
		{Name: "ACKs are skipped", In: cat(ackEnable, repStill, ackEnd), Want: []sensor.Decoded{pres(18, 2), dist(18, 850)}},
		{Name: "garbage", In: cat([]byte{0x00, 0xf4, 0x00}, repNone), Want: []sensor.Decoded{pres(3, 0)}, Bad: []badFrame{{Off: 0, Reason: "3 bytes"}}},
		{Name: "corrupted report", In: cat(corrupt, repNone), Want: []sensor.Decoded{pres(23, 0)}, Bad: []badFrame{{Off: 0, Reason: "ends 55 01"}}},
		{Name: "implausible length", In: cat(hdr, []byte{0xff, 0x00}, repNone), Want: []sensor.Decoded{pres(6, 0)}, Bad: []badFrame{{Off: 0, Reason: "length field 255"}}},
		{Name: "beyond range", In: repFar, Want: []sensor.Decoded{pres(0, 1), dist(0, 8000)}, Bad: []badFrame{{Off: 0, Reason: "beyond"}}},
		{Name: "truncated", In: cat(repNone, repMoving[:10]), Want: []sensor.Decoded{pres(0, 0)}, Bad: []badFrame{{Off: 23, Reason: "ends 10 bytes into"}}},
		{Name: "truncated header", In: cat(repNone, hdr[:3]), Want: []sensor.Decoded{pres(0, 0)}, Bad: []badFrame{{Off: 23, Reason: "ends 3 bytes into"}}},
		{
			// A length field stretched past the end: the report inside
			// is still found.
			Name: "long length hides a report", In: cat(hdr, []byte{0x30, 0x00}, repMoving),
			Want: []sensor.Decoded{pres(6, 1), dist(6, 1500)}, Bad: []badFrame{{Off: 0, Reason: "ends 29 bytes into"}},
		},
	})
}

func TestDecodeErrors(t *testing.T) {
	sensortest.CheckDecoderErrors(t, "ld2410", map[string]string{"x": "y"}, cat(repNone, hdr))
}
