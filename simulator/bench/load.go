package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/pprof"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/cloud/collector/collectortest"
	"github.com/xiuhua/xiuhua/internal/gcpolicy"
	"github.com/xiuhua/xiuhua/simulator/broker"
	"github.com/xiuhua/xiuhua/simulator/load"
	"github.com/xiuhua/xiuhua/simulator/sink"
	"github.com/xiuhua/xiuhua/telemetry"
)

// LoadShape is the traffic of the load rows: Devices devices, each sending
// a batch of PerBatch readings every Interval.
type LoadShape struct {
	Devices  int
	PerBatch int
	Interval time.Duration
}

// CityShape is the default: 100,000 devices, each sampling ten quantities
// every 10 s and sending them as one batch (an elevator monitor's
// acceleration, rates, temperature, pressure, door and presence; a dust
// station's particle sizes and weather) — 100,000 readings/s in 10,000
// messages/s.
var CityShape = LoadShape{Devices: 100_000, PerBatch: 10, Interval: 10 * time.Second}

// Rate is the shape's offered load in readings per second.
func (s LoadShape) Rate() float64 { return float64(s.Devices*s.PerBatch) / s.Interval.Seconds() }

func (s LoadShape) String() string {
	return fmt.Sprintf("%s devices × %d readings / %v", num(float64(s.Devices)), s.PerBatch, s.Interval)
}

// The load plan: one threshold every reading is judged by, opening at
// once (for: 0) when a hot reading crosses it and clearing on the next.
const (
	loadPlan = `id: load-bench
title: "Load bench: a PM10 spike on any device"
source: "simulator/bench, not a district's plan"
kind: plan
rules:
  - id: pm10-spike
    title: "PM10 above 500 µg/m³"
    kind: threshold
    quantity: pm10
    above: 500
    clear: 400
    category: dust
    severity: warning
`
	hotValue = 900 // µg/m³: crosses the plan's 500; the base load stays within 30–50
)

// loadRig is an embedded broker and, when asked for, the real collector
// with the load plan and an office webhook sink, all in this process.
type loadRig struct {
	restoreGC func() // the collector processes' GC policy, for the rig's life
	broker    *broker.Broker
	sink      *sink.Sink
	col       *collectortest.Collector
}

// startLoadRig starts a broker and, with a collector, a sink and a
// collector storing in dir (bbolt, the embedded default).
//
// Each part runs under a pprof label (part=broker, collector, sink; the
// generator and the null subscriber label theirs), which its goroutines
// inherit, so that a CPU profile tells them apart: go tool pprof -tags.
//
// While the rig runs the process has the collector's GC policy
// (internal/gcpolicy), as xiuhua-collector does, with or without the
// collector: the null subscriber it is compared with runs under the same.
func startLoadRig(dir string, withCollector bool) (*loadRig, error) {
	restoreGC := gcpolicy.Scoped()
	var b *broker.Broker
	var err error
	labelled("broker", func() { b, err = broker.Start("127.0.0.1:0", nil) })
	if err != nil {
		restoreGC()
		return nil, err
	}
	r := &loadRig{broker: b, restoreGC: restoreGC}
	if !withCollector {
		return r, nil
	}
	labelled("sink", func() { r.sink, err = sink.Start("127.0.0.1:0", nil) })
	if err != nil {
		r.close()
		return nil, err
	}
	// The collector's goroutines are started inside labelled, and so
	// carry its label.
	labelled("collector", func() {
		r.col, err = collectortest.Start(dir, collectortest.Opts{Broker: b.URL(), ClientID: "load-collector",
			ConfigFile: "load-collector.yaml", StoreFile: "load-collector.db",
			Plans:    []collectortest.Plan{{File: "load-plan.yaml", Data: []byte(loadPlan)}},
			Webhooks: []collectortest.Webhook{{Name: "office-sink", URL: r.sink.URL()}}})
	})
	if err != nil {
		r.close()
		return nil, err
	}
	// Ready is closed before the broker link is up: wait until a probe
	// batch is stored, so that no load is offered before the collector
	// has subscribed.
	if err := r.probe(10 * time.Second); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// probe publishes a batch of one reading from device "load-probe" until
// the collector has stored it.
func (r *loadRig) probe(limit time.Duration) error {
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(r.broker.URL()).SetClientID("load-probe"))
	if tok := c.Connect(); !tok.WaitTimeout(limit) || tok.Error() != nil {
		return fmt.Errorf("probe: connect: %v", tok.Error())
	}
	defer c.Disconnect(0)
	p, err := telemetry.EncodeBatch(telemetry.Batch{Device: "load-probe", Records: []telemetry.Record{{Seq: 1,
		Reading: telemetry.Reading{Sensor: "probe", Quantity: telemetry.Temperature, Value: 20, Time: time.Now()}}}})
	if err != nil {
		return err
	}
	for deadline := time.Now().Add(limit); ; {
		c.Publish(telemetry.UpTopic("load-probe"), 1, false, p).WaitTimeout(time.Second)
		time.Sleep(50 * time.Millisecond)
		if r.col.IngestStats().Batches > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("probe: the collector stored nothing within %v", limit)
		}
	}
}

func (r *loadRig) close() error {
	var err error
	if r.col != nil {
		err = r.col.Stop()
	}
	if r.sink != nil {
		r.sink.Close()
	}
	r.broker.Close()
	r.restoreGC()
	return err
}

// runGenerator starts g and returns a stop function that ends it and
// returns its error.
func runGenerator(g *load.Generator) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	labelled("generator", func() { go func() { done <- g.Run(ctx) }() })
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
}

// labelled runs f with the pprof label part=name; goroutines f starts
// inherit it.
func labelled(name string, f func()) {
	pprof.Do(context.Background(), pprof.Labels("part", name), func(context.Context) { f() })
}

// opened is when the office sink received each device's alert.opened
// message, by device.
func opened(s *sink.Sink) map[string]receipt {
	out := map[string]receipt{}
	for _, rec := range s.Received() {
		var m struct {
			Event string `json:"event"`
			Alert struct {
				Device string    `json:"device"`
				Opened time.Time `json:"opened"`
				Raised time.Time `json:"raised"`
			} `json:"alert"`
		}
		if json.Unmarshal(rec.Body, &m) != nil || m.Event != "alert.opened" {
			continue
		}
		if _, ok := out[m.Alert.Device]; !ok {
			out[m.Alert.Device] = receipt{at: rec.At, opened: m.Alert.Opened, raised: m.Alert.Raised}
		}
	}
	return out
}

// receipt is an alert.opened message the office sink received: when, the
// alert's event time, and when the collector raised it.
type receipt struct{ at, opened, raised time.Time }

// LoadOpts sizes the load rows.
type LoadOpts struct {
	Shape LoadShape // zero means CityShape
	// Long runs the sustained row for 5 minutes instead of 60 s.
	Long  bool
	Quick bool // a smoke run: short windows, a tenth of the load
	// SustainedOnly skips the ratio row.
	SustainedOnly bool
	// CPUProfile, when set, receives a CPU profile of the sustained
	// window.
	CPUProfile string
}

// Load measures the collector under a city's load: the ingest rate
// beside a null subscriber's, the sustained rate and its backlogs, and
// the alert latency under that load.
func Load(dir string, o LoadOpts, say func(format string, args ...any)) []Row {
	shape := o.Shape
	if shape == (LoadShape{}) {
		shape = CityShape
	}
	warm, meas, runs := 5*time.Second, 15*time.Second, 3
	// The warm-up is long enough for the store to reach its steady state:
	// in the first minute or so a device's readings fit in its bucket's
	// first page, and a commit writes a page a batch fewer than it will.
	// A hot reading every 50 ms gives 1,200 alerts a minute: the p99 is
	// then the 12th slowest, not the 3rd of 300, which one stall decided
	// (runs of the same code ranged 1.3–1.9 times apart with 300).
	so := SustainedOpts{Shape: shape, Warm: 90 * time.Second, Window: time.Minute, Hot: 50 * time.Millisecond,
		CPUProfile: o.CPUProfile, Trace: say}
	if o.Long {
		so.Window = 5 * time.Minute
	}
	if o.Quick {
		shape.Devices /= 10
		so.Shape = shape
		warm, meas, runs = 2*time.Second, 3*time.Second, 1
		so.Warm, so.Window, so.Hot = 2*time.Second, 10*time.Second, 50*time.Millisecond
	}
	var rows []Row
	if !o.SustainedOnly {
		say("bench: collector ingest vs a null subscriber (%s)…", shape)
		r, err := CollectorVsNull(dir, shape, warm, meas, runs, say)
		if err != nil {
			say("bench: collector vs null subscriber: %v", err)
			r = Row{Measure: "collector ingest vs null subscriber", Note: err.Error()}
		}
		rows = append(rows, r)
	}
	say("bench: sustained load for %v after %v with alerts…", so.Window, so.Warm)
	rs, err := SustainedLoad(dir, so)
	if err != nil {
		say("bench: sustained load: %v", err)
		rs = []Row{{Measure: "sustained load", Note: err.Error()}}
	}
	return append(rows, rs...)
}
