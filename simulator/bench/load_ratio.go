package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/xiuhua/xiuhua/simulator/load"
)

// CollectorVsNull offers the same load through the same embedded broker
// first to a null subscriber (paho, counting readings from the batch
// headers) and then to the real collector (bbolt, durable, acknowledging
// each batch after its commit), runs times, and compares the medians of
// the null subscriber's receive rate and the collector's rate of readings
// stored and acknowledged (counted from its acks by the generator), each
// over meas after warm.
func CollectorVsNull(dir string, shape LoadShape, warm, meas time.Duration, runs int, say func(string, ...any)) (Row, error) {
	var nulls, cols []float64
	for run := range runs {
		r, err := startLoadRig("", false)
		if err != nil {
			return Row{}, err
		}
		n, err := nullRate(r, shape, fmt.Sprintf("n%d-", run), warm, meas)
		if err != nil {
			r.close()
			return Row{}, err
		}
		r.close()
		nulls = append(nulls, n)

		r, err = startLoadRig(filepath.Join(dir, fmt.Sprintf("ratio-%d", run)), true)
		if err != nil {
			return Row{}, err
		}
		c, err := collectorRate(r, shape, fmt.Sprintf("c%d-", run), warm, meas)
		if cerr := r.close(); err == nil && cerr != nil {
			err = fmt.Errorf("collector: %w", cerr)
		}
		if err != nil {
			return Row{}, err
		}
		cols = append(cols, c)
		say("bench:   run %d: null subscriber %s readings/s, collector %s", run+1, num(n), num(c))
	}
	c, n := median(cols), median(nulls)
	return Row{Measure: fmt.Sprintf("collector ingest, stored+acked (%s, fresh store, median of %d)", shape, runs), Value: c, Unit: "readings/s",
		Peer: fmt.Sprintf("null subscriber %s/s", num(n)), Ratio: c / n, Goal: "≥ 0.7", OK: c/n >= 0.7}, nil
}

func nullRate(r *loadRig, shape LoadShape, prefix string, warm, meas time.Duration) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	var n *load.NullSubscriber
	var err error
	labelled("null", func() { n, err = load.DialNull(ctx, r.broker.URL(), prefix+"null") })
	cancel()
	if err != nil {
		return 0, err
	}
	defer n.Close()
	g, err := newGenerator(r, shape, prefix, 0)
	if err != nil {
		return 0, err
	}
	stop := runGenerator(g)
	time.Sleep(warm)
	r0, t0 := n.Readings(), time.Now()
	time.Sleep(meas)
	r1, t1 := n.Readings(), time.Now()
	if err := stop(); err != nil {
		return 0, err
	}
	if m := n.Malformed(); m > 0 {
		return 0, fmt.Errorf("null subscriber: %d payloads were not batches", m)
	}
	return float64(r1-r0) / t1.Sub(t0).Seconds(), nil
}

func collectorRate(r *loadRig, shape LoadShape, prefix string, warm, meas time.Duration) (float64, error) {
	g, err := newGenerator(r, shape, prefix, 0)
	if err != nil {
		return 0, err
	}
	stop := runGenerator(g)
	time.Sleep(warm)
	a0, t0 := g.Stats().Acked, time.Now()
	time.Sleep(meas)
	a1, t1 := g.Stats().Acked, time.Now()
	if err := stop(); err != nil {
		return 0, err
	}
	if f := g.Stats().Foreign; f > 0 {
		return 0, fmt.Errorf("%d acks named another incarnation", f)
	}
	return float64(a1-a0) / t1.Sub(t0).Seconds(), nil
}

// newGenerator is the shape's load on r's broker; hot > 0 injects a
// threshold-crossing reading that often.
func newGenerator(r *loadRig, shape LoadShape, prefix string, hot time.Duration) (*load.Generator, error) {
	return load.New(load.Opts{Broker: r.broker.Addr(), Devices: shape.Devices, PerBatch: shape.PerBatch, Interval: shape.Interval,
		Prefix: prefix, Username: "load-gateway", Hot: hot, HotValue: hotValue})
}
