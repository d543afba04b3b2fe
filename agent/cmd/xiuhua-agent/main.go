// Command xiuhua-agent runs on a field board: it samples the sensors named
// in its config, keeps every reading in its outbox and sends them to the
// collector.
//
//	xiuhua-agent --config /etc/xiuhua/agent.yaml
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
	os.Exit(run(os.Args[1:], os.Stderr))
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

	cfg, err := configs.LoadAgent(*cfgPath)
	if err != nil {
		var ce *configs.Error
		if errors.As(err, &ce) {
			fmt.Fprintf(stderr, "xiuhua-agent: config is not valid:\n%v\n", err)
		} else {
			fmt.Fprintf(stderr, "xiuhua-agent: %v\n", err)
		}
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
