package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Values in the rollup tests are multiples of 1/4, so that every sum is
// exact in whatever order a backend adds.

// reading is record seq of sensor's quantity at t0+at.
func reading(seq uint64, sensor string, q telemetry.Quantity, value float64, at time.Duration) telemetry.Record {
	return telemetry.Record{Seq: seq, Reading: telemetry.Reading{Sensor: sensor, Quantity: q, Value: value, Time: t0.Add(at)}}
}

// minutes sets the bits of the given minutes.
func minutes(ms ...int) uint64 {
	var bits uint64
	for _, m := range ms {
		bits |= 1 << m
	}
	return bits
}

// hour is the start of t0's hour plus h hours.
func hour(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }

func rollupsOK(t *testing.T, s store.Store, q store.RollupQuery) []store.Rollup {
	t.Helper()
	rs, err := s.Rollups(context.Background(), q)
	if err != nil {
		t.Fatalf("Rollups(%+v): %v", q, err)
	}
	return rs
}

func checkRollups(t *testing.T, what string, got, want []store.Rollup) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rollups %s, want %d %s", what, len(got), fmtRollups(got), len(want), fmtRollups(want))
		return
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Hour.Equal(w.Hour) || g.Device != w.Device || g.Sensor != w.Sensor || g.Quantity != w.Quantity ||
			g.Count != w.Count || g.Sum != w.Sum || g.Min != w.Min || g.Max != w.Max || g.Minutes != w.Minutes {
			t.Errorf("%s: rollup %d = %s, want %s", what, i, fmtRollup(g), fmtRollup(w))
		}
	}
}

func fmtRollup(r store.Rollup) string {
	return fmt.Sprintf("{%s %s/%s %s count=%d sum=%g min=%g max=%g minutes=%#x}",
		r.Device, r.Sensor, r.Quantity, r.Hour.UTC().Format(time.RFC3339Nano), r.Count, r.Sum, r.Min, r.Max, r.Minutes)
}

func fmtRollups(rs []store.Rollup) string {
	s := "["
	for i, r := range rs {
		if i > 0 {
			s += " "
		}
		s += fmtRollup(r)
	}
	return s + "]"
}

// rollupFixture is what testRollups stores, and the rollups it makes.
func rollupFixture() (north, south telemetry.Batch, want map[string]store.Rollup) {
	const lvl, pm10, pm25 = telemetry.WaterLevel, telemetry.PM10, telemetry.PM2_5
	ms := time.Millisecond
	north = telemetry.Batch{Device: "north", Records: []telemetry.Record{
		reading(1, "level", lvl, 1.5, 0),
		reading(2, "level", lvl, 2.5, 30*time.Second),
		reading(3, "level", lvl, 4, time.Hour-ms),       // the hour's last millisecond, minute 59
		reading(4, "level", lvl, 0.5, time.Hour),        // the next hour's first
		reading(5, "level", lvl, 8.25, 77*time.Minute),  // 09:17
		reading(6, "level", lvl, -2.5, -ms),             // 07:59:59.999
		reading(7, "dust", pm10, 30, 5*time.Minute),     // another sensor
		reading(8, "dust", pm25, 12, 5*time.Minute+ms),  // the same sensor, another quantity
		reading(9, "gauge", lvl, 7, 20*time.Minute),     // another sensor of the same quantity
		reading(10, "level", lvl, 3, 12*time.Minute),    // ClockCorrected counts
		reading(11, "level", lvl, 1, 14*time.Minute),    // a device's FutureTime is cleared: counts
		reading(12, "level", lvl, 100, 10*time.Minute),  // Suspect
		reading(13, "level", lvl, 200, 11*time.Minute),  // ClockUnsynced
		reading(14, "level", lvl, 300, 2*time.Hour),     // flagged FutureTime on arrival at 09:30
		reading(15, "level", lvl, 400, 13*time.Minute),  // Warming
		reading(16, "level", lvl, 500, 15*time.Minute),  // Bad
		reading(17, "level", lvl, 600, 16*time.Minute),  // ClockUnsynced|ClockCorrected
		reading(18, "level", lvl, 700, 150*time.Minute), // FutureTime on arrival, and sent as such
	}}
	r := north.Records
	r[9].Flags = telemetry.ClockCorrected
	r[10].Flags = telemetry.FutureTime
	r[11].Quality = telemetry.Suspect
	r[12].Flags = telemetry.ClockUnsynced
	r[14].Quality = telemetry.Warming
	r[15].Quality = telemetry.Bad
	r[16].Flags = telemetry.ClockUnsynced | telemetry.ClockCorrected
	r[17].Flags = telemetry.FutureTime
	south = telemetry.Batch{Device: "south", Records: []telemetry.Record{
		reading(1, "level", lvl, 9.75, 59*time.Minute),
		reading(2, "level", lvl, 10.25, 59*time.Minute+30*time.Second),
	}}
	want = map[string]store.Rollup{
		"north level 07": {Device: "north", Sensor: "level", Quantity: lvl, Hour: hour(-1),
			Count: 1, Sum: -2.5, Min: -2.5, Max: -2.5, Minutes: minutes(59)},
		"north level 08": {Device: "north", Sensor: "level", Quantity: lvl, Hour: hour(0),
			Count: 5, Sum: 12, Min: 1, Max: 4, Minutes: minutes(0, 12, 14, 59)},
		"north level 09": {Device: "north", Sensor: "level", Quantity: lvl, Hour: hour(1),
			Count: 2, Sum: 8.75, Min: 0.5, Max: 8.25, Minutes: minutes(0, 17)},
		"north gauge 08": {Device: "north", Sensor: "gauge", Quantity: lvl, Hour: hour(0),
			Count: 1, Sum: 7, Min: 7, Max: 7, Minutes: minutes(20)},
		"north pm10 08": {Device: "north", Sensor: "dust", Quantity: pm10, Hour: hour(0),
			Count: 1, Sum: 30, Min: 30, Max: 30, Minutes: minutes(5)},
		"north pm2.5 08": {Device: "north", Sensor: "dust", Quantity: pm25, Hour: hour(0),
			Count: 1, Sum: 12, Min: 12, Max: 12, Minutes: minutes(5)},
		"south level 08": {Device: "south", Sensor: "level", Quantity: lvl, Hour: hour(0),
			Count: 2, Sum: 20, Min: 9.75, Max: 10.25, Minutes: minutes(59)},
	}
	return north, south, want
}

func testRollups(t *testing.T, open opener) {
	s := open(t)
	north, south, w := rollupFixture()
	// Records after 09:35 are in the future.
	arrived := t0.Add(90 * time.Minute)
	appendOK(t, s, arrived, north, south)
	appendOK(t, s, arrived, batch("other", 1)) // a device with nothing but rec(1)
	pick := func(names ...string) []store.Rollup {
		out := make([]store.Rollup, len(names))
		for i, n := range names {
			out[i] = w[n]
		}
		return out
	}
	lvl := telemetry.WaterLevel
	ms := time.Millisecond
	// rec(1) of "other", which sorts between "north" and "south".
	other := store.Rollup{Device: "other", Sensor: "level", Quantity: lvl, Hour: hour(0), Count: 1, Sum: 1.25, Min: 1.25, Max: 1.25, Minutes: minutes(0)}
	tests := []struct {
		name string
		q    store.RollupQuery
		want []store.Rollup
	}{
		{"every device, by device, sensor and hour", store.RollupQuery{Quantity: lvl, From: hour(-5), To: hour(5)},
			append(pick("north gauge 08", "north level 07", "north level 08", "north level 09"), other, w["south level 08"])},
		{"one device", store.RollupQuery{Devices: []string{"south"}, Quantity: lvl, From: hour(-5), To: hour(5)},
			pick("south level 08")},
		{"devices in any order", store.RollupQuery{Devices: []string{"south", "north"}, Quantity: lvl, From: hour(0), To: hour(1)},
			pick("north gauge 08", "north level 08", "south level 08")},
		{"unknown device", store.RollupQuery{Devices: []string{"nobody"}, Quantity: lvl, From: hour(-5), To: hour(5)}, nil},
		{"another quantity", store.RollupQuery{Quantity: telemetry.PM10, From: hour(-5), To: hour(5)}, pick("north pm10 08")},
		{"the sensor's other quantity", store.RollupQuery{Devices: []string{"north"}, Quantity: telemetry.PM2_5, From: hour(-5), To: hour(5)},
			pick("north pm2.5 08")},
		{"a quantity nobody measured", store.RollupQuery{Quantity: telemetry.Humidity, From: hour(-5), To: hour(5)}, nil},
		{"from is inclusive, to exclusive", store.RollupQuery{Devices: []string{"north"}, Quantity: lvl, From: hour(0), To: hour(1)},
			pick("north gauge 08", "north level 08")},
		{"from just after an hour's start", store.RollupQuery{Devices: []string{"north"}, Quantity: lvl, From: hour(0).Add(ms), To: hour(5)},
			pick("north level 09")},
		{"to just after an hour's start", store.RollupQuery{Devices: []string{"north"}, Quantity: lvl, From: hour(-1).Add(ms), To: hour(1).Add(ms)},
			pick("north gauge 08", "north level 08", "north level 09")},
		{"empty range", store.RollupQuery{Quantity: lvl, From: hour(0), To: hour(0)}, nil},
		{"from after to", store.RollupQuery{Quantity: lvl, From: hour(5), To: hour(-5)}, nil},
	}
	for _, tc := range tests {
		checkRollups(t, tc.name, rollupsOK(t, s, tc.q), tc.want)
	}

	// Re-sent records are duplicates and add nothing, even when a device
	// re-sends them in one call, beside new ones, or within one batch.
	res := appendOK(t, s, arrived, north, south, south)
	if res[0].Duplicates != len(north.Records) {
		t.Fatalf("re-send: %d duplicates, want %d", res[0].Duplicates, len(north.Records))
	}
	more := telemetry.Batch{Device: "south", Records: []telemetry.Record{
		reading(2, "level", lvl, 99, 0), reading(3, "level", lvl, 10.5, 5*time.Minute), reading(3, "level", lvl, 10.5, 5*time.Minute),
	}}
	appendOK(t, s, arrived, more)
	southWant := w["south level 08"]
	southWant.Count, southWant.Sum, southWant.Max, southWant.Minutes = 3, 30.5, 10.5, minutes(5, 59)
	all := store.RollupQuery{Quantity: lvl, From: hour(-5), To: hour(5)}
	want := append(tests[0].want[:5:5], southWant)
	checkRollups(t, "after re-sends", rollupsOK(t, s, all), want)

	// Rollups are durable.
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = open(t)
	checkRollups(t, "after reopen", rollupsOK(t, s, all), want)
	checkRollups(t, "pm10 after reopen", rollupsOK(t, s, store.RollupQuery{Quantity: telemetry.PM10, From: hour(-5), To: hour(5)}),
		pick("north pm10 08"))
	appendOK(t, s, arrived, telemetry.Batch{Device: "south", Records: []telemetry.Record{reading(4, "level", lvl, 0.25, 0)}})
	southWant.Count, southWant.Sum, southWant.Min, southWant.Minutes = 4, 30.75, 0.25, minutes(0, 5, 59)
	checkRollups(t, "appended after reopen", rollupsOK(t, s, store.RollupQuery{Devices: []string{"south"}, Quantity: lvl, From: hour(-5), To: hour(5)}),
		[]store.Rollup{southWant})
}

// testRollupCondensed: a condensed aggregate adds its count, sum (mean ×
// count), min, max and minute to its hour, once.
func testRollupCondensed(t *testing.T, open opener) {
	s := open(t)
	storeCondensed(t, s, "cond") // re-sends block 12-20; block 9-11 overlaps records 9 and 10
	lvl := telemetry.WaterLevel
	// Records 1, 2, 8, 9, 10 (values seq+0.25 in minute 0) and aggregates
	// A0 (minute 0), C0 and B1 (minute 1) and B0 (minute 2).
	checkRollups(t, "water level", rollupsOK(t, s, store.RollupQuery{Devices: []string{"cond"}, Quantity: lvl, From: hour(-1), To: hour(2)}),
		[]store.Rollup{{Device: "cond", Sensor: "level", Quantity: lvl, Hour: hour(0),
			Count: 5 + 3 + 3 + 5 + 4, Sum: 31.25 + 9.75 + 9.75 + 26.25 + 17, Min: 1.25, Max: 10.25, Minutes: minutes(0, 1, 2)}})
	checkRollups(t, "pm10", rollupsOK(t, s, store.RollupQuery{Devices: []string{"cond"}, Quantity: telemetry.PM10, From: hour(-1), To: hour(2)}),
		[]store.Rollup{{Device: "cond", Sensor: "dust", Quantity: telemetry.PM10, Hour: hour(0),
			Count: 2, Sum: 4.5, Min: 2, Max: 3.5, Minutes: minutes(0)}})

	// A block across an hour, with records; the block re-sent with a new
	// record adds only the record.
	b := telemetry.Batch{Device: "hours", Records: []telemetry.Record{reading(1, "level", lvl, -1, 58*time.Minute)},
		Condensed: []telemetry.Condensed{block(2, 5, agg("level", lvl, 59, 2), agg("level", lvl, 60, 2), agg("level", lvl, 119, 1))}}
	appendOK(t, s, hour(2), b)
	b.Records = append(b.Records, reading(6, "level", lvl, 20, 61*time.Minute))
	appendOK(t, s, hour(2), b)
	checkRollups(t, "across hours", rollupsOK(t, s, store.RollupQuery{Devices: []string{"hours"}, Quantity: lvl, From: hour(-1), To: hour(3)}),
		[]store.Rollup{
			{Device: "hours", Sensor: "level", Quantity: lvl, Hour: hour(0), Count: 3, Sum: -1 + 4.5, Min: -1, Max: 3.5, Minutes: minutes(58, 59)},
			{Device: "hours", Sensor: "level", Quantity: lvl, Hour: hour(1), Count: 4, Sum: 4.5 + 1.25 + 20, Min: 1, Max: 20, Minutes: minutes(0, 1, 59)},
		})
}

// testRollupIncarnations: a new outbox's records are new readings, and so
// are a stale outbox's records and blocks stored for the first time.
func testRollupIncarnations(t *testing.T, open opener) {
	s := open(t)
	const dev = "swapped"
	appendOK(t, s, t0, incBatch(dev, incA, 1, 2))
	appendOK(t, s, t0, incBatch(dev, incB, 1, 2)) // the same (time, seq), another outbox
	stale := incBatch(dev, incA, 2, 3)
	stale.Condensed = []telemetry.Condensed{block(4, 5, agg("level", telemetry.WaterLevel, 1, 2))}
	res := appendOK(t, s, t0, stale)
	if !res[0].Stale {
		t.Fatal("the first outbox's batch is not stale")
	}
	appendOK(t, s, t0, stale) // duplicates, stale or not, add nothing
	// Records 1, 2 (twice) and 3, values seq+0.25, all in minute 0, and
	// aggregate count 2 (min 2, max 3.5, mean 2.25) in minute 1.
	checkRollups(t, "rollups", rollupsOK(t, s, store.RollupQuery{Devices: []string{dev}, Quantity: telemetry.WaterLevel, From: hour(0), To: hour(1)}),
		[]store.Rollup{{Device: dev, Sensor: "level", Quantity: telemetry.WaterLevel, Hour: hour(0),
			Count: 7, Sum: 1.25 + 2.25 + 1.25 + 2.25 + 3.25 + 4.5, Min: 1.25, Max: 3.5, Minutes: minutes(0, 1)}})
}
