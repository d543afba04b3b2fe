// Command xiuhua-collector receives the devices' readings from the broker,
// stores them, checks the plans and alerts the offices.
//
//	xiuhua-collector --config /etc/xiuhua/collector.yaml [--http 127.0.0.1:8080]
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
	"syscall"

	"github.com/xiuhua/xiuhua/cloud/collector"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/internal/gcpolicy"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("xiuhua-collector", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "/etc/xiuhua/collector.yaml", "collector config `file`")
	httpAddr := fs.String("http", "", "serve the HTTP API on this `address` instead of the config's http.listen")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "xiuhua-collector: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "xiuhua-collector: --log-level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	if percent, fromEnv := gcpolicy.Server(); fromEnv {
		log.Info("garbage collection as the environment sets it (GOGC, GOMEMLIMIT)", "gogc", percent)
	} else {
		log.Debug("garbage collection: the collector's policy", "gogc", percent)
	}

	cfg, err := configs.LoadCollector(*cfgPath)
	if err != nil {
		var ce *configs.Error
		if errors.As(err, &ce) {
			fmt.Fprintf(stderr, "xiuhua-collector: config is not valid:\n%v\n", err)
		} else {
			fmt.Fprintf(stderr, "xiuhua-collector: %v\n", err)
		}
		return 2
	}
	if *httpAddr != "" {
		cfg.HTTP.Listen = *httpAddr
	}
	c, err := collector.New(cfg, collector.Opts{Logger: log})
	if err != nil {
		fmt.Fprintf(stderr, "xiuhua-collector: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := c.Run(ctx); err != nil {
		log.Error("collector failed", "err", err)
		return 1
	}
	return 0
}
