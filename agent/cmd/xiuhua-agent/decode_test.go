package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// A PMS5003 data frame: PM1 12, PM2.5 35, PM10 61 (atmospheric), with a
// valid checksum, as the chip sends it.
func pmsFrame(pm1, pm25, pm10 byte) []byte {
	f := []byte{0x42, 0x4D, 0x00, 0x1C,
		0, pm1, 0, pm25, 0, pm10, // CF=1
		0, pm1, 0, pm25, 0, pm10, // atmospheric
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // counts
		0, 0} // reserved
	var sum uint16
	for _, b := range f {
		sum += uint16(b)
	}
	return append(f, byte(sum>>8), byte(sum))
}

func TestDecodeWritesJSONLinesAndReportsBadFrames(t *testing.T) {
	bad := pmsFrame(1, 2, 3)
	bad[31] ^= 0xFF // checksum broken
	var in bytes.Buffer
	in.Write([]byte{0x00, 0x13, 0x42}) // garbage, including a lone header byte
	in.Write(pmsFrame(12, 35, 61))
	in.Write(bad)
	in.Write(pmsFrame(13, 36, 62))
	var stdout, stderr strings.Builder
	if code := dispatch([]string{"decode", "--driver", "pms5003"}, &in, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var got []decodedLine
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var l decodedLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		got = append(got, l)
	}
	want := []decodedLine{
		{3, "pm1", 12, "ug/m3"}, {3, "pm2_5", 35, "ug/m3"}, {3, "pm10", 61, "ug/m3"},
		{67, "pm1", 13, "ug/m3"}, {67, "pm2_5", 36, "ug/m3"}, {67, "pm10", 62, "ug/m3"},
	}
	if len(got) != len(want) {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if !strings.Contains(stderr.String(), "offset 0: ") {
		t.Errorf("the garbage at offset 0 is not reported:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "offset 35: bad checksum") {
		t.Errorf("the bad checksum at offset 35 is not reported:\n%s", stderr.String())
	}
}

func TestDecodeUnknownDriver(t *testing.T) {
	var stderr strings.Builder
	if code := dispatch([]string{"decode", "--driver", "nope"}, strings.NewReader(""), &strings.Builder{}, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), `"nope"`) {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
