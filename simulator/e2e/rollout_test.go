package e2e

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"periph.io/x/conn/v3/physic"

	"github.com/xiuhua/xiuhua/agent/configapply"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/configs/flash"
	_ "github.com/xiuhua/xiuhua/drivers/ads1115level"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip/ads1115"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Eight tide gauges run the real agent with configapply on virtual boards
// (an ADS1115 at 0x48, nothing at 0x49). A rollout in stages 1, 50%, 100%
// gives each a faster interval; the config of roll-3, in stage 2, also
// names a second sensor at 0x49. roll-3 rolls back, the rollout stops at
// stage 2, and the devices of stage 3 never receive a config.
func TestRolloutStopsAtABadStage(t *testing.T) {
	dir := t.TempDir()
	r := &runner{t: t}
	b := startBroker(t)
	s := newSigner(t)
	gauge := func(id, interval string, addrs ...int) []byte {
		body := fmt.Sprintf("device: {id: %s}\nsensors:\n", id)
		for i, a := range addrs {
			body += fmt.Sprintf("  - {name: level%d, driver: ads1115level, i2c: {bus: \"1\", address: %#x}, interval: %s, timeout: %s, params: {low: \"0\", high: \"10\"}}\n",
				i+1, a, interval, interval)
		}
		return s.sign(t, body+fmt.Sprintf("outbox: {path: %s.outbox.db}\nuplink: {broker: %q, heartbeat: 1s}\nclock: {require_sync: false}\n", id, b.URL()))
	}

	type device struct {
		m    *configapply.Manager
		a, b []byte // its config, and the one rolled out to it
	}
	devs := map[string]*device{}
	cfgs := map[string][]byte{}
	for i := 1; i <= 8; i++ {
		id := fmt.Sprintf("roll-%d", i)
		brd := board.New()
		c := ads1115.New(nil)
		c.SetInput(0, ads1115.NewLoop(150*physic.Ohm, 0, 10, func(time.Time) float64 { return 1.5 }))
		brd.I2C("1").Attach(0x48, c)
		d := &device{a: gauge(id, "500ms", 0x48), b: gauge(id, "200ms", 0x48)}
		if id == "roll-3" {
			d.b = gauge(id, "200ms", 0x48, 0x49)
		}
		m, err := configapply.New(configapply.Opts{Path: write(t, filepath.Join(dir, id+".yaml"), string(d.a)), Trust: s.trust,
			Deadline: 3 * time.Second, Env: brd})
		if err != nil {
			t.Fatal(err)
		}
		d.m = m
		r.start(id, m.Run)
		devs[id], cfgs[id] = d, d.b
	}
	waitFor(t, "every device connected", 30*time.Second, func() (bool, string) {
		for id, d := range devs {
			if st, err := d.m.Status(); err != nil || !st.Uplink.Connected {
				return false, id + " is not"
			}
		}
		return true, ""
	})

	tool, err := flash.Dial(context.Background(), flash.DialOpts{Broker: b.URL(), ClientID: "rollout-tool"})
	if err != nil {
		t.Fatal(err)
	}
	defer tool.Disconnect(100)
	stages, err := flash.ParseStages("1,50%,100%")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := flash.Rollout(context.Background(), flash.Opts{Client: tool, Stages: stages, Deadline: time.Minute, Trust: s.trust}, cfgs)
	if !errors.Is(err, flash.ErrStopped) || err.Error() != "flash: rollout stopped at stage 2 (50%): 1 of 3 devices did not apply their config" {
		t.Fatalf("Rollout: %v", err)
	}

	got := map[string]string{}
	for _, st := range rep.Stages {
		for _, d := range st.Devices {
			if d.Err != nil {
				t.Errorf("%s: %v", d.Device, d.Err)
			}
			got[d.Device] = fmt.Sprintf("stage %v: %s %q running %s", st.Stage, d.Status.Result, d.Status.Reason, d.Status.Running)
		}
	}
	applied := func(stage, id string) string {
		return fmt.Sprintf("stage %s: applied \"\" running %s", stage, configs.Hash(devs[id].b))
	}
	want := map[string]string{
		"roll-1": applied("1", "roll-1"),
		"roll-2": applied("50%", "roll-2"),
		"roll-3": fmt.Sprintf("stage 50%%: rolled_back %q running %s",
			`sensor "level2" (ads1115level on I2C bus 1 at 0x49) gave no reading within 3s: ads1115level: probe 0x49 on emulated-i2c-1: i2c 1: no device answers at 0x49 (NACK)`,
			configs.Hash(devs["roll-3"].a)),
		"roll-4": applied("50%", "roll-4"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rollout answers:\n%v\nwant\n%v", got, want)
	}
	if len(rep.Stages) != 2 || !reflect.DeepEqual(rep.NotFlashed, []string{"roll-5", "roll-6", "roll-7", "roll-8"}) {
		t.Errorf("%d stages run, not flashed %v; want 2, and roll-5 to roll-8", len(rep.Stages), rep.NotFlashed)
	}

	// Each device runs what its answer says; stage 3 never received one.
	for id, d := range devs {
		runs, pipelines := configs.Hash(d.a), uint64(1)
		switch id {
		case "roll-1", "roll-2", "roll-4":
			runs, pipelines = configs.Hash(d.b), 2
		case "roll-3":
			pipelines = 3 // A, B on trial, A again
		}
		if d.m.Running() != runs || d.m.Stats().Pipelines != pipelines {
			t.Errorf("%s runs %s after %d pipelines; want %s after %d", id, d.m.Running(), d.m.Stats().Pipelines, runs, pipelines)
		}
	}
	if p := retainedConfig(t, b.URL(), "roll-4"); string(p) != string(cfgs["roll-4"]) {
		t.Errorf("roll-4's config topic holds %q, want the config rolled out to it", p)
	}
	for _, id := range rep.NotFlashed {
		if p := retainedConfig(t, b.URL(), id); p != nil {
			t.Errorf("%s's config topic holds %q; stage 3 was never to be published to", id, p)
		}
	}
}

// retainedConfig returns the retained config on device id's config topic,
// or nil. The broker sends retained messages right after the subscription
// is granted, on the same connection, so a marker published after the
// subscription arrives after them, and the client (order kept) hands them
// over in that order: once the marker is in, nothing retained is to come.
func retainedConfig(t *testing.T, brokerURL, id string) []byte {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID("retained-" + id).SetOrderMatters(true))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(100)
	got := make(chan []byte, 1)
	marker := make(chan struct{}, 1)
	topic, mark := telemetry.ConfigTopic(id), "e2e/marker/"+id
	if tok := c.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) { got <- m.Payload() }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", topic, tok.Error())
	}
	if tok := c.Subscribe(mark, 1, func(mqtt.Client, mqtt.Message) { marker <- struct{}{} }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", mark, tok.Error())
	}
	c.Publish(mark, 1, false, "x")
	select {
	case <-marker:
	case <-time.After(10 * time.Second):
		t.Fatal("the marker did not come back")
	}
	select {
	case p := <-got:
		return p
	default:
		return nil
	}
}
