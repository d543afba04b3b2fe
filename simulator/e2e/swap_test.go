package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A board is swapped (or its SD card reflashed) and the new one runs with
// the same device id and a fresh outbox, numbering from 1 again. Its
// readings must be stored, not acknowledged as duplicates of the old
// board's and deleted.
func TestSwappedBoardLosesNothing(t *testing.T) {
	dir := t.TempDir()
	r := &runner{t: t}
	b := startBroker(t)
	col := startCollector(t, dir, b.URL(), "swap-collector")
	api := "http://" + col.HTTPAddr()

	board := func(name string, pm25 float64) (uint64, func()) {
		port, unplug := startSite(t, r, pm25)
		sub := filepath.Join(dir, name)
		os.MkdirAll(sub, 0o750)
		a, stop := startAgentStoppable(t, r, sub, "lift-swap", port, b.URL())
		defer stop() // the old board leaves before the new one arrives
		waitFor(t, name+" delivers", 20*time.Second, func() (bool, string) {
			st, err := a.Status()
			return err == nil && st.Outbox.NextSeq > 31, fmt.Sprintf("%+v", st.Outbox)
		})
		unplug()
		_ = drained(t, a, api, "lift-swap", 20*time.Second)
		st, _ := a.Status()
		return st.Outbox.NextSeq - 1, unplug
	}
	oldN, _ := board("old", 20)
	before, _ := apiDevice(t, api, "lift-swap")
	newN, _ := board("new", 60) // a fresh outbox: seqs start at 1 again
	after, _ := apiDevice(t, api, "lift-swap")
	st := apiDeviceState(t, api, "lift-swap")
	t.Logf("old board %d readings, new board %d; device before %+v, after %+v", oldN, newN, before, after)
	if after.Received != newN || after.SeqHigh != newN || len(after.Missing) != 0 {
		t.Fatalf("after the swap the device holds %+v; want the new board's %d readings complete", after, newN)
	}
	// (Duplicates may grow by the new board's own re-sends; what proves
	// the point is that its readings, with their own values, are stored.)
	if st.Incarnations != 2 || st.PreviousReceived != oldN {
		t.Errorf("incarnations %d, previous_received %d; want 2 and %d", st.Incarnations, st.PreviousReceived, oldN)
	}
	var old, fresh int
	for _, rd := range readingsAll(t, api, "lift-swap") {
		if rd.Quantity != "pm2_5" {
			continue
		}
		switch rd.Value {
		case 20:
			old++
		case 60:
			fresh++
		}
	}
	if uint64(old*3) != oldN || uint64(fresh*3) != newN {
		t.Errorf("stored %d old and %d new PM2.5 readings; want %d and %d", old, fresh, oldN/3, newN/3)
	}
}
