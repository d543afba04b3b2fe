package load

import (
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

func encoded(t *testing.T, b telemetry.Batch) []byte {
	t.Helper()
	p, err := telemetry.EncodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func recordsN(n int) []telemetry.Record {
	out := make([]telemetry.Record, n)
	for i := range out {
		out[i] = telemetry.Record{Seq: uint64(i + 1), Reading: telemetry.Reading{Sensor: "s", Quantity: telemetry.PM10,
			Value: 1.5, Time: time.UnixMilli(1_700_000_000_000 + int64(i))}}
	}
	return out
}

// TestBatchReadings checks the header count against the codec for every
// width of CBOR array head, both wire forms and a condensed block.
func TestBatchReadings(t *testing.T) {
	const long = "device-with-a-name-longer-than-twenty-three-bytes"
	tests := []struct {
		name string
		b    telemetry.Batch
		want int
	}{
		{"one record, short form", telemetry.Batch{Device: "a", Records: recordsN(1)}, 1},
		{"23 records (head in one byte)", telemetry.Batch{Device: "a", Records: recordsN(23), Incarnation: 7}, 23},
		{"24 records (head and one byte)", telemetry.Batch{Device: "a", Records: recordsN(24), Incarnation: 7}, 24},
		{"256 records (head and two bytes)", telemetry.Batch{Device: "a", Records: recordsN(256), Incarnation: 1 << 40}, 256},
		{"10000 records, replay, long id", telemetry.Batch{Device: long, Records: recordsN(10000), Replay: true, Incarnation: 3}, 10000},
		{"condensed only", telemetry.Batch{Device: "a", Incarnation: 9, Condensed: []telemetry.Condensed{{
			Range: telemetry.Range{First: 1, Last: 2}, Aggregates: []telemetry.Aggregate{{Sensor: "s", Quantity: telemetry.PM10,
				Minute: time.UnixMilli(1_700_000_040_000), Count: 2, Min: 1, Max: 2, Mean: 1.5}}}}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := encoded(t, tt.b)
			got, ok := batchReadings(p)
			if !ok || got != tt.want {
				t.Fatalf("batchReadings = %d, %v; want %d, true", got, ok, tt.want)
			}
			if b, err := telemetry.DecodeBatch(p); err != nil || len(b.Records) != tt.want {
				t.Fatalf("the codec reads %d records (err %v): the test's batch is wrong", len(b.Records), err)
			}
		})
	}
}

func TestBatchReadingsRejects(t *testing.T) {
	good := encoded(t, telemetry.Batch{Device: "abc", Records: recordsN(30), Incarnation: 5})
	ack, err := telemetry.EncodeAck(telemetry.Ack{Device: "abc", Ranges: telemetry.Ranges{{First: 1, Last: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    []byte
	}{
		{"empty", nil},
		{"another version", append([]byte{telemetry.Version + 1}, good[1:]...)},
		{"an ack", ack},
		{"cut inside the device id", good[:5]},
		{"cut before the records head", good[:3+1+3+1]},
		{"cut inside the records head", good[:3+1+3+1+1]},
		{"not an array", append([]byte{telemetry.Version, 'B', 0xa1}, good[3:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n, ok := batchReadings(tt.p); ok {
				t.Fatalf("batchReadings(%x) = %d, true; want false", tt.p, n)
			}
		})
	}
}

func TestHistogram(t *testing.T) {
	var h Histogram
	if got := h.Quantile(0.5); got != 0 {
		t.Fatalf("empty histogram's median = %v, want 0", got)
	}
	// 98 samples of 1 ms and one each of 100 ms and 1 s.
	for range 98 {
		h.Add(time.Millisecond)
	}
	h.Add(100 * time.Millisecond)
	h.Add(time.Second)
	if h.Count() != 100 {
		t.Fatalf("Count = %d, want 100", h.Count())
	}
	// Each quantile is the upper bound of its sample's 2 % bucket.
	for _, tt := range []struct {
		q        float64
		sample   time.Duration
		min, max time.Duration
	}{
		{0.5, time.Millisecond, time.Millisecond, time.Millisecond * 102 / 100},
		{0.98, time.Millisecond, time.Millisecond, time.Millisecond * 102 / 100},
		{0.99, 100 * time.Millisecond, 100 * time.Millisecond, 102 * time.Millisecond},
		{1, time.Second, time.Second, 1020 * time.Millisecond},
	} {
		got := h.Quantile(tt.q)
		if got <= tt.min || got > tt.max {
			t.Errorf("Quantile(%v) = %v, want the bucket bound just above %v (at most %v)", tt.q, got, tt.sample, tt.max)
		}
	}
	if b := bucket(0); b != 0 {
		t.Errorf("bucket(0) = %d, want 0", b)
	}
	if b := bucket(time.Hour); b != histBuckets-1 {
		t.Errorf("bucket(1h) = %d, want the last, %d", b, histBuckets-1)
	}
}

func TestMonitorKeepsBrokerCounters(t *testing.T) {
	m := &Monitor{v: map[string]int64{}}
	m.on("$SYS/broker/messages/inflight", []byte("42"))
	m.on("$SYS/broker/messages/dropped", []byte(" 7\n"))
	m.on("$SYS/broker/version", []byte("mochi v2.7.9"))
	m.on("xiuhua/v1/dev/a/up", []byte("3"))
	m.on("$SYS/broker/messages/inflight", []byte("40"))
	for _, tt := range []struct {
		name string
		v    int64
		ok   bool
	}{
		{SysInflight, 40, true},
		{SysDropped, 7, true},
		{"version", 0, false},
		{SysSent, 0, false},
	} {
		if v, ok := m.Get(tt.name); v != tt.v || ok != tt.ok {
			t.Errorf("Get(%q) = %d, %v; want %d, %v", tt.name, v, ok, tt.v, tt.ok)
		}
	}
}
