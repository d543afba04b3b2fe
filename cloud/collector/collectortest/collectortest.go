package collectortest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/cloud/collector"
	"github.com/xiuhua/xiuhua/configs"
)

// Opts is what differs between the collectors the tests and benchmarks
// run. Every config also has one office, city-operations-centre, and
// routes dust alerts to it: every plan they judge is a dust plan.
type Opts struct {
	Broker string // mqtt.broker: the broker's URL
	// ClientID is mqtt.client_id, required: collectors sharing a broker
	// (the machine's Mosquitto) need distinct ids, or the broker drops
	// the older session.
	ClientID string

	ConfigFile string // the config's file name in the directory; "" means collector.yaml
	StoreFile  string // store.path (bbolt), relative to the directory; "" means collector.db

	// Plans are written under the directory and listed in the config, in
	// order; nil means DustPlan alone.
	Plans []Plan
	// Webhooks are notify channels of type webhook; none means alerts go
	// to the log only.
	Webhooks []Webhook

	// Now is the collector's clock (collector.Opts.Now); nil means
	// time.Now.
	Now func() time.Time

	// ReadyWithin bounds the wait for the collector to be ready, and
	// StopWithin the wait for Run to return once stopped, so that a test
	// fails rather than hangs; zero means no bound.
	ReadyWithin time.Duration
	StopWithin  time.Duration
}

// Plan is a plan file written beside the config.
type Plan struct {
	// File is where the plan is written, relative to the directory and
	// slash-separated, and how the config lists it.
	File string
	// Embedded names a plan of configs.Plans ("construction-dust.yaml"),
	// written when Data is nil.
	Embedded string
	Data     []byte
}

// DustPlan is the construction-dust plan as dust.yaml: a plan every
// reading of a PMS5003 is judged by.
var DustPlan = Plan{File: "dust.yaml", Embedded: "construction-dust.yaml"}

// Webhook is a notify channel that POSTs alert messages as JSON to URL,
// with the default timeout.
type Webhook struct {
	Name string
	URL  string
}

// Write writes the config of o and its plans to dir (made if missing) and
// loads the config with configs.LoadCollector, so that relative paths
// resolve against dir and the plans are checked as xiuhua-collector
// checks them.
func Write(dir string, o Opts) (*configs.Collector, error) {
	if o.ClientID == "" {
		return nil, errors.New("collectortest: Opts.ClientID is required: collectors sharing a broker need distinct ids")
	}
	if o.Plans == nil {
		o.Plans = []Plan{DustPlan}
	}
	for _, p := range o.Plans {
		if err := p.write(dir); err != nil {
			return nil, err
		}
	}
	cfgPath := filepath.Join(dir, cmp.Or(o.ConfigFile, "collector.yaml"))
	if err := os.WriteFile(cfgPath, []byte(o.config()), 0o600); err != nil {
		return nil, fmt.Errorf("collectortest: write config: %w", err)
	}
	return configs.LoadCollector(cfgPath)
}

func (p Plan) write(dir string) error {
	data := p.Data
	if data == nil {
		var err error
		if data, err = fs.ReadFile(configs.Plans, path.Join("plans", p.Embedded)); err != nil {
			return fmt.Errorf("collectortest: plan %s: %w", p.File, err)
		}
	}
	file := filepath.Join(dir, filepath.FromSlash(p.File))
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		return fmt.Errorf("collectortest: plan %s: %w", p.File, err)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		return fmt.Errorf("collectortest: plan %s: %w", p.File, err)
	}
	return nil
}

// config is the config file's text. http.listen is never used (the API
// is served on the listener Start makes) but is set to a free port, so
// that the file, run by hand with xiuhua-collector, does not take the
// default 8080.
func (o Opts) config() string {
	plans := make([]string, len(o.Plans))
	for i, p := range o.Plans {
		plans[i] = fmt.Sprintf("%q", p.File)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `mqtt: {broker: %q, client_id: %q}
store: {path: %q}
http: {listen: "127.0.0.1:0"}
plans: [%s]
offices: [{id: city-operations-centre, name: ops}]
routes: [{category: dust, office: city-operations-centre}]
`, o.Broker, o.ClientID, cmp.Or(o.StoreFile, "collector.db"), strings.Join(plans, ", "))
	if len(o.Webhooks) > 0 {
		b.WriteString("notify:\n  channels:\n")
		for _, w := range o.Webhooks {
			fmt.Fprintf(&b, "    - {name: %q, type: webhook, url: %q}\n", w.Name, w.URL)
		}
	}
	return b.String()
}

// Collector is a collector running in this process, in a goroutine of its
// own.
type Collector struct {
	*collector.Collector
	Config *configs.Collector // as loaded from the written file

	cancel     context.CancelFunc
	done       chan struct{} // closed when Run has returned runErr
	runErr     error
	stopWithin time.Duration
	stopOnce   sync.Once
	stopErr    error
}

// Start writes the config (see Write), starts the collector with its API
// on a new listener on 127.0.0.1:0, and returns once it is ready: its
// store and API are open (its broker link may still be coming up). The
// caller stops it with Stop.
//
// A goroutine that calls Start is the parent of the collector's: pprof
// labels it carries are the collector's too.
func Start(dir string, o Opts) (*Collector, error) {
	cfg, err := Write(dir, o)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("collectortest: %w", err)
	}
	col, err := collector.New(cfg, collector.Opts{Listener: ln, Now: o.Now})
	if err != nil {
		ln.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Collector{Collector: col, Config: cfg, cancel: cancel, done: make(chan struct{}), stopWithin: o.StopWithin}
	go func() {
		defer close(c.done)
		c.runErr = col.Run(ctx)
	}()
	select {
	case <-col.Ready():
		return c, nil
	case <-c.done:
		cancel()
		if c.runErr == nil {
			return nil, errors.New("collectortest: the collector stopped before it was ready")
		}
		return nil, c.runErr
	case <-within(o.ReadyWithin):
		if err := c.Stop(); err != nil {
			return nil, fmt.Errorf("collectortest: the collector was not ready within %v: %w", o.ReadyWithin, err)
		}
		return nil, fmt.Errorf("collectortest: the collector was not ready within %v", o.ReadyWithin)
	}
}

// Stop stops the collector, waits for Run to return (at most
// Opts.StopWithin, when set) and returns Run's error. Later calls return
// the same without waiting again.
func (c *Collector) Stop() error {
	c.stopOnce.Do(func() {
		c.cancel()
		select {
		case <-c.done:
			c.stopErr = c.runErr
		case <-within(c.stopWithin):
			c.stopErr = fmt.Errorf("collectortest: the collector did not stop within %v", c.stopWithin)
		}
	})
	return c.stopErr
}

// within is a channel that fires after d, or never when d is not
// positive (no bound). An unfired timer needs no Stop since Go 1.23.
func within(d time.Duration) <-chan time.Time {
	if d <= 0 {
		return nil
	}
	return time.After(d)
}

// TB is the part of testing.TB that StartTest uses: this package does not
// import testing, so that the simulator's binary does not carry it.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// StartTest is Start for a test: it fails the test when the collector
// does not start, and the test's cleanup stops it and fails the test if
// Run failed, whether or not the test stopped it first (a test may ignore
// Stop's error).
func StartTest(t TB, dir string, o Opts) *Collector {
	t.Helper()
	c, err := Start(dir, o)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("%v", err)
		}
	})
	return c
}
