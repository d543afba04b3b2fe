package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/agent"
	"github.com/xiuhua/xiuhua/cloud/collector"
	"github.com/xiuhua/xiuhua/cloud/notify"
	"github.com/xiuhua/xiuhua/configs"
	_ "github.com/xiuhua/xiuhua/drivers/pms5003"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/broker"
	"github.com/xiuhua/xiuhua/simulator/chip"
	pmschip "github.com/xiuhua/xiuhua/simulator/chip/pms5003"
	"github.com/xiuhua/xiuhua/simulator/sink"
)

// Opts configures a demo run.
type Opts struct {
	HTTP   string       // the collector API's address; "" means 127.0.0.1:8080
	Dir    string       // where configs and stores go; "" means a temporary directory removed at the end
	Sites  int          // simulated dust sites; 0 means 4
	Out    io.Writer    // the demo's story for a person; nil means discard
	Logger *slog.Logger // the components' logs; nil means discard
	// Ready, if not nil, is called once everything is up, with the
	// collector API's address and the sink's URL.
	Ready func(api, webhook string)
}

// Run runs the demo until ctx ends, then stops every part and waits for
// it: the agents, the chips, the collector, the sink and the broker.
func Run(ctx context.Context, o Opts) (err error) {
	if o.HTTP == "" {
		o.HTTP = "127.0.0.1:8080"
	}
	if o.Sites <= 0 {
		o.Sites = 4
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "xiuhua-demo-"); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	// Bind the API first: a taken port is the likeliest failure, and it
	// should be reported before anything starts.
	apiLn, err := net.Listen("tcp", o.HTTP)
	if err != nil {
		return fmt.Errorf("demo: the collector API cannot listen on %s (use --http ADDR): %w", o.HTTP, err)
	}
	defer apiLn.Close()

	// The broker's own log is left out: it reports every client's
	// disconnect, which is noise in a demo.
	b, err := broker.Start("127.0.0.1:0", nil)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer b.Close()

	snk, err := sink.Start("127.0.0.1:0", func(r sink.Received) { printAlert(o.Out, r) })
	if err != nil {
		return fmt.Errorf("demo: webhook sink: %w", err)
	}
	defer snk.Close()

	ccfg, err := writeCollectorConfig(dir, b.URL(), apiLn.Addr().String(), snk.URL())
	if err != nil {
		return err
	}
	col, err := collector.New(ccfg, collector.Opts{Listener: apiLn, Logger: log.With("part", "collector")})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	goRun := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("demo: %s: %w", name, err)
				}
				mu.Unlock()
				cancel()
			}
		}()
	}
	// Whatever happens below, every goroutine started is joined before
	// the deferred closes of the broker, sink and listener run.
	defer wg.Wait()
	defer cancel()

	goRun("collector", col.Run)
	sites := Sites(o.Sites, time.Now())
	for _, s := range sites {
		pty, err := chip.OpenPTY()
		if err != nil {
			return fmt.Errorf("demo: %s: %w", s.ID, err)
		}
		defer pty.Close()
		dust := s.Dust
		c := pmschip.New(func(t time.Time) pmschip.Values {
			pm1, pm25, pm10 := dust.PM(t)
			return pmschip.Values{PM1: pm1, PM2_5: pm25, PM10: pm10}
		}, nil)
		goRun(s.ID+" chip", func(ctx context.Context) error { return c.Serve(ctx, pty.Master) })

		path := filepath.Join(dir, s.ID+".yaml")
		if err := os.WriteFile(path, []byte(s.agentYAML(dir, pty.SlavePath, b.URL())), 0o640); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		acfg, err := configs.LoadAgent(path)
		if err != nil {
			return fmt.Errorf("demo: %s: %w", s.ID, err)
		}
		a, err := agent.New(acfg, board.New(), agent.Opts{Logger: log.With("part", "agent")})
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		goRun(s.ID+" agent", a.Run)
	}

	select {
	case <-col.Ready():
	case <-ctx.Done():
		return firstErr
	}
	api := "http://" + apiLn.Addr().String()
	fmt.Fprintf(o.Out, `Xiuhua demo: %d simulated dust sites → embedded MQTT broker (%s) → collector
  alerts:    %s/api/v1/alerts
  devices:   %s/api/v1/devices
  readings:  %s/api/v1/readings?device=site-xh-003&from=%s&to=%s
  health:    %s/healthz
  webhook:   %s  (the demo's office sink; GET it to list what it received)
  data:      %s%s
`, len(sites), b.URL(), api, api, api, time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), time.Now().UTC().Add(24*time.Hour).Format(time.RFC3339),
		api, snk.URL(), dir, map[bool]string{true: " (removed on exit)", false: ""}[o.Dir == ""])
	for _, s := range sites {
		fmt.Fprintf(o.Out, "  %s  %-32s %s\n", s.ID, s.Name, s.Story)
	}
	fmt.Fprintf(o.Out, "Press Ctrl-C to stop.\n")
	if o.Ready != nil {
		o.Ready(api, snk.URL())
	}
	<-ctx.Done()
	fmt.Fprintf(o.Out, "Stopping…\n")
	cancel()
	wg.Wait()
	fmt.Fprintf(o.Out, "Stopped: every agent, chip, the collector, the sink and the broker.\n")
	return firstErr
}

func writeCollectorConfig(dir, brokerURL, httpAddr, webhookURL string) (*configs.Collector, error) {
	plans := filepath.Join(dir, "plans")
	if err := os.MkdirAll(plans, 0o750); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	err := fs.WalkDir(configs.Plans, "plans", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(configs.Plans, p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(plans, d.Name()), b, 0o640)
	})
	if err != nil {
		return nil, fmt.Errorf("demo: plans: %w", err)
	}
	path := filepath.Join(dir, "collector.yaml")
	if err := os.WriteFile(path, []byte(collectorYAML(dir, brokerURL, httpAddr, webhookURL)), 0o640); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	cfg, err := configs.LoadCollector(path)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return cfg, nil
}

func printAlert(w io.Writer, r sink.Received) {
	var m notify.Message
	if err := json.Unmarshal(r.Body, &m); err != nil {
		fmt.Fprintf(w, "[office sink] %s received a message that is not an alert: %v\n", r.At.Format(time.TimeOnly), err)
		return
	}
	a := m.Alert
	fmt.Fprintf(w, "[office sink] %s %s %s: %s/%s %s mean %.1f %s (limit %.0f) → %s\n",
		r.At.Local().Format(time.TimeOnly), m.Event, a.ID, a.Device, a.Sensor, a.Quantity, a.Value, a.Unit, a.Limit, a.Office)
}
