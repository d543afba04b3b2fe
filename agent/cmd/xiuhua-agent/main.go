// Command xiuhua-agent runs on a field board: it samples the sensors named
// in its config, keeps every reading in its outbox and sends them to the
// collector.
//
//	xiuhua-agent [run] --config /etc/xiuhua/agent.yaml [--trust /etc/xiuhua/trust.pem] [--apply-deadline 2m]
//	xiuhua-agent probe --config /etc/xiuhua/agent.yaml      read each sensor once, for an engineer on site
//	xiuhua-agent decode --driver pms5003 [--set k=v] < capture.bin
package main

import (
	"context"
	"crypto/ed25519"
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

	"github.com/xiuhua/xiuhua/agent/configapply"
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
  xiuhua-agent [run] [--config FILE] [--trust FILE] [--apply-deadline D] [--log-level LEVEL]
                                                            sample, keep and send (the default); apply flashed configs
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
	trust := fs.String("trust", "", "PEM `file` of the ed25519 public keys configs must be signed by (none: signatures are not checked)")
	deadline := fs.Duration("apply-deadline", configapply.DefaultDeadline, "how long a flashed config's health check may take before it is rolled back")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: xiuhua-agent [--config FILE] [--trust FILE] [--apply-deadline D] [--log-level LEVEL]\n\n")
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

	if *deadline <= 0 {
		fmt.Fprintf(stderr, "xiuhua-agent: --apply-deadline %v must be positive\n", *deadline)
		return 2
	}
	opts := configapply.Opts{Path: *cfgPath, Deadline: *deadline, Env: hostEnv{}, Logger: log}
	if *trust != "" {
		keys, err := loadTrust(*trust)
		if err != nil {
			fmt.Fprintf(stderr, "xiuhua-agent: --trust: %v\n", err)
			return 2
		}
		opts.Trust = keys
	}
	m, err := configapply.New(opts)
	if err != nil {
		var ce *configs.Error
		if errors.As(err, &ce) {
			fmt.Fprintf(stderr, "xiuhua-agent: config is not valid:\n%v\n", err)
		} else {
			fmt.Fprintf(stderr, "xiuhua-agent: %v\n", err)
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := m.Run(ctx); err != nil {
		log.Error("agent failed", "err", err)
		return 1
	}
	return 0
}

// loadTrust reads the trust file: the keys a config must be signed by.
func loadTrust(path string) ([]ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	keys, err := configs.ParsePublicKeys(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
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
