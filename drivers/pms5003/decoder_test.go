package pms5003

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
	return sensortest.DecodeAll(t, "pms5003", in, params)
}

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
	tests := []struct {
		name string
		in   []byte
		want []sensor.Decoded
		bad  []badFrame
	}{
		// knownFrame's atmospheric values: PM1 22, PM2.5 35, PM10 44.
		{"frames", cat(knownFrame, cleanFrame), append(pm(0, 22, 35, 44), pm(32, 0, 0, 0)...), nil},
		{"replies are skipped", cat(ackPassive, knownFrame, ackSleep), pm(8, 22, 35, 44), nil},
		{"garbage", cat([]byte{0x00, 0x42, 0x13}, knownFrame), pm(3, 22, 35, 44), []badFrame{{Off: 0, Reason: "3 bytes"}}},
		{"bad checksum", cat(corrupt, cleanFrame), pm(32, 0, 0, 0), []badFrame{{Off: 0, Reason: "checksum"}}},
		{"bad length", cat([]byte{0x42, 0x4d, 0x01, 0x00}, knownFrame), pm(4, 22, 35, 44), []badFrame{{Off: 0, Reason: "length field 256"}}},
		{"truncated", cat(knownFrame, cleanFrame[:20]), pm(0, 22, 35, 44), []badFrame{{Off: 32, Reason: "ends 20 bytes into"}}},
		{
			// The last candidate's length says 28 but only a reply
			// follows: the reply inside is still found.
			"reply inside a cut-short frame", cat(knownFrame[:4], ackSleep), nil, []badFrame{{Off: 0, Reason: "ends 12 bytes into"}},
		},
		{"empty", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad, err := decodeAll(t, iotest.OneByteReader(bytes.NewReader(tt.in)), map[string]string{"mode": "active"})
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
		t.Error("decode with a bad mode succeeded")
	}
	dec, _ := sensor.LookupDecoder("pms5003")
	if err := dec(bytes.NewReader(cat(knownFrame, []byte{0x42})), nil, nil, nil); err != nil {
		t.Error(err)
	}
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
	dec, err := sensor.LookupDecoder("pms5003")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := dec(bytes.NewReader(data), nil, func(d sensor.Decoded) {
			if d.Offset < 0 || d.Offset+FrameSize > int64(len(data)) {
				t.Fatalf("value at offset %d outside the input", d.Offset)
			}
			fr, err := ParseFrame(data[d.Offset : d.Offset+FrameSize])
			if err != nil {
				t.Fatalf("value %+v from a frame ParseFrame refuses: %v", d, err)
			}
			want := map[telemetry.Quantity]uint16{telemetry.PM1: fr.Atm.PM1, telemetry.PM2_5: fr.Atm.PM2_5, telemetry.PM10: fr.Atm.PM10}[d.Quantity]
			if d.Value != float64(want) {
				t.Fatalf("value %+v, frame says %d", d, want)
			}
		}, func(off int64, reason string) {
			if off < 0 || off >= int64(len(data)) || reason == "" {
				t.Fatalf("bad frame at %d (%q) in %d bytes", off, reason, len(data))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
