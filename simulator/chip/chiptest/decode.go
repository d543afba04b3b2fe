package chiptest

import (
	"bytes"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/tty"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Capture reads n bytes of what a chip sends on the pseudo-terminal at
// slave, through the agent's own serial code, as an engineer's capture
// would hold them.
func Capture(t testing.TB, slave string, baud, n int) []byte {
	t.Helper()
	port, err := tty.Open(slave, &tty.Opts{Baud: baud, ReadTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	buf := make([]byte, n)
	if err := port.Tx(nil, buf); err != nil {
		t.Fatal(err)
	}
	return buf
}

// DecodeCapture runs driver's stream decoder over capture and checks
// every decoded value against want. Only a frame cut by the start of the
// capture (its first frameSize bytes) may be reported bad. It returns how
// many frames gave values.
func DecodeCapture(t testing.TB, driver string, params map[string]string, capture []byte, frameSize int, want map[telemetry.Quantity]float64) int {
	t.Helper()
	dec, err := sensor.LookupDecoder(driver)
	if err != nil {
		t.Fatal(err)
	}
	frames := map[int64]bool{}
	err = dec(bytes.NewReader(capture), params, func(d sensor.Decoded) {
		frames[d.Offset] = true
		if w, ok := want[d.Quantity]; !ok || d.Value != w {
			t.Errorf("decoded %+v, want %v", d, want[d.Quantity])
		}
	}, func(off int64, reason string) {
		if off >= int64(frameSize) {
			t.Errorf("bad frame at %d: %s", off, reason)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(frames)
}
