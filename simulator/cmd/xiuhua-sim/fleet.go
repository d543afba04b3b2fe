package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/xiuhua/xiuhua/agent/clock"
	"github.com/xiuhua/xiuhua/simulator/fault"
	"github.com/xiuhua/xiuhua/simulator/fleet"
)

// runFleet runs N virtual devices against a broker until SIGINT or
// SIGTERM, or for --for, printing a status line every few seconds.
func runFleet(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xiuhua-sim fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	devices := fs.Int("devices", 0, "number of virtual `devices` (required)")
	brokerURL := fs.String("broker", "", "the broker's `URL`, e.g. tcp://127.0.0.1:1883 (required)")
	interval := fs.Duration("interval", 10*time.Second, "each sensor's sampling `interval`")
	dir := fs.String("dir", "", "keep configs and outboxes in this `directory`, and continue from it (default: a temporary one, removed on exit)")
	sensorName := fs.String("sensor", "pms5003", fmt.Sprintf("the `sensor` every device reads: one of %v", fleet.Sensors()))
	prefix := fs.String("prefix", "fleet", "device ids are `prefix`-00001, …; fleets sharing a broker need different ones")
	runFor := fs.Duration("for", 0, "stop after this `duration` (default: run until interrupted)")
	drain := fs.Bool("drain", false, "with --for: then stop the sensors and wait until every outbox is acknowledged before stopping")
	ramp := fs.Float64("ramp", 200, "devices started per `second`")
	pty := fs.Bool("pty", false, "serial lines are pseudo-terminals (2 file descriptors each) rather than in-memory UARTs")
	every := fs.Duration("status-every", 5*time.Second, "status line `period`")
	asJSON := fs.Bool("json", false, "status lines as JSON objects")
	offset := fs.Duration("clock-offset", 0, "boards boot with their clock off by this `duration` (e.g. -3h) and require synchronisation")
	syncAfter := fs.Duration("clock-sync-after", 0, "with --clock-offset: the clock synchronises this `long` after boot (0: never)")
	syncWait := fs.Duration("sync-wait", 10*time.Minute, "with --clock-offset: how `long` readings are held for the clock to synchronise")
	ackTimeout := fs.Duration("ack-timeout", 15*time.Second, "the uplinks' ack `timeout`")
	heartbeat := fs.Duration("heartbeat", time.Minute, "the uplinks' heartbeat `interval`")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to `file`")
	level := fs.String("log-level", "error", "the agents' log `level`: debug, info, warn or error (10,000 agents warn a lot during an outage)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *devices < 1 || *brokerURL == "" {
		fmt.Fprintln(stderr, "xiuhua-sim fleet: --devices and --broker are required")
		fs.Usage()
		return 2
	}
	if *drain && *runFor <= 0 {
		fmt.Fprintln(stderr, "xiuhua-sim fleet: --drain needs --for")
		return 2
	}
	// The fleet's status goroutine and this one both write stdout.
	stdout = &syncWriter{w: stdout}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "xiuhua-sim fleet: --log-level: %v\n", err)
		return 2
	}
	o := fleet.Opts{
		Devices: *devices, Broker: *brokerURL, Interval: *interval, Dir: *dir, Sensor: *sensorName, Prefix: *prefix,
		PTY: *pty, Ramp: *ramp, AckTimeout: *ackTimeout, Heartbeat: *heartbeat,
		Status: stdout, StatusEvery: *every, JSON: *asJSON,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl})),
	}
	if *offset != 0 {
		off, after := *offset, *syncAfter
		o.Clock = func(int) clock.Clock { return fault.NewClock(off, after) }
		o.SyncWait = *syncWait
	}
	f, err := fleet.New(o)
	if err != nil {
		fmt.Fprintf(stderr, "xiuhua-sim fleet: %v\n", err)
		return 1
	}
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "xiuhua-sim fleet: %v\n", err)
			return 1
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			fmt.Fprintf(stderr, "xiuhua-sim fleet: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.Run(runCtx) }()
	if *runFor > 0 {
		select {
		case <-time.After(*runFor):
		case <-ctx.Done():
		case err := <-done:
			done <- err
		}
		if *drain && ctx.Err() == nil {
			if err := f.Drain(ctx); err != nil {
				fmt.Fprintf(stderr, "xiuhua-sim fleet: %v\n", err)
			} else {
				s := f.Stats()
				fmt.Fprintf(stdout, "drained: %d readings committed, %d acknowledged, backlog %d\n", s.Readings, s.Acked, s.Backlog)
			}
		}
		cancel()
	}
	if err := <-done; err != nil {
		fmt.Fprintf(stderr, "xiuhua-sim fleet: %v\n", err)
		return 1
	}
	return 0
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
