package postgres

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/telemetry"
)

// BenchmarkAppend measures Appends of new records in batches of 500, the
// collector's steady state: one device per call, and 100 devices' batches
// grouped in one call as ingest groups MQTT messages. The bolt backend
// runs the same loads in the same run, for comparison; both commit
// durably (bolt fsyncs, PostgreSQL flushes its WAL).
func BenchmarkAppend(b *testing.B) {
	backends := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"postgres", func(b *testing.B) store.Store { return openTest(b, newDatabase(b), nil) }},
		{"bolt", func(b *testing.B) store.Store {
			db, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db
		}},
	}
	for _, be := range backends {
		for _, devices := range []int{1, 100} {
			b.Run(fmt.Sprintf("%s/devices=%d", be.name, devices), func(b *testing.B) {
				benchmarkAppend(b, be.open(b), devices)
			})
		}
	}
}

func benchmarkAppend(b *testing.B, s store.Store, devices int) {
	const perBatch = 500
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	batches := make([]telemetry.Batch, devices)
	for i := range batches {
		batches[i] = telemetry.Batch{Device: fmt.Sprintf("bench-%03d", i), Incarnation: 0x5eed,
			Records: make([]telemetry.Record, perBatch)}
	}
	seq := uint64(0)
	b.ReportAllocs()
	for b.Loop() {
		for i := range perBatch {
			seq++
			for _, bt := range batches {
				bt.Records[i] = telemetry.Record{Seq: seq, Reading: telemetry.Reading{
					Sensor: "dust", Quantity: telemetry.PM2_5, Value: float64(seq % 300),
					Time: start.Add(time.Duration(seq) * time.Second),
				}}
			}
		}
		// Arriving as the last is read: nothing is in the future, so
		// every reading is rolled up too.
		if _, err := s.Append(ctx, start.Add(time.Duration(seq)*time.Second), batches...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*perBatch*devices)/b.Elapsed().Seconds(), "readings/s")
}
