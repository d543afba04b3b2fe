package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/agent/outbox"
	"github.com/xiuhua/xiuhua/telemetry"
)

// OutboxVsBolt measures the outbox's commit rate (Append of batches of
// batch readings, each durable on return) against a raw bbolt sequential
// insert of the same encoded records in the same batches (one Update per
// batch), interleaving the runs so that both see the same machine.
func OutboxVsBolt(dir string, total, batch, runs int) (Row, error) {
	var ob, raw []float64
	readings := make([]telemetry.Reading, batch)
	for i := range readings {
		readings[i] = telemetry.Reading{Sensor: "dust", Quantity: telemetry.PM2_5, Value: float64(i%300) / 3,
			Time: time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)}
	}
	for r := 0; r < runs; r++ {
		rate, err := outboxRate(filepath.Join(dir, fmt.Sprintf("outbox-%d.db", r)), readings, total)
		if err != nil {
			return Row{}, err
		}
		ob = append(ob, rate)
		rate, err = boltRate(filepath.Join(dir, fmt.Sprintf("raw-%d.db", r)), readings, total)
		if err != nil {
			return Row{}, err
		}
		raw = append(raw, rate)
	}
	o, b := median(ob), median(raw)
	return Row{Measure: fmt.Sprintf("outbox commit rate (batches of %d)", batch), Value: o, Unit: "readings/s",
		Peer: fmt.Sprintf("raw bbolt %s/s", num(b)), Ratio: o / b, Goal: "≥ 0.5", OK: o/b >= 0.5}, nil
}

func outboxRate(path string, readings []telemetry.Reading, total int) (float64, error) {
	defer os.Remove(path)
	ob, err := outbox.Open(path, nil)
	if err != nil {
		return 0, err
	}
	defer ob.Close()
	start := time.Now()
	for n := 0; n < total; n += len(readings) {
		if _, err := ob.Append(context.Background(), readings...); err != nil {
			return 0, err
		}
	}
	return float64(total) / time.Since(start).Seconds(), nil
}

func boltRate(path string, readings []telemetry.Reading, total int) (float64, error) {
	defer os.Remove(path)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var seq uint64
	start := time.Now()
	for n := 0; n < total; n += len(readings) {
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("data"))
			if err != nil {
				return err
			}
			for _, r := range readings {
				seq++
				v, err := telemetry.MarshalRecord(telemetry.Record{Seq: seq, Reading: r})
				if err != nil {
					return err
				}
				if err := b.Put(binary.BigEndian.AppendUint64(nil, seq), v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return float64(total) / time.Since(start).Seconds(), nil
}
