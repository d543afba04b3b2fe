package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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
	_ "github.com/xiuhua/xiuhua/drivers/ads1115level"
	_ "github.com/xiuhua/xiuhua/drivers/adxl345"
	_ "github.com/xiuhua/xiuhua/drivers/bmp280"
	_ "github.com/xiuhua/xiuhua/drivers/door"
	_ "github.com/xiuhua/xiuhua/drivers/ld2410"
	_ "github.com/xiuhua/xiuhua/drivers/pms5003"
	_ "github.com/xiuhua/xiuhua/drivers/raingauge"
	_ "github.com/xiuhua/xiuhua/drivers/ultrasonic"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/broker"
	"github.com/xiuhua/xiuhua/simulator/scenario"
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
// it: the agents, the boards' chips, the collector, the sink and the
// broker.
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
	scens, err := Boards(o.Sites)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	river, lift := scens[len(scens)-2], scens[len(scens)-1]
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

	ccfg, err := writeCollectorConfig(dir, b.URL(), apiLn.Addr().String(), snk.URL(), river.Compression, river.ID, lift.ID)
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
		rigs     []*scenario.Rig
	)
	// Whatever happens below, every goroutine started is joined, and then
	// the rigs' pseudo-terminals closed, before the deferred closes of the
	// broker, sink and listener run.
	defer func() {
		cancel()
		wg.Wait()
		for _, r := range rigs {
			if cerr := r.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("demo: %w", cerr)
			}
		}
	}()
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

	goRun("collector", col.Run)
	for _, s := range scens {
		bd := board.New()
		rig, err := scenario.Mount(s, bd, nil)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		rigs = append(rigs, rig)
		goRun(s.ID+" chips", rig.Run)

		path := filepath.Join(dir, s.ID+".yaml")
		if err := os.WriteFile(path, []byte(agentYAML(s, rig.Specs(), dir, b.URL())), 0o640); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		acfg, err := configs.LoadAgent(path)
		if err != nil {
			return fmt.Errorf("demo: %s: %w", s.ID, err)
		}
		a, err := agent.New(acfg, bd, agent.Opts{Logger: log.With("part", "agent")})
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		goRun(s.ID+" agent", a.Run)
	}

	select {
	case <-col.Ready():
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		return firstErr
	}
	api := "http://" + apiLn.Addr().String()
	now := time.Now().UTC()
	fmt.Fprintf(o.Out, `Xiuhua demo: %d dust sites, a river gauge and a lift → embedded MQTT broker (%s) → collector
  alerts:    %s/api/v1/alerts
  devices:   %s/api/v1/devices
  readings:  %s/api/v1/readings?device=%s&from=%s&to=%s
  health:    %s/healthz
  webhook:   %s  (the offices' sink; GET it to list what it received)
  data:      %s%s
`, o.Sites, b.URL(), api, api, api, river.ID, now.Add(-time.Hour).Format(time.RFC3339), now.Add(24*time.Hour).Format(time.RFC3339),
		api, snk.URL(), dir, map[bool]string{true: " (removed on exit)", false: ""}[o.Dir == ""])
	for _, s := range scens {
		fmt.Fprintf(o.Out, "  %-14s %-40s %s\n", s.ID, s.Name, s.Story)
	}
	fmt.Fprintf(o.Out, `Time: the river gauge's world runs %g× fast, so its flood plan's durations are divided by %g
  too (levels unchanged); the lift runs in real time, its agent raising "trapped" after %v.
Offices: dust → city-operations-centre, water → river-chief-office, lifts → elevator-safety-office.
Each alert is printed below as it reaches the offices' sink. Press Ctrl-C to stop.
`, river.Compression, river.Compression, liftTrappedAfter)
	if o.Ready != nil {
		o.Ready(api, snk.URL())
	}
	<-ctx.Done()
	fmt.Fprintf(o.Out, "Stopping…\n")
	cancel()
	wg.Wait()
	fmt.Fprintf(o.Out, "Stopped: every agent, chip, the collector, the sink and the broker.\n")
	mu.Lock()
	defer mu.Unlock()
	return firstErr
}

// printAlert tells what reached the sink: the event, the office and the
// alert's own message.
func printAlert(w io.Writer, r sink.Received) {
	var m notify.Message
	if err := json.Unmarshal(r.Body, &m); err != nil {
		fmt.Fprintf(w, "[office sink] %s received a message that is not an alert: %v\n", r.At.Local().Format(time.TimeOnly), err)
		return
	}
	office := m.Office
	if office == "" {
		office = m.Alert.Office
	}
	msg := m.Alert.Message
	if msg == "" {
		msg = "(no message)"
	}
	fmt.Fprintf(w, "[office sink] %s %s → %s: %s [%s, %s]\n",
		r.At.Local().Format(time.TimeOnly), m.Event, office, msg, m.Alert.Severity, m.Alert.ID)
}
