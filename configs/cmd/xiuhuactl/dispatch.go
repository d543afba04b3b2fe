package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: xiuhuactl config <command> [flags] [args]

commands:
  validate [--kind agent|collector|plan] [--skip-files] FILE...
                          check configs; prints "ok FILE HASH" or every problem
  keygen --out NAME       make a signing key pair: NAME.key (private) and NAME.pub
  sign --key NAME.key [-o OUT] [--skip-files] FILE
                          validate FILE and sign it (to OUT, or standard output)
  verify --trust PUB FILE...
                          check signatures against the keys in PUB
  diff OLD NEW            what changes, key by key, defaults applied
  flash --broker URL --device ID [--trust PUB] [--timeout 2m] FILE
                          send a signed config to a device and wait for its answer
  flash --to PATH [--trust PUB] FILE
                          write a signed config to PATH (an SD card, a USB stick)
  rollout --broker URL --stages 1,10%,100% [--deadline 5m] [--trust PUB] DIR
                          flash DIR's signed configs to their devices in stages

Exit status: 0 when all is well, 1 when a config has problems or a device
did not apply its config, 2 for a mistake in the command.
`

// Exit statuses.
const (
	exitOK      = 0
	exitProblem = 1 // a config has problems, a signature does not verify, a device failed
	exitUsage   = 2 // the command line is wrong
)

// dispatch runs one command line and returns the exit status. It is main
// without the process, so that tests run every command in-process.
func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] != "config" || len(args) < 2 {
		fmt.Fprintf(stderr, "xiuhuactl: unknown command %q\n%s", args[0], usage)
		return exitUsage
	}
	cmd, rest := args[1], args[2:]
	cio := cmdIO{stdin: stdin, stdout: stdout, stderr: stderr}
	switch cmd {
	case "validate":
		return validate(rest, cio)
	case "keygen":
		return keygen(rest, cio)
	case "sign":
		return sign(rest, cio)
	case "verify":
		return verify(rest, cio)
	case "diff":
		return diff(rest, cio)
	case "flash":
		return flashCmd(ctx, rest, cio)
	case "rollout":
		return rollout(ctx, rest, cio)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "xiuhuactl: unknown command \"config %s\"\n%s", cmd, usage)
	return exitUsage
}

// cmdIO is a command's standard streams.
type cmdIO struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// errorf prints a message prefixed with the command's name to stderr.
func (c cmdIO) errorf(format string, args ...any) {
	fmt.Fprintf(c.stderr, "xiuhuactl: "+format+"\n", args...)
}

// flags returns a flag set for "config name" that reports to stderr.
func (c cmdIO) flags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("config "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "usage: xiuhuactl config %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags anywhere among args ("sign FILE --key K" as well as
// "sign --key K FILE") and returns the other arguments. A "--" ends flags.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		if args[0] == "--" {
			return append(rest, args[1:]...), nil
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

// usageError reports a mistake in the command line and returns exitUsage.
func (c cmdIO) usageError(fs *flag.FlagSet, format string, args ...any) int {
	c.errorf(format, args...)
	fs.Usage()
	return exitUsage
}

// flagStatus is the exit status for a flag parsing error: help asked for
// is not a mistake.
func flagStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}
