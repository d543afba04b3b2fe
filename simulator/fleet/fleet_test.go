package fleet_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/simulator/fleet"
	"github.com/xiuhua/xiuhua/simulator/fleet/fleettest"
)

// Twenty devices on in-memory UARTs through Mosquitto to the real
// collector: every reading committed is stored exactly once.
func TestSmallFleetStoresEveryReadingOnce(t *testing.T) {
	r := fleettest.NewRig(t)
	var status bytes.Buffer
	var mu sync.Mutex
	f := fleettest.Start(t, fleet.Opts{Devices: 20, Broker: r.Broker.URL(), Interval: 200 * time.Millisecond,
		Dir: filepath.Join(r.Dir, "fleet"), Prefix: "small", Ramp: 100,
		Status: lockedWriter{&mu, &status}, StatusEvery: 200 * time.Millisecond})
	fleettest.WaitFor(t, "20 devices connected", time.Minute, func() bool { return f.Stats().Connected == 20 })
	fleettest.WaitFor(t, "600 readings", time.Minute, func() bool { return f.Stats().Readings >= 600 })
	f.Drain(t)
	for _, d := range r.Verify(t, 0, f) {
		// pms5003: PM1, PM2.5 and PM10 from each frame.
		if d.Committed%3 != 0 {
			t.Errorf("%s: %d readings, not whole samples of three", d.ID, d.Committed)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	lines := strings.Split(strings.TrimSpace(status.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, "devices 0/20 up, 0 connected") || !strings.Contains(last, "backlog 0") {
		t.Errorf("last status line %q: want every device stopped and nothing left", last)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// Power cuts: three devices lose power three times each while sampling
// and come back from their outbox files. The collector still has every
// committed reading once, under one outbox incarnation per device.
func TestPowerCutsLoseNothingCommitted(t *testing.T) {
	r := fleettest.NewRig(t)
	const n, cut, cuts = 8, 3, 3
	f := fleettest.Start(t, fleet.Opts{Devices: n, Broker: r.Broker.URL(), Interval: 100 * time.Millisecond,
		Dir: filepath.Join(r.Dir, "fleet"), Prefix: "cut", Ramp: 100})
	fleettest.WaitFor(t, "devices connected", time.Minute, func() bool { return f.Stats().Connected == n })
	ctx := context.Background()
	for range cuts {
		for i := range cut {
			if err := f.PowerCut(ctx, i); err != nil {
				t.Fatal(err)
			}
		}
		if s := f.Stats(); s.Up != n-cut || s.Connected > n-cut {
			t.Errorf("with %d devices cut: %v", cut, s)
		}
		time.Sleep(300 * time.Millisecond) // the others keep sampling meanwhile
		for i := range cut {
			if err := f.PowerOn(ctx, i); err != nil {
				t.Fatal(err)
			}
		}
		fleettest.WaitFor(t, "devices reconnected", time.Minute, func() bool { return f.Stats().Connected == n })
	}
	for i := range n {
		want := uint64(1)
		if i < cut {
			want = 1 + cuts
		}
		if got := f.Boots(i); got != want {
			t.Errorf("%s booted %d times, want %d", f.ID(i), got, want)
		}
	}
	f.Drain(t)
	r.Verify(t, 0, f)
}

// Pseudo-terminals instead of in-memory UARTs: the agent opens them
// through its real serial code.
func TestPTYFleet(t *testing.T) {
	r := fleettest.NewRig(t)
	f := fleettest.Start(t, fleet.Opts{Devices: 3, Broker: r.Broker.URL(), Interval: 200 * time.Millisecond,
		Dir: filepath.Join(r.Dir, "fleet"), Prefix: "pty", PTY: true, Sensor: "sds011"})
	fleettest.WaitFor(t, "30 readings", time.Minute, func() bool { return f.Stats().Readings >= 30 })
	f.Drain(t)
	for _, d := range r.Verify(t, 0, f) {
		if d.Committed%2 != 0 {
			t.Errorf("%s: %d readings, not whole sds011 samples of two", d.ID, d.Committed)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		o    fleet.Opts
		want string
	}{
		{fleet.Opts{Broker: "tcp://x:1"}, "0 devices: want at least 1"},
		{fleet.Opts{Devices: 1}, "no broker URL"},
		{fleet.Opts{Devices: 1, Broker: "tcp://x:1", Sensor: "bme999"}, `unknown sensor "bme999" (known: [pms5003 sds011 ultrasonic])`},
		{fleet.Opts{Devices: 1, Broker: "tcp://x:1", Prefix: "bad/prefix"}, `prefix "bad/prefix"`},
		{fleet.Opts{Devices: 1 << 20, Broker: "tcp://x:1"}, "1048576 devices need about 2097216 file descriptors"},
	} {
		_, err := fleet.New(tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v): %v, want %q", tc.o, err, tc.want)
		}
	}
}

func TestFilesNeeded(t *testing.T) {
	if got := fleet.FilesNeeded(10000, false); got != 20064 {
		t.Errorf("10000 devices on UARTs need %d descriptors, want 20064", got)
	}
	if got := fleet.FilesNeeded(100, true); got != 464 {
		t.Errorf("100 devices on PTYs need %d descriptors, want 464", got)
	}
}

func TestStatusLine(t *testing.T) {
	s := fleet.Stats{Elapsed: 65 * time.Second, Devices: 10000, Up: 9990, Connected: 9987, Readings: 123456, Acked: 123000,
		Backlog: 456, CPUPercent: 142.4, RSSBytes: 1536 << 20, FDs: 20010, Goroutines: 120345}
	want := "fleet     65s  devices 9990/10000 up, 9987 connected  readings 123456  acked 123000  backlog 456  |  cpu 142%  rss 1536 MiB  fds 20010  goroutines 120345"
	if got := s.String(); got != want {
		t.Errorf("status line\n got %q\nwant %q", got, want)
	}
}
