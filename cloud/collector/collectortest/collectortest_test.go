package collectortest_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/collector/collectortest"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/simulator/broker"
)

const ownPlan = `id: own-plan
title: "A plan of the test's own"
kind: plan
rules:
  - {id: pm10-high, title: "PM10 high", kind: threshold, quantity: pm10, above: 500, category: dust, severity: warning}
`

// Write's config must load as xiuhua-collector loads it, with the files
// where the options put them.
func TestWrite(t *testing.T) {
	tests := []struct {
		name               string
		o                  collectortest.Opts
		config, store      string
		planFiles, planIDs []string
		webhooks           []configs.Channel
	}{
		{
			name:      "defaults",
			o:         collectortest.Opts{Broker: "tcp://127.0.0.1:1883", ClientID: "c1"},
			config:    "collector.yaml",
			store:     "collector.db",
			planFiles: []string{"dust.yaml"},
			planIDs:   []string{"shanghai-construction-dust"},
		},
		{
			name: "everything set",
			o: collectortest.Opts{Broker: "tcp://127.0.0.1:1883", ClientID: "c2", ConfigFile: "own.yaml", StoreFile: "own.db",
				Plans: []collectortest.Plan{
					{File: "plans/dust.yaml", Embedded: "construction-dust.yaml"},
					{File: "own-plan.yaml", Data: []byte(ownPlan)},
				},
				Webhooks: []collectortest.Webhook{{Name: "office-sink", URL: "http://127.0.0.1:9/hook"}}},
			config:    "own.yaml",
			store:     "own.db",
			planFiles: []string{"plans/dust.yaml", "own-plan.yaml"},
			planIDs:   []string{"shanghai-construction-dust", "own-plan"},
			webhooks: []configs.Channel{{Name: "office-sink", Type: configs.ChannelWebhook, URL: "http://127.0.0.1:9/hook",
				Timeout: configs.Duration(configs.DefaultChannelTimeout)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg, err := collectortest.Write(dir, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			// Loading the file again proves it was written where the
			// options say.
			again, err := configs.LoadCollector(filepath.Join(dir, tt.config))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []*configs.Collector{cfg, again} {
				if c.MQTT.Broker != tt.o.Broker || c.MQTT.ClientID != tt.o.ClientID || c.Store.Path != filepath.Join(dir, tt.store) {
					t.Errorf("mqtt %+v, store %+v; want %s as %s, store %s", c.MQTT, c.Store, tt.o.Broker, tt.o.ClientID, tt.store)
				}
				if len(c.PlanFiles) != len(tt.planFiles) || len(c.Plans) != len(tt.planIDs) {
					t.Fatalf("plan files %v, %d plans; want %v", c.PlanFiles, len(c.Plans), tt.planFiles)
				}
				for i, f := range tt.planFiles {
					if c.PlanFiles[i] != filepath.Join(dir, f) || c.Plans[i].ID != tt.planIDs[i] {
						t.Errorf("plan %d: %s, id %s; want %s, id %s", i, c.PlanFiles[i], c.Plans[i].ID, f, tt.planIDs[i])
					}
				}
				if len(c.Routes) != 1 || c.Routes[0].Category != "dust" || c.Routes[0].Office != "city-operations-centre" {
					t.Errorf("routes %+v, want dust to city-operations-centre", c.Routes)
				}
				if len(c.Notify.Channels) != len(tt.webhooks) {
					t.Fatalf("channels %+v, want %+v", c.Notify.Channels, tt.webhooks)
				}
				for i, w := range tt.webhooks {
					if got := c.Notify.Channels[i]; got.Name != w.Name || got.Type != w.Type || got.URL != w.URL || got.Timeout != w.Timeout {
						t.Errorf("channel %d: %+v, want %+v", i, got, w)
					}
				}
			}
		})
	}
}

func TestWriteRefuses(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    collectortest.Opts
		want string
	}{
		{"no client id", collectortest.Opts{Broker: "tcp://127.0.0.1:1883"}, "ClientID is required"},
		{"unknown embedded plan", collectortest.Opts{Broker: "tcp://127.0.0.1:1883", ClientID: "c",
			Plans: []collectortest.Plan{{File: "p.yaml", Embedded: "no-such-plan.yaml"}}}, "plan p.yaml"},
		{"bad plan", collectortest.Opts{Broker: "tcp://127.0.0.1:1883", ClientID: "c",
			Plans: []collectortest.Plan{{File: "p.yaml", Data: []byte("id: x\n")}}}, "p.yaml"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := collectortest.Write(t.TempDir(), tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Write = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// A started collector serves its API on the listener Start made, and
// Stop returns Run's result the first time and every time after.
func TestStartStop(t *testing.T) {
	b, err := broker.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	dir := t.TempDir()
	c := collectortest.StartTest(t, dir, collectortest.Opts{Broker: b.URL(), ClientID: "collectortest",
		ReadyWithin: 10 * time.Second, StopWithin: 15 * time.Second})
	if c.Config.Store.Path != filepath.Join(dir, "collector.db") {
		t.Errorf("store %s, want collector.db in %s", c.Config.Store.Path, dir)
	}
	if addr := c.HTTPAddr(); !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Errorf("HTTPAddr = %s, want a bound loopback port", addr)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop = %v", err)
	}
}

// A collector whose Run fails before it is ready is Start's error: here
// the store file is the config, which is no bbolt file.
func TestStartReturnsRunsError(t *testing.T) {
	c, err := collectortest.Start(t.TempDir(), collectortest.Opts{Broker: "tcp://127.0.0.1:1", ClientID: "collectortest",
		StoreFile: "collector.yaml", ReadyWithin: 10 * time.Second})
	if err == nil {
		c.Stop()
		t.Fatal("Start = nil, want the store's error")
	}
	if !strings.Contains(err.Error(), "collector: ") || !strings.Contains(err.Error(), "collector.yaml") {
		t.Errorf("Start = %v, want Run's error", err)
	}
}
