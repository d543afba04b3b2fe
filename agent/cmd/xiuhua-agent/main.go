// Command xiuhua-agent runs on a field board: it samples the sensors named
// in its config, keeps every reading in its outbox and sends them to the
// collector.
//
//	xiuhua-agent [run] --config /etc/xiuhua/agent.yaml
//	xiuhua-agent probe --config /etc/xiuhua/agent.yaml      read each sensor once, for an engineer on site
//	xiuhua-agent decode --driver pms5003 [--set k=v] < capture.bin
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/host/v3"

	"github.com/xiuhua/xiuhua/agent"
	"github.com/xiuhua/xiuhua/configs"
	_ "github.com/xiuhua/xiuhua/drivers/all"
	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/drivers/tty"
)

func main() {
	// A Pi Zero has 512 MB for everything on the board: collect garbage
	// twice as often as Go's default and keep the heap small, unless the
	// operator tuned it with GOGC or GOMEMLIMIT.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(24 << 20)
	}
	os.Exit(dispatch(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "run":
			return run(args[1:], stderr)
		case "probe":
			return probe(args[1:], stdout, stderr)
		case "decode":
			return decode(args[1:], stdin, stdout, stderr)
		case "help", "-h", "--help":
			fmt.Fprint(stdout, usage)
			return 0
		}
	}
	return run(args, stderr)
}

const usage = `usage:
  xiuhua-agent [run] [--config FILE] [--log-level LEVEL]   sample, keep and send (the default)
  xiuhua-agent probe --config FILE                          read each configured sensor once and print the readings
  xiuhua-agent decode --driver NAME [--set key=value ...]   decode a captured UART byte stream from stdin as JSON lines
`

// loadConfig loads the agent config, printing its problems.
func loadConfig(prog, path string, stderr io.Writer) (*configs.Agent, bool) {
	cfg, err := configs.LoadAgent(path)
	if err != nil {
		var ce *configs.Error
		if errors.As(err, &ce) {
			fmt.Fprintf(stderr, "%s: config is not valid:\n%v\n", prog, err)
		} else {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		}
		return nil, false
	}
	return cfg, true
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("xiuhua-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "/etc/xiuhua/agent.yaml", "agent config `file`")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: xiuhua-agent [--config FILE] [--log-level LEVEL]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "xiuhua-agent: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "xiuhua-agent: --log-level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))

	cfg, ok := loadConfig("xiuhua-agent", *cfgPath, stderr)
	if !ok {
		return 2
	}
	a, err := agent.New(cfg, hostEnv{}, agent.Opts{Logger: log})
	if err != nil {
		fmt.Fprintf(stderr, "xiuhua-agent: %s: %v\n", *cfgPath, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := a.Run(ctx); err != nil {
		log.Error("agent failed", "err", err)
		return 1
	}
	return 0
}

// hostEnv reaches the board's real hardware. periph's host drivers are
// loaded on first use, so an agent with only serial sensors never touches
// the GPIO or I2C subsystems.
type hostEnv struct{}

var hostInit = sync.OnceValue(func() error {
	if _, err := host.Init(); err != nil {
		return fmt.Errorf("periph host init: %w", err)
	}
	return nil
})

func (hostEnv) OpenSerial(s sensor.Serial) (sensor.Port, error) {
	return tty.Open(s.Port, &tty.Opts{Baud: s.Baud})
}

func (hostEnv) OpenI2C(bus string) (i2c.BusCloser, error) {
	if err := hostInit(); err != nil {
		return nil, err
	}
	return i2creg.Open(bus)
}

func (hostEnv) Pin(name string) (gpio.PinIO, error) {
	if err := hostInit(); err != nil {
		return nil, err
	}
	p := gpioreg.ByName(name)
	if p == nil {
		return nil, fmt.Errorf("no GPIO pin named %q on this board", name)
	}
	return p, nil
}
