package flash

import (
	"context"
	"crypto/ed25519"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

func TestParseStages(t *testing.T) {
	for in, want := range map[string][]Stage{
		"1,10%,100%": {{Count: 1}, {Percent: 10}, {Percent: 100}},
		"2, 5":       {{Count: 2}, {Count: 5}},
		"12.5%":      {{Percent: 12.5}},
	} {
		got, err := ParseStages(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseStages(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"":         `flash: stage 1 (""): write a count of devices (1 or more) or a percentage such as 10%`,
		"0":        `flash: stage 1 ("0"): write a count of devices (1 or more) or a percentage such as 10%`,
		"1,,2":     `flash: stage 2 (""): write a count of devices (1 or more) or a percentage such as 10%`,
		"150%":     `flash: stage 1 ("150%"): a percentage is more than 0% and at most 100%`,
		"0%":       `flash: stage 1 ("0%"): a percentage is more than 0% and at most 100%`,
		"50%,10%":  `flash: stage 2 (10%) reaches fewer devices than stage 1 (50%); stages are cumulative`,
		"5,2":      `flash: stage 2 (2) reaches fewer devices than stage 1 (5); stages are cumulative`,
		"one,all%": `flash: stage 1 ("one"): write a count of devices (1 or more) or a percentage such as 10%`,
	} {
		if _, err := ParseStages(in); err == nil || err.Error() != want {
			t.Errorf("ParseStages(%q) = %v, want %s", in, err, want)
		}
	}
	for _, tc := range []struct {
		s    Stage
		n    int
		want int
	}{{Stage{Count: 1}, 10, 1}, {Stage{Count: 20}, 10, 10}, {Stage{Percent: 30}, 10, 3}, {Stage{Percent: 10}, 5, 1},
		{Stage{Percent: 100}, 7, 7}, {Stage{Percent: 33.3}, 3, 1}, {Stage{Percent: 34}, 3, 2}} {
		if got := tc.s.reach(tc.n); got != tc.want {
			t.Errorf("%v of %d reaches %d, want %d", tc.s, tc.n, got, tc.want)
		}
	}
}

// A rollout over 10 devices in stages 1, 30%, 100% whose second stage has
// a device that rolls back stops there: the seven devices of the third
// stage are never published to.
func TestRolloutStopsAtAFailingStage(t *testing.T) {
	pub, priv, _ := configs.GenerateKey()
	ids := deviceIDs(10)
	bs := map[string]behaviour{ids[2]: rollBack}
	devs := startDevices(t, ids, bs)
	cfgs := map[string][]byte{}
	for _, id := range ids {
		cfgs[id] = signedConfig(t, id, priv)
	}
	stages, _ := ParseStages("1,30%,100%")
	var progress []int
	rep, err := Rollout(context.Background(), Opts{
		Client: dial(t, "tool"), Stages: stages, Deadline: time.Minute, Trust: []ed25519.PublicKey{pub},
		Progress: func(s StageReport) { progress = append(progress, len(s.Devices)) },
	}, cfgs)
	if !errors.Is(err, ErrStopped) || err.Error() != "flash: rollout stopped at stage 2 (30%): 1 of 2 devices did not apply their config" {
		t.Fatalf("Rollout error = %v", err)
	}
	result := func(id, r string) DeviceResult {
		h := configs.Hash(cfgs[id])
		return DeviceResult{Device: id, Hash: h, Status: status(h, r)}
	}
	want := Report{
		Stages: []StageReport{
			{Stage: Stage{Count: 1}, Devices: []DeviceResult{result(ids[0], telemetry.ConfigApplied)}},
			{Stage: Stage{Percent: 30}, Devices: []DeviceResult{result(ids[1], telemetry.ConfigApplied), result(ids[2], telemetry.ConfigRolledBack)}},
		},
		NotFlashed: ids[3:],
	}
	if !reflect.DeepEqual(rep, want) {
		t.Errorf("report:\n%+v\nwant\n%+v", rep, want)
	}
	if !reflect.DeepEqual(progress, []int{1, 2}) {
		t.Errorf("progress called with stages of %v devices, want [1 2]", progress)
	}

	var topics []string
	for _, id := range ids[3:] {
		topics = append(topics, telemetry.ConfigTopic(id))
	}
	for topic, msg := range retained(t, topics) {
		if msg != "" {
			t.Errorf("stage-3 topic %s holds a config:\n%s", topic, msg)
		}
	}
	for i, id := range ids {
		n := len(devs[id].received())
		if (i < 3) != (n == 1) || n > 1 {
			t.Errorf("device %d (%s) received %d configs", i, id, n)
		}
	}
}

func TestRolloutAllApplied(t *testing.T) {
	_, priv, _ := configs.GenerateKey()
	ids := deviceIDs(4)
	startDevices(t, ids, nil)
	cfgs := map[string][]byte{}
	for _, id := range ids {
		cfgs[id] = signedConfig(t, id, priv)
	}
	stages, _ := ParseStages("1,50%,100%")
	rep, err := Rollout(context.Background(), Opts{Client: dial(t, "tool"), Stages: stages, Deadline: time.Minute}, cfgs)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, s := range rep.Stages {
		var ds []string
		for _, d := range s.Devices {
			if !d.OK() {
				t.Errorf("%s: %+v", d.Device, d)
			}
			ds = append(ds, d.Device)
		}
		got = append(got, ds)
	}
	if want := [][]string{{ids[0]}, {ids[1]}, {ids[2], ids[3]}}; !reflect.DeepEqual(got, want) || len(rep.NotFlashed) != 0 {
		t.Errorf("stages %v (not flashed %v), want %v", got, rep.NotFlashed, want)
	}
}

// A device that never answers stops the rollout at its stage's deadline.
func TestRolloutStopsOnSilence(t *testing.T) {
	_, priv, _ := configs.GenerateKey()
	ids := deviceIDs(3)
	startDevices(t, ids, map[string]behaviour{ids[1]: silent})
	cfgs := map[string][]byte{}
	for _, id := range ids {
		cfgs[id] = signedConfig(t, id, priv)
	}
	rep, err := Rollout(context.Background(), Opts{Client: dial(t, "tool"), Stages: []Stage{{Count: 2}, {Percent: 100}}, Deadline: time.Second}, cfgs)
	if !errors.Is(err, ErrStopped) || len(rep.Stages) != 1 || !reflect.DeepEqual(rep.NotFlashed, ids[2:]) {
		t.Fatalf("Rollout = %+v, %v", rep, err)
	}
	d := rep.Stages[0].Devices[1]
	if !errors.Is(d.Err, ErrNoAnswer) || !strings.HasSuffix(d.Err.Error(), ": stage deadline of 1s passed") || d.OK() {
		t.Errorf("silent device: %+v", d)
	}
	if !rep.Stages[0].Devices[0].OK() {
		t.Errorf("first device: %+v", rep.Stages[0].Devices[0])
	}
}

// Configs that do not verify, do not validate, or name another device
// stop the rollout before anything is published.
func TestRolloutChecksEverythingFirst(t *testing.T) {
	pub, priv, _ := configs.GenerateKey()
	_, other, _ := configs.GenerateKey()
	ids := deviceIDs(4)
	cfgs := map[string][]byte{
		ids[0]: signedConfig(t, ids[0], priv),
		ids[1]: signedConfig(t, ids[1], other),
		ids[2]: signedConfig(t, ids[3], priv),
		ids[3]: []byte(strings.Replace(string(signedConfig(t, ids[3], priv)), "interval: 10s", "interval: 10", 1)),
	}
	cfgs[ids[3]], _ = configs.Sign(cfgs[ids[3]], priv)
	t.Cleanup(func() { clearRetained(t, ids) })
	rep, err := Rollout(context.Background(), Opts{Client: dial(t, "tool"), Stages: []Stage{{Percent: 100}}, Trust: []ed25519.PublicKey{pub}}, cfgs)
	want := "flash: nothing published:\n" +
		ids[1] + ": configs: config is signed by a key this device does not trust (key " + configs.KeyID(other.Public().(ed25519.PublicKey)) + ")\n" +
		ids[2] + `: the config is for device "` + ids[3] + `"` + "\n" +
		ids[3] + ": invalid config:\n" + ids[3] + ".yaml: sensors[0].interval (line 3): want a duration such as 5s, 15m or 1h30m, got 10"
	if err == nil || err.Error() != want || len(rep.Stages) != 0 {
		t.Fatalf("Rollout = %+v,\n%v\nwant\n%s", rep, err, want)
	}
	var topics []string
	for _, id := range ids {
		topics = append(topics, telemetry.ConfigTopic(id))
	}
	for topic, msg := range retained(t, topics) {
		if msg != "" {
			t.Errorf("%s holds a config after a rollout that published nothing", topic)
		}
	}
}
