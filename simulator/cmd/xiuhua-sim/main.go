// Command xiuhua-sim runs simulated boards against the real agent and
// collector.
//
//	xiuhua-sim demo [--http 127.0.0.1:8080] [--sites 4] [--dir DIR]
//	xiuhua-sim fleet --devices N --broker URL [--interval 10s] [--dir D] [--sensor pms5003] [--for DURATION]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/xiuhua/xiuhua/simulator/bench"
	"github.com/xiuhua/xiuhua/simulator/broker"
	"github.com/xiuhua/xiuhua/simulator/demo"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprintf(w, `usage: xiuhua-sim <command> [flags]

commands:
  demo    embedded broker, collector, offices' webhook sink; simulated dust sites, a river gauge and a lift
  bench   measure against the goals and print one table (run from the repository root)
  broker  run the embedded MQTT broker alone (for tests and for agents on other machines' loopback)
  fleet   N virtual devices, each the real agent with its own outbox and MQTT client, against a broker

Run "xiuhua-sim <command> --help" for a command's flags.
`)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "demo":
		return runDemo(args[1:], stdout, stderr)
	case "bench":
		return runBench(args[1:], stdout, stderr)
	case "broker":
		return runBroker(args[1:], stdout, stderr)
	case "fleet":
		return runFleet(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "xiuhua-sim: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
}

func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xiuhua-sim demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	httpAddr := fs.String("http", "127.0.0.1:8080", "the collector API's listen `address`")
	sites := fs.Int("sites", 4, "number of simulated dust sites")
	dir := fs.String("dir", "", "keep configs and stores in this `directory` (default: a temporary one, removed on exit)")
	level := fs.String("log-level", "warn", "components' log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *sites < 1 || *sites > 1000 {
		fmt.Fprintf(stderr, "xiuhua-sim demo: --sites %d: want 1 to 1000\n", *sites)
		return 2
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "xiuhua-sim demo: --log-level: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := demo.Run(ctx, demo.Opts{
		HTTP: *httpAddr, Dir: *dir, Sites: *sites, Out: stdout,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl})),
	})
	if err != nil {
		fmt.Fprintf(stderr, "xiuhua-sim demo: %v\n", err)
		return 1
	}
	return 0
}

func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xiuhua-sim bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "smaller sizes: a smoke run, not the figures to report")
	only := fs.String("only", "", `run one group of rows: "load" (the collector under a city's load) or "sustained" (its sustained rows alone)`)
	long := fs.Bool("long", false, "the sustained load row runs 5 minutes instead of 60 s")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the sustained load to `file`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *only != "" && *only != "load" && *only != "sustained" {
		fmt.Fprintf(stderr, "xiuhua-sim bench: --only %q: the groups are \"load\" and \"sustained\"\n", *only)
		return 2
	}
	dir, err := os.MkdirTemp("", "xiuhua-bench-")
	if err != nil {
		fmt.Fprintf(stderr, "xiuhua-sim bench: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	rows := bench.Run(bench.Opts{Dir: dir, Quick: *quick, Log: stderr, Only: *only, Long: *long, CPUProfile: *cpuprofile})
	bench.Print(stdout, rows)
	for _, r := range rows {
		if r.Note != "" && r.Value == 0 {
			return 1
		}
	}
	return 0
}

// runBroker runs the embedded broker until SIGINT or SIGTERM. Its first
// line on stdout is "broker listening on tcp://ADDR".
func runBroker(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xiuhua-sim broker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "`address` to listen on; port 0 picks a free one")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, err := broker.Start(*listen, nil)
	if err != nil {
		fmt.Fprintf(stderr, "xiuhua-sim broker: %v\n", err)
		return 1
	}
	defer b.Close()
	fmt.Fprintf(stdout, "broker listening on %s\n", b.URL())
	<-ctx.Done()
	return 0
}
