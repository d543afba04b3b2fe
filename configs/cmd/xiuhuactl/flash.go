package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/configs/flash"
	"github.com/xiuhua/xiuhua/telemetry"
)

// brokerFlags are the flags of the commands that reach devices over MQTT.
type brokerFlags struct {
	broker, username, password, caFile *string
}

func addBrokerFlags(fs *flag.FlagSet) brokerFlags {
	return brokerFlags{
		broker:   fs.String("broker", "", "the devices' MQTT broker, e.g. tcp://127.0.0.1:1883 or ssl://mqtt.example.gov.cn:8883"),
		username: fs.String("username", "", "MQTT user"),
		password: fs.String("password", "", "MQTT password (default: $XIUHUA_MQTT_PASSWORD)"),
		caFile:   fs.String("ca-file", "", "PEM CA certificates for an ssl:// broker (default: the system's roots)"),
	}
}

func (b brokerFlags) dial(ctx context.Context) (mqtt.Client, error) {
	o := flash.DialOpts{Broker: *b.broker, Username: *b.username, Password: *b.password}
	if o.Password == "" {
		o.Password = os.Getenv("XIUHUA_MQTT_PASSWORD")
	}
	// The TLS settings are built as an agent's are, so that the tool
	// reaches a broker exactly when a device with the same files would.
	u := configs.Uplink{Broker: o.Broker}
	if *b.caFile != "" {
		u.TLS = &configs.TLS{CAFile: *b.caFile}
	}
	tlsc, err := u.TLSConfig()
	if err != nil {
		return nil, err
	}
	o.TLS = tlsc
	return flash.Dial(ctx, o)
}

// signedAgent reads a signed agent config for a device and checks it as
// the device will: valid, signed (by a trusted key when keys are given).
// It returns the file's bytes and the config.
func signedAgent(file string, keys []ed25519.PublicKey, skipFiles bool) ([]byte, *configs.Agent, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	a, err := loadAgent(file, data, skipFiles)
	if err != nil {
		return nil, nil, err
	}
	if len(keys) > 0 {
		if _, _, err := configs.Verify(data, keys); err != nil {
			return nil, nil, fmt.Errorf("%s: %s", file, unprefixed(err))
		}
	} else if _, sig, err := configs.Split(data); err != nil {
		return nil, nil, fmt.Errorf("%s: %s", file, unprefixed(err))
	} else if sig == nil {
		return nil, nil, fmt.Errorf("%s is not signed; devices take only signed configs: run config sign first", file)
	}
	return data, a, nil
}

func flashCmd(ctx context.Context, args []string, c cmdIO) int {
	fs := c.flags("flash", "(--broker URL --device ID [--timeout 2m] | --to PATH) [--trust PUB] [--skip-files] FILE")
	bf := addBrokerFlags(fs)
	device := fs.String("device", "", "the device to flash; must be the config's device.id")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long to wait for the device's answer")
	to := fs.String("to", "", "write the config to this file, or into this directory, instead of sending it (an SD card, a USB stick)")
	trust := fs.String("trust", "", "check the signature against these public keys first (the devices' trust file)")
	skip := fs.Bool("skip-files", true, "do not check that the files the config names (uplink.tls) exist here: they are on the device")
	files, err := parse(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	switch {
	case len(files) != 1:
		return c.usageError(fs, "config flash: give one config file")
	case (*to == "") == (*bf.broker == ""):
		return c.usageError(fs, "config flash: give either --broker with --device, or --to")
	case *bf.broker != "" && *device == "":
		return c.usageError(fs, "config flash: --broker needs --device")
	case *timeout <= 0:
		return c.usageError(fs, "config flash: --timeout must be positive")
	}
	var keys []ed25519.PublicKey
	if *trust != "" {
		if keys, err = readTrust(*trust); err != nil {
			c.errorf("%v", err)
			return exitProblem
		}
	}
	file := files[0]
	data, a, err := signedAgent(file, keys, *skip)
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		c.errorf("%s not flashed", file)
		return exitProblem
	}
	hash := configs.Hash(data)
	if *to != "" {
		dst := *to
		if st, err := os.Stat(dst); err == nil && st.IsDir() || strings.HasSuffix(dst, string(filepath.Separator)) {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				c.errorf("%v", err)
				return exitProblem
			}
			dst = filepath.Join(dst, filepath.Base(file))
		}
		if err := writeAtomic(dst, data, 0o644); err != nil {
			c.errorf("%v", err)
			return exitProblem
		}
		fmt.Fprintf(c.stdout, "wrote %s %s for device %s\n", dst, hash, a.Device.ID)
		return exitOK
	}
	if a.Device.ID != *device {
		c.errorf("%s is the config of device %q, not %q: not flashed", file, a.Device.ID, *device)
		return exitProblem
	}
	client, err := bf.dial(ctx)
	if err != nil {
		c.errorf("%v", err)
		return exitProblem
	}
	defer client.Disconnect(250)
	fctx, cancel := context.WithTimeoutCause(ctx, *timeout, fmt.Errorf("no answer within %v", *timeout))
	defer cancel()
	st, err := flash.Flash(fctx, client, *device, data)
	if err != nil {
		c.errorf("%s: %v", *device, err)
		return exitProblem
	}
	fmt.Fprintln(c.stdout, answerLine(*device, st))
	if st.Result != telemetry.ConfigApplied {
		return exitProblem
	}
	return exitOK
}

// answerLine shows a device's answer: "ID RESULT HASH[: reason]".
func answerLine(device string, st telemetry.ConfigStatus) string {
	s := fmt.Sprintf("%s %s %s", device, st.Result, st.Hash)
	if st.Reason != "" {
		s += ": " + st.Reason
	}
	return s
}

func rollout(ctx context.Context, args []string, c cmdIO) int {
	fs := c.flags("rollout", "--broker URL --stages 1,10%,100% [--deadline 5m] [--trust PUB] DIR")
	bf := addBrokerFlags(fs)
	stagesFlag := fs.String("stages", "", "cumulative stages: counts of devices or percentages of the group, e.g. 1,10%,100%")
	deadline := fs.Duration("deadline", 5*time.Minute, "how long each stage's devices have to answer")
	trust := fs.String("trust", "", "check every signature against these public keys first")
	dirs, err := parse(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	switch {
	case len(dirs) != 1:
		return c.usageError(fs, "config rollout: give one directory of signed configs")
	case *bf.broker == "" || *stagesFlag == "":
		return c.usageError(fs, "config rollout: give --broker and --stages")
	case *deadline <= 0:
		return c.usageError(fs, "config rollout: --deadline must be positive")
	}
	stages, err := flash.ParseStages(*stagesFlag)
	if err != nil {
		return c.usageError(fs, "config rollout: --stages: %s", strings.TrimPrefix(err.Error(), "flash: "))
	}
	var keys []ed25519.PublicKey
	if *trust != "" {
		if keys, err = readTrust(*trust); err != nil {
			c.errorf("%v", err)
			return exitProblem
		}
	}
	cfgs, err := readGroup(dirs[0], keys)
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		c.errorf("nothing flashed")
		return exitProblem
	}
	client, err := bf.dial(ctx)
	if err != nil {
		c.errorf("%v", err)
		return exitProblem
	}
	defer client.Disconnect(250)

	width := len("device")
	for id := range cfgs {
		width = max(width, len(id))
	}
	row := func(stage, reach, device, result, hash, detail string) {
		fmt.Fprintln(c.stdout, strings.TrimRight(fmt.Sprintf("%-5s  %-5s  %-*s  %-11s  %-12s  %s", stage, reach, width, device, result, hash, detail), " "))
	}
	row("stage", "reach", "device", "result", "hash", "detail")
	n := 0
	rep, err := flash.Rollout(ctx, flash.Opts{Client: client, Stages: stages, Deadline: *deadline, Trust: keys,
		Progress: func(s flash.StageReport) {
			n++
			for _, d := range s.Devices {
				result, detail := d.Status.Result, d.Status.Reason
				if d.Err != nil {
					result, detail = "no answer", strings.TrimPrefix(d.Err.Error(), "flash: ")
				}
				row(fmt.Sprint(n), s.Stage.String(), d.Device, result, d.Hash[:12], detail)
			}
		}}, cfgs)
	if len(rep.NotFlashed) > 0 {
		fmt.Fprintf(c.stdout, "not flashed: %s\n", strings.Join(rep.NotFlashed, ", "))
	}
	if err != nil {
		c.errorf("%s", strings.TrimPrefix(err.Error(), "flash: "))
		return exitProblem
	}
	if len(rep.NotFlashed) > 0 {
		c.errorf("the stages end before the group does: %d devices not flashed", len(rep.NotFlashed))
		return exitProblem
	}
	fmt.Fprintf(c.stdout, "all %d devices applied their configs\n", len(cfgs))
	return exitOK
}

// readGroup reads every *.yaml and *.yml file in dir as a signed agent
// config, keyed by the device.id inside it.
func readGroup(dir string, keys []ed25519.PublicKey) (map[string][]byte, error) {
	var files []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	slices.Sort(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s holds no .yaml files", dir)
	}
	cfgs, from := map[string][]byte{}, map[string]string{}
	var errs []error
	for _, f := range files {
		data, a, err := signedAgent(f, keys, true)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := from[a.Device.ID]; dup {
			errs = append(errs, fmt.Errorf("%s and %s are both for device %s", prev, f, a.Device.ID))
			continue
		}
		cfgs[a.Device.ID], from[a.Device.ID] = data, f
	}
	return cfgs, errors.Join(errs...)
}
