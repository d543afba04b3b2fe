package flash

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Stage is how far a rollout reaches once the stage is done: Count devices
// of the group, or Percent of it (rounded up, so that 10% of 5 is 1).
// Stages are cumulative: "1,10%,100%" flashes 1 device, then up to a tenth
// of the group, then the rest.
type Stage struct {
	Count   int     // devices; used when Percent is 0
	Percent float64 // of the group, 0 to 100
}

func (s Stage) String() string {
	if s.Percent > 0 {
		return strconv.FormatFloat(s.Percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(s.Count)
}

// reach is how many devices of a group of n the stage reaches.
func (s Stage) reach(n int) int {
	if s.Percent > 0 {
		return min(n, int(math.Ceil(s.Percent*float64(n)/100-1e-9)))
	}
	return min(n, s.Count)
}

// ParseStages reads stages written "1,10%,100%": counts and percentages,
// separated by commas, each reaching at least as far as the one before.
func ParseStages(s string) ([]Stage, error) {
	var stages []Stage
	for i, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		var st Stage
		if p, ok := strings.CutSuffix(f, "%"); ok {
			v, err := strconv.ParseFloat(p, 64)
			if err != nil || !(v > 0 && v <= 100) {
				return nil, fmt.Errorf("flash: stage %d (%q): a percentage is more than 0%% and at most 100%%", i+1, f)
			}
			st.Percent = v
		} else {
			v, err := strconv.Atoi(f)
			if err != nil || v < 1 {
				return nil, fmt.Errorf("flash: stage %d (%q): write a count of devices (1 or more) or a percentage such as 10%%", i+1, f)
			}
			st.Count = v
		}
		if i > 0 {
			prev := stages[i-1]
			if st.Percent > 0 && prev.Percent > 0 && st.Percent < prev.Percent || st.Percent == 0 && prev.Percent == 0 && st.Count < prev.Count {
				return nil, fmt.Errorf("flash: stage %d (%s) reaches fewer devices than stage %d (%s); stages are cumulative", i+1, st, i, prev)
			}
		}
		stages = append(stages, st)
	}
	return stages, nil
}

// Opts configures a rollout.
type Opts struct {
	Client mqtt.Client // connected
	Stages []Stage     // at least one
	// Deadline bounds each stage: how long its devices have to answer.
	// 0 means 5 min.
	Deadline time.Duration
	// Trust, when set, is the keys every config must be signed by; nothing
	// is published when one is not.
	Trust []ed25519.PublicKey
	// Progress, when set, is called with each stage's report as the stage
	// ends, so that a tool can print as it goes.
	Progress func(StageReport)
}

// Report is what a rollout did, stage by stage.
type Report struct {
	Stages []StageReport
	// NotFlashed lists the devices never published to, in order: those of
	// the stages after one that failed, and those beyond the last stage.
	NotFlashed []string
}

// StageReport is one stage: its devices and their answers.
type StageReport struct {
	Stage   Stage
	Devices []DeviceResult // in the group's order
}

// Failed counts the stage's devices that did not apply their config.
func (s StageReport) Failed() int {
	n := 0
	for _, d := range s.Devices {
		if !d.OK() {
			n++
		}
	}
	return n
}

// DeviceResult is one device's flash.
type DeviceResult struct {
	Device string
	Hash   string                 // configs.Hash of the config published
	Status telemetry.ConfigStatus // the device's last answer; zero when none
	Err    error                  // failure to publish, or ErrNoAnswer
}

// OK reports whether the device applied the config.
func (d DeviceResult) OK() bool { return d.Err == nil && d.Status.Result == telemetry.ConfigApplied }

// Rollout flashes configs (device id → signed config) in o.Stages, as the
// package doc describes. It returns the report and, when a stage failed,
// an error wrapping ErrStopped; an error before anything was published
// (a config that does not verify, bad stages) comes with an empty report.
func Rollout(ctx context.Context, o Opts, cfgs map[string][]byte) (Report, error) {
	if len(o.Stages) == 0 {
		return Report{}, errors.New("flash: no stages")
	}
	if len(cfgs) == 0 {
		return Report{}, errors.New("flash: no configs to roll out")
	}
	if o.Deadline <= 0 {
		o.Deadline = 5 * time.Minute
	}
	if err := check(cfgs, o.Trust); err != nil {
		return Report{}, err
	}
	group := make([]string, 0, len(cfgs))
	for id := range cfgs {
		group = append(group, id)
	}
	slices.Sort(group)

	var rep Report
	done := 0
	for _, st := range o.Stages {
		upto := max(done, st.reach(len(group)))
		sr := StageReport{Stage: st, Devices: flashAll(ctx, o, group[done:upto], cfgs)}
		done = upto
		rep.Stages = append(rep.Stages, sr)
		if o.Progress != nil {
			o.Progress(sr)
		}
		if n := sr.Failed(); n > 0 {
			rep.NotFlashed = group[done:]
			return rep, fmt.Errorf("%w at stage %d (%s): %d of %d devices did not apply their config", ErrStopped, len(rep.Stages), st, n, len(sr.Devices))
		}
		if ctx.Err() != nil {
			rep.NotFlashed = group[done:]
			return rep, fmt.Errorf("%w after stage %d: %w", ErrStopped, len(rep.Stages), context.Cause(ctx))
		}
	}
	rep.NotFlashed = group[done:]
	return rep, nil
}

// check verifies every config before anything is published: a rollout
// must not stop half-way for a mistake it could have seen at the start.
func check(cfgs map[string][]byte, trust []ed25519.PublicKey) error {
	var problems []string
	for _, id := range slices.Sorted(maps.Keys(cfgs)) {
		data := cfgs[id]
		if err := telemetry.ValidateDeviceID(id); err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if len(trust) > 0 {
			if _, _, err := configs.Verify(data, trust); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", id, err))
				continue
			}
		}
		a, err := configs.ParseAgentWith(id+".yaml", data, configs.ParseOpts{SkipFiles: true})
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: invalid config:\n%v", id, err))
		case a.Device.ID != id:
			problems = append(problems, fmt.Sprintf("%s: the config is for device %q", id, a.Device.ID))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("flash: nothing published:\n%s", strings.Join(problems, "\n"))
	}
	return nil
}

// flashAll flashes ids in parallel, each with the stage's deadline, and
// returns their results in the order of ids.
func flashAll(ctx context.Context, o Opts, ids []string, cfgs map[string][]byte) []DeviceResult {
	ctx, cancel := context.WithTimeoutCause(ctx, o.Deadline, fmt.Errorf("stage deadline of %v passed", o.Deadline))
	defer cancel()
	out := make([]DeviceResult, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			st, err := Flash(ctx, o.Client, id, cfgs[id])
			out[i] = DeviceResult{Device: id, Hash: configs.Hash(cfgs[id]), Status: st, Err: err}
		})
	}
	wg.Wait()
	return out
}
