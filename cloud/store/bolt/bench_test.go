package bolt_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store/bolt"
	"github.com/xiuhua/xiuhua/telemetry"
)

// BenchmarkAppend measures one Append (one fsync) of a 100-record batch of
// new records, the collector's steady state: they arrive as they are
// taken, so that none is flagged future and every one is summed into its
// hour's rollup.
func BenchmarkAppend(b *testing.B) {
	const perBatch = 100
	db, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	batch := telemetry.Batch{Device: "bench", Records: make([]telemetry.Record, perBatch)}
	seq := uint64(0)
	b.ReportAllocs()
	for b.Loop() {
		for i := range batch.Records {
			seq++
			batch.Records[i] = telemetry.Record{Seq: seq, Reading: telemetry.Reading{
				Sensor: "dust", Quantity: telemetry.PM2_5, Value: float64(seq % 300),
				Time: start.Add(time.Duration(seq) * time.Second),
			}}
		}
		if _, err := db.Append(ctx, batch.Records[perBatch-1].Time, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*perBatch)/b.Elapsed().Seconds(), "records/s")
}
