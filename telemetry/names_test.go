package telemetry

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// badNames are sensor and quantity names DecodeBatch refuses, with the
// reason it gives.
var badNames = []struct{ name, why string }{
	{"pm\x01", `"pm\x01" has control character U+0001 at byte offset 2; names must be printable text`},
	{"dust\x00", `"dust\x00" has control character U+0000 at byte offset 4; names must be printable text`},
	{"\x1b[31mdust", `"\x1b[31mdust" has control character U+001B at byte offset 0; names must be printable text`},
	{"dust\x7f", `"dust\x7f" has control character U+007F at byte offset 4; names must be printable text`},
	{"扬尘\u0085", `"扬尘\u0085" has control character U+0085 at byte offset 6; names must be printable text`},
	{"line\nbreak", `"line\nbreak" has control character U+000A at byte offset 4; names must be printable text`},
	{"du\xffst", `"du\xffst" is not valid UTF-8: byte 0xff at offset 2 does not start a character`},
	{"扬\xe5\xb0", `"扬\xe5\xb0" is not valid UTF-8: byte 0xe5 at offset 3 does not start a character`},
	{"\xc0\xaf", `"\xc0\xaf" is not valid UTF-8: byte 0xc0 at offset 0 does not start a character`},
	{"", `is empty`},
	{strings.Repeat("x", 257), `"xxxxxxxxxxxxxxxxxxxx"… is 257 bytes long, more than 256`},
}

func TestDecodeBatchNames(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	batch := func(sensor string, q Quantity) Batch {
		return Batch{Device: "site-7", Records: []Record{
			{Seq: 1, Reading: Reading{Sensor: "dust", Quantity: PM2_5, Value: 1, Time: at}},
			{Seq: 2, Reading: Reading{Sensor: sensor, Quantity: q, Value: 2, Time: at}},
		}}
	}
	for _, bad := range badNames {
		for _, field := range []string{"sensor", "quantity"} {
			b := batch(bad.name, PM2_5)
			if field == "quantity" {
				b = batch("dust", Quantity(bad.name))
			}
			p, err := EncodeBatch(b)
			if err != nil {
				t.Fatalf("EncodeBatch: %v", err)
			}
			_, err = DecodeBatch(p)
			want := "telemetry: malformed payload: record 1 (seq 2): " + field + " name " + bad.why
			if bad.name == "" {
				want = "telemetry: malformed payload: record 1 (seq 2): " + field + " name is empty"
			}
			if err == nil || err.Error() != want || !errors.Is(err, ErrPayload) {
				t.Errorf("%s %q: DecodeBatch = %v\nwant %s", field, bad.name, err, want)
			}
		}
	}

	// In a condensed block's aggregates too.
	b := Batch{Device: "site-7", Condensed: []Condensed{{Range: Range{First: 1, Last: 3}, Aggregates: []Aggregate{
		{Sensor: "dust", Quantity: PM2_5, Minute: at, Count: 1, Min: 1, Max: 1, Mean: 1},
		{Sensor: "dust\x00", Quantity: PM2_5, Minute: at, Count: 2, Min: 1, Max: 1, Mean: 1},
	}}}}
	p, err := EncodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	_, err = DecodeBatch(p)
	const want = `telemetry: malformed payload: condensed block 0: aggregate 1: sensor name "dust\x00" has control character U+0000 at byte offset 4; names must be printable text`
	if err == nil || err.Error() != want {
		t.Errorf("condensed: DecodeBatch = %v\nwant %s", err, want)
	}

	// Names in any script, with spaces and punctuation, are fine.
	for _, good := range []string{"扬尘监测-1", "pm2.5 (µg/m³)", "Ölstand #2", strings.Repeat("水", 85)} {
		p, err := EncodeBatch(batch(good, Quantity(good)))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := DecodeBatch(p); err != nil || got.Records[1].Sensor != good || string(got.Records[1].Quantity) != good {
			t.Errorf("%q: DecodeBatch = %+v, %v", good, got, err)
		}
	}
}
