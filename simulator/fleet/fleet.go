package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xiuhua/xiuhua/agent/clock"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Opts configures a fleet. Zero values mean the documented defaults.
type Opts struct {
	// Devices is how many virtual devices to run; at least 1.
	Devices int
	// Broker is every device's broker URL (tcp:// or mqtt://).
	Broker string
	// BrokerFor, when set, gives device i's broker URL instead (tests
	// send a group of devices through a fault.Proxy).
	BrokerFor func(i int) string
	// Interval is each sensor's sampling interval; 0 means 10 s.
	Interval time.Duration
	// Dir holds the devices' configs and outbox files, which a later run
	// on the same Dir continues from; "" means a temporary directory
	// removed when Run returns.
	Dir string
	// Sensor is what every device reads: "pms5003" (the default),
	// "sds011" or "ultrasonic" (see Sensors).
	Sensor string
	// Prefix names the devices <Prefix>-00001, …; "" means "fleet". Two
	// fleets on one broker need different prefixes.
	Prefix string
	// PTY makes each serial line a pseudo-terminal opened through the
	// agent's real serial code (two file descriptors per device) instead
	// of an in-memory UART.
	PTY bool
	// Ramp is how many devices start per second, so that the broker does
	// not meet every CONNECT at once; 0 means 200.
	Ramp float64
	// Clock, when set, gives device i's board clock at each boot (a power
	// cut reboots it); the config then requires synchronisation. nil
	// means the host's clock, trusted (clock.require_sync false).
	Clock func(i int) clock.Clock
	// SyncWait is how long readings are held for the clock to synchronise
	// when Clock is set (the config's clock.sync_wait); 0 holds nothing.
	SyncWait time.Duration
	// AckTimeout is the uplink's ack timeout; 0 means 15 s.
	AckTimeout time.Duration
	// Heartbeat is the uplink's heartbeat interval; 0 means 60 s.
	Heartbeat time.Duration
	// BudgetMB is each outbox's disk budget in MiB; 0 means 16.
	BudgetMB int
	// Status, when set, receives a status line every StatusEvery and a
	// last one when Run returns, from Run's goroutines: a writer others
	// also write must be safe for concurrent use.
	Status io.Writer
	// StatusEvery is the status line's period; 0 means 5 s.
	StatusEvery time.Duration
	// JSON makes the status lines JSON objects (Stats) instead of text.
	JSON bool
	// Logger receives the agents' logs; nil means discard.
	Logger *slog.Logger
}

// Fleet is a set of virtual devices, each running the real agent
// pipeline (agent.New, Run) with its own outbox file and MQTT client,
// reading an emulated chip through the real driver.
type Fleet struct {
	o      Opts
	kind   kind
	dir    string
	tmp    bool
	devs   []*device
	dialer net.Dialer

	sensorsOff atomic.Bool
	started    atomic.Int64  // devices the ramp has started
	running    chan struct{} // closed when Run starts
	stopped    chan struct{} // closed when Run returns
	runOnce    sync.Once
	begin      time.Time
	proc       procSampler
}

// New checks o and prepares a fleet; Run starts it.
func New(o Opts) (*Fleet, error) {
	if o.Devices < 1 {
		return nil, fmt.Errorf("fleet: %d devices: want at least 1", o.Devices)
	}
	if o.Broker == "" && o.BrokerFor == nil {
		return nil, errors.New("fleet: no broker URL")
	}
	if o.Sensor == "" {
		o.Sensor = "pms5003"
	}
	k, ok := kinds[o.Sensor]
	if !ok {
		return nil, fmt.Errorf("fleet: unknown sensor %q (known: %v)", o.Sensor, Sensors())
	}
	if o.Prefix == "" {
		o.Prefix = "fleet"
	}
	defaults(&o.Interval, 10*time.Second)
	defaults(&o.AckTimeout, 15*time.Second)
	defaults(&o.Heartbeat, time.Minute)
	defaults(&o.StatusEvery, 5*time.Second)
	if o.Ramp <= 0 {
		o.Ramp = 200
	}
	if o.BudgetMB <= 0 {
		o.BudgetMB = 16
	}
	if err := checkFiles(o.Devices, o.PTY); err != nil {
		return nil, err
	}
	f := &Fleet{o: o, kind: k, dialer: net.Dialer{Timeout: 10 * time.Second},
		running: make(chan struct{}), stopped: make(chan struct{})}
	for i := range o.Devices {
		id := fmt.Sprintf("%s-%05d", o.Prefix, i+1)
		if err := telemetry.ValidateDeviceID(id); err != nil {
			return nil, fmt.Errorf("fleet: prefix %q: %w", o.Prefix, err)
		}
		url := o.Broker
		if o.BrokerFor != nil {
			url = o.BrokerFor(i)
		}
		f.devs = append(f.devs, &device{f: f, i: i, id: id, broker: url, cmds: make(chan command)})
	}
	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "xiuhua-fleet-")
		if err != nil {
			return nil, fmt.Errorf("fleet: %w", err)
		}
		f.dir, f.tmp = dir, true
	} else {
		if err := os.MkdirAll(o.Dir, 0o750); err != nil {
			return nil, fmt.Errorf("fleet: %w", err)
		}
		f.dir = o.Dir
	}
	return f, nil
}

func defaults(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Run is New followed by Fleet.Run.
func Run(ctx context.Context, o Opts) error {
	f, err := New(o)
	if err != nil {
		return err
	}
	return f.Run(ctx)
}

// Run starts the devices, Ramp a second, and runs them until ctx ends;
// then it stops every device cleanly and waits for it. It returns the
// first device's failure to set up or to keep its outbox, which also
// stops the fleet. Run may be called once.
func (f *Fleet) Run(ctx context.Context) error {
	first := false
	f.runOnce.Do(func() { first = true })
	if !first {
		return errors.New("fleet: Run called twice")
	}
	defer close(f.stopped)
	defer f.cleanUp()
	f.begin = time.Now()
	f.proc.start()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	defer wg.Wait()
	close(f.running)

	if f.o.Status != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.statusLoop(ctx)
		}()
	}
	// Start in small bursts every 10 ms, as many as the ramp allows by now.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for next := 0; next < len(f.devs); {
		due := min(len(f.devs), 1+int(time.Since(f.begin).Seconds()*f.o.Ramp))
		for ; next < due; next++ {
			d := f.devs[next]
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := d.run(ctx); err != nil {
					errMu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					errMu.Unlock()
					cancel()
				}
			}()
			f.started.Add(1)
		}
		if next == len(f.devs) {
			break
		}
		select {
		case <-ctx.Done():
			next = len(f.devs)
		case <-tick.C:
		}
	}
	<-ctx.Done()
	wg.Wait()
	if f.o.Status != nil {
		f.printStatus()
	}
	return firstErr
}

// cleanUp closes the pseudo-terminals and removes a temporary directory.
func (f *Fleet) cleanUp() {
	for _, d := range f.devs {
		if d.pty != nil {
			d.pty.Close()
		}
	}
	if f.tmp {
		os.RemoveAll(f.dir)
	}
}

// Len is the number of devices.
func (f *Fleet) Len() int { return len(f.devs) }

// ID is device i's id.
func (f *Fleet) ID(i int) string { return f.devs[i].id }

// Dir is where the configs and outboxes are.
func (f *Fleet) Dir() string { return f.dir }

// OutboxPath is device i's outbox file.
func (f *Fleet) OutboxPath(i int) string { return filepath.Join(f.dir, outboxFile(f.devs[i].id)) }

// Boots counts device i's boots: 1 after its first start, one more after
// each power cut and power-on.
func (f *Fleet) Boots(i int) uint64 { return f.devs[i].boots.Load() }

// DeviceStats is one device at one moment; see Stats for the counts.
type DeviceStats struct {
	Up, Connected     bool
	Readings, Backlog uint64
}

// Device reads device i's status.
func (f *Fleet) Device(i int) DeviceStats {
	d := f.devs[i]
	s := d.snap()
	return DeviceStats{Up: d.up.Load(), Connected: s.connected, Readings: s.committed, Backlog: s.backlog}
}

// PowerCut cuts device i's power: its network connection is reset, so no
// goodbye leaves the board, then its agent and its chip stop without the
// chance to do anything more. What the agent committed is on disk; the
// rest is lost, as on a board. PowerCut returns once the device is down.
func (f *Fleet) PowerCut(ctx context.Context, i int) error { return f.power(ctx, i, false) }

// PowerOn boots device i again from its outbox file (and, with
// Opts.Clock, a new board clock) after a PowerCut. It returns once the
// agent runs.
func (f *Fleet) PowerOn(ctx context.Context, i int) error { return f.power(ctx, i, true) }

func (f *Fleet) power(ctx context.Context, i int, on bool) error {
	c := command{on: on, done: make(chan struct{})}
	select {
	case f.devs[i].cmds <- c:
	case <-f.stopped:
		return errors.New("fleet: not running")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-c.done:
		return nil
	case <-f.stopped:
		return errors.New("fleet: not running")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// StopSensors cuts every chip's power and keeps the boards up: no new
// readings are taken (the samplers fail and retry), and the uplinks drain
// the outboxes.
func (f *Fleet) StopSensors() {
	f.sensorsOff.Store(true)
	for _, d := range f.devs {
		d.sensorsOff()
	}
}

// Drain stops the sensors and waits until every device has failed a
// sample since (so that nothing read before the stop is still on its way
// to the outbox) and its outbox is empty: everything it committed was
// acknowledged by the collector. Every device must be up, and stay so.
func (f *Fleet) Drain(ctx context.Context) error {
	if err := f.waitStarted(ctx); err != nil {
		return err
	}
	f.StopSensors()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		left := 0
		for _, d := range f.devs {
			if !d.up.Load() {
				return fmt.Errorf("fleet: drain: %s is powered off", d.id)
			}
			s := d.snap()
			d.mu.Lock()
			base := d.errBase
			d.mu.Unlock()
			if s.samplerErrs <= base || s.backlog > 0 {
				left++
			}
		}
		if left == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("fleet: drain: %d devices not drained: %w", left, ctx.Err())
		case <-f.stopped:
			return errors.New("fleet: drain: the fleet stopped")
		case <-t.C:
		}
	}
}

// waitStarted waits until Run has started every device and each has
// booted.
func (f *Fleet) waitStarted(ctx context.Context) error {
	select {
	case <-f.running:
	case <-ctx.Done():
		return ctx.Err()
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		all := int(f.started.Load()) == len(f.devs)
		for _, d := range f.devs {
			all = all && d.boots.Load() > 0
		}
		if all {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-f.stopped:
			return errors.New("fleet: the fleet stopped")
		case <-t.C:
		}
	}
}
