package bolt

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// BenchmarkAppendNoSync measures Append without the fsync that dominates
// BenchmarkAppend and varies with the disk: the work Append itself does,
// rollups included. Each op is one 100-record batch of new records that
// arrive as they are taken (so that none is flagged future and every one
// is summed into its hour).
func BenchmarkAppendNoSync(b *testing.B) {
	tests := []struct {
		name    string
		sensors uint64        // streams the records cycle through
		step    time.Duration // between consecutive records
	}{
		// The steady state: one stream, a batch spans one or two hours.
		{"one stream", 1, time.Second},
		// The worst case: nearly every record starts an hour of a stream.
		{"an hour per record", 10, 7 * time.Minute},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			const perBatch = 100
			db, err := Open(filepath.Join(b.TempDir(), "bench.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.bdb.NoSync = true
			ctx := context.Background()
			start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			sensors := []string{"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"}
			batch := telemetry.Batch{Device: "bench", Records: make([]telemetry.Record, perBatch)}
			seq := uint64(0)
			b.ReportAllocs()
			for b.Loop() {
				for i := range batch.Records {
					seq++
					batch.Records[i] = telemetry.Record{Seq: seq, Reading: telemetry.Reading{
						Sensor: sensors[seq%tc.sensors], Quantity: telemetry.PM2_5, Value: float64(seq % 300),
						Time: start.Add(time.Duration(seq) * tc.step),
					}}
				}
				if _, err := db.Append(ctx, batch.Records[perBatch-1].Time, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*perBatch)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
