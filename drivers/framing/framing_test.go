package framing

import (
	"fmt"
	"strings"
	"testing"
	"testing/iotest"
)

func TestJunkRunsAreReportedOnceWithTheirOffsets(t *testing.T) {
	// "xx" junk, a two-byte frame "AB", "yyy" junk, then a frame cut short.
	w := Window{R: iotest.OneByteReader(strings.NewReader("xxAByyyA"))}
	var j Junk
	var got []string
	bad := func(off int64, why string) { got = append(got, fmt.Sprintf("%d: %s", off, why)) }
	for w.Fill(1) {
		switch {
		case w.Buf[0] != 'A':
			j.Skip(&w, bad)
		case !w.Fill(2):
			j.Flush(bad)
			Truncated(&w, &j, bad)
		default:
			j.Flush(bad)
			w.Drop(2)
		}
	}
	j.Flush(bad)
	want := []string{"0: 2 bytes that are not part of a frame", "4: 3 bytes that are not part of a frame", "7: input ends 1 bytes into a frame"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("reports = %q, want %q", got, want)
	}
	if w.Off != 8 {
		t.Fatalf("consumed %d bytes, want 8", w.Off)
	}
}
