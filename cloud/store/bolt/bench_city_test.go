package bolt

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// BenchmarkAppendCity measures Append without fsync (see
// BenchmarkAppendNoSync) in the shape of the load bench: many devices,
// each sending a batch of 10 readings of one stream, one commit taking
// 1024 batches of as many devices, in a fixed random order (devices at
// random phases), as the collector's ingest groups them under load. Each
// op is one commit.
func BenchmarkAppendCity(b *testing.B) {
	const devices, perBatch, group = 20_000, 10, 1024
	db, err := Open(filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.bdb.NoSync = true
	ctx := context.Background()
	ids := make([]string, devices)
	for d := range ids {
		ids[d] = fmt.Sprintf("load-%07d", d)
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(devices, func(a, b int) { ids[a], ids[b] = ids[b], ids[a] })
	seq := make([]uint64, devices)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	batches := make([]telemetry.Batch, group)
	d := 0
	before := db.bdb.Stats().TxStats
	b.ReportAllocs()
	for b.Loop() {
		for i := range batches {
			recs := make([]telemetry.Record, perBatch)
			for k := range recs {
				seq[d]++
				recs[k] = telemetry.Record{Seq: seq[d], Reading: telemetry.Reading{Sensor: "load", Quantity: telemetry.PM10,
					Value: float64(seq[d] % 97), Time: start.Add(time.Duration(seq[d]) * time.Second)}}
			}
			batches[i] = telemetry.Batch{Device: ids[d], Records: recs, Incarnation: uint64(d) + 1}
			d = (d + 1) % devices
		}
		if _, err := db.Append(ctx, batches[0].Records[perBatch-1].Time, batches...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*group*perBatch)/b.Elapsed().Seconds(), "records/s")
	// Pages written per batch: the copy-on-write cost of touching a
	// device's readings, state and rollups.
	after := db.bdb.Stats().TxStats
	b.ReportMetric(float64(after.GetWrite()-before.GetWrite())/float64(b.N*group), "pages/batch")
}
