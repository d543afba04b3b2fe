package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/xiuhua/xiuhua/agent"
	"github.com/xiuhua/xiuhua/agent/outbox"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/telemetry"
)

// BacklogDrain fills an agent's outbox with n readings, as a long outage
// would, then starts the agent against the embedded broker and the real
// collector and times until the collector holds every one of them and the
// agent's outbox is empty (acknowledged end to end).
func BacklogDrain(dir string, n int, limit time.Duration) (Row, error) {
	obPath := filepath.Join(dir, "drain-outbox.db")
	ob, err := outbox.Open(obPath, nil)
	if err != nil {
		return Row{}, err
	}
	t0 := time.Now().Add(-24 * time.Hour)
	chunk := make([]telemetry.Reading, 5000)
	for done := 0; done < n; done += len(chunk) {
		for i := range chunk {
			k := done + i
			chunk[i] = telemetry.Reading{Sensor: "dust0", Quantity: []telemetry.Quantity{telemetry.PM1, telemetry.PM2_5, telemetry.PM10}[k%3],
				Value: float64(k % 200), Time: t0.Add(time.Duration(k) * 86 * time.Millisecond)}
		}
		if _, err := ob.Append(context.Background(), chunk[:min(len(chunk), n-done)]...); err != nil {
			ob.Close()
			return Row{}, err
		}
	}
	ob.Close()

	r, err := newRig(dir)
	if err != nil {
		return Row{}, err
	}
	defer r.close()
	port, err := r.dustSensor()
	if err != nil {
		return Row{}, err
	}
	cfgPath := filepath.Join(dir, "drain-agent.yaml")
	os.WriteFile(cfgPath, []byte(agentYAML("drain-1", obPath, r.broker.URL(), []string{port},
		", batch_max: 2000, max_in_flight: 8, ack_timeout: 30s")), 0o640)
	cfg, err := configs.LoadAgent(cfgPath)
	if err != nil {
		return Row{}, err
	}
	a, err := agent.New(cfg, board.New(), agent.Opts{})
	if err != nil {
		return Row{}, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := start.Add(10 * limit)
	for {
		d, ok := r.device("drain-1")
		st, _ := a.Status()
		backlogGone := st.Outbox.NextSeq > 0 && (st.Outbox.Depth == 0 || st.Outbox.OldestSeq > uint64(n))
		if ok && d.SeqHigh >= uint64(n) && len(d.Missing) == 0 && backlogGone {
			break
		}
		if time.Now().After(deadline) {
			return Row{}, fmt.Errorf("backlog drain: not done after %v: collector %+v, outbox %+v", 10*limit, d, st.Outbox)
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(start)
	return Row{Measure: fmt.Sprintf("backlog drain, %s readings acked end to end", num(float64(n))), Value: took.Seconds(), Unit: "s",
		Peer: fmt.Sprintf("limit %v", limit), Ratio: took.Seconds() / limit.Seconds(), Goal: "≤ 1.00", OK: took <= limit}, nil
}
