package chip_test

import (
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/simulator/chip"
	"github.com/xiuhua/xiuhua/simulator/chip/chiptest"
)

// ServeUART stops promptly with its writer blocked (nobody reads the host
// end), leaves no goroutine, and clears the deadlines it used, so the
// line is still usable afterwards.
func TestServeUARTStopsAndClearsDeadlines(t *testing.T) {
	chipEnd, host := net.Pipe()
	defer host.Close()
	defer chipEnd.Close()
	var dropped atomic.Int64
	fw := func(ctx context.Context, in <-chan []byte, out chan []byte, errc <-chan error) error {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case err := <-errc:
				return err
			case <-tick.C:
				select {
				case out <- []byte{0x42}:
				default:
					dropped.Add(1)
				}
			}
		}
	}
	serve := func(ctx context.Context, rw io.ReadWriter) error { return chip.ServeUART(ctx, rw, "test chip", fw) }
	chiptest.StopsWhileBacked(t, chipEnd, serve, func() bool { return dropped.Load() >= 10 })

	go chipEnd.Write([]byte{1})
	host.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := host.Read(make([]byte, 1)); err != nil {
		t.Errorf("pipe unusable after ServeUART: %v", err)
	}
}

func TestQueueKeepsRoomForAnswers(t *testing.T) {
	out := make(chan []byte, chip.LineQueue)
	for i := range chip.PeriodicRoom {
		if !chip.Queue(out, []byte{byte(i)}, true) {
			t.Fatalf("periodic frame %d refused on a line with %d waiting", i, len(out))
		}
	}
	if chip.Queue(out, []byte{0xff}, true) {
		t.Errorf("periodic frame queued with %d waiting, want it refused", len(out))
	}
	for i := chip.PeriodicRoom; i < chip.LineQueue; i++ {
		if !chip.Queue(out, []byte{byte(i)}, false) {
			t.Fatalf("answer refused with %d waiting", len(out))
		}
	}
	if chip.Queue(out, []byte{0xfe}, false) || len(out) != chip.LineQueue {
		t.Errorf("answer queued on a full line (%d waiting)", len(out))
	}
}
