package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/xiuhua/xiuhua/configs"
)

func validate(args []string, c cmdIO) int {
	fs := c.flags("validate", "[--kind agent|collector|plan] [--skip-files] FILE...")
	kind := fs.String("kind", "", "the kind of every FILE: agent, collector or plan (default: told by its top-level keys)")
	skip := fs.Bool("skip-files", false, "do not check that the files an agent config names (uplink.tls) exist: they are on the device")
	files, err := parse(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	if len(files) == 0 {
		return c.usageError(fs, "config validate: name at least one file")
	}
	if *kind != "" && *kind != configs.FileAgent && *kind != configs.FileCollector && *kind != configs.FilePlan {
		return c.usageError(fs, "config validate: --kind %q: use agent, collector or plan", *kind)
	}
	status := exitOK
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			c.errorf("%v", err)
			status = exitProblem
			continue
		}
		if err := load(f, data, *kind, *skip); err != nil {
			fmt.Fprintln(c.stderr, err)
			status = exitProblem
			continue
		}
		fmt.Fprintf(c.stdout, "ok %s %s\n", f, configs.Hash(data))
	}
	return status
}

// load checks the config in file, whose content is data, as kind ("" to
// tell it by its keys). Its error lists every problem, one per line.
func load(file string, data []byte, kind string, skipFiles bool) error {
	if kind == "" {
		k, err := configs.DetectKind(data)
		if err != nil {
			return fmt.Errorf("%s: %v; say which with --kind", file, unprefixed(err))
		}
		kind = k
	}
	var err error
	switch kind {
	case configs.FileAgent:
		_, err = configs.ParseAgentWith(file, data, configs.ParseOpts{SkipFiles: skipFiles})
	case configs.FileCollector:
		_, err = configs.LoadCollector(file)
	case configs.FilePlan:
		_, err = configs.LoadPlan(file)
	}
	return err
}

// loadAgent checks the agent config in file and returns it.
func loadAgent(file string, data []byte, skipFiles bool) (*configs.Agent, error) {
	if k, err := configs.DetectKind(data); err == nil && k != configs.FileAgent {
		return nil, fmt.Errorf("%s: %s config, not an agent config: only agent configs are signed and flashed", file, article(k))
	}
	return configs.ParseAgentWith(file, data, configs.ParseOpts{SkipFiles: skipFiles})
}

// unprefixed strips the "configs: " of an error from the configs package,
// for messages that already say which file they are about.
func unprefixed(err error) string {
	var e *configs.Error
	if errors.As(err, &e) {
		return e.Error()
	}
	s := err.Error()
	if len(s) > 9 && s[:9] == "configs: " {
		return s[9:]
	}
	return s
}
