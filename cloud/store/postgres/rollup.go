package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

const (
	hourMS   = int64(time.Hour / time.Millisecond)
	minuteMS = int64(time.Minute / time.Millisecond)
)

// rollupKey is a rollups row's primary key.
type rollupKey struct {
	device, sensor string
	quantity       telemetry.Quantity
	hourMS         int64
}

// rollupSum is what one Append adds to one rollups row.
type rollupSum struct {
	count         uint64
	sum, min, max float64
	minutes       uint64
}

// hourOf splits a Unix millisecond into the start of its hour and its
// minute within the hour, flooring times before 1970 too.
func hourOf(ms int64) (hour int64, minute uint) {
	hour = ms - ((ms%hourMS)+hourMS)%hourMS
	return hour, uint((ms - hour) / minuteMS)
}

// rollupRecord adds a new raw record to its hour when it counts: quality
// good and a trusted time (see store.Rollup).
func (a *appender) rollupRecord(device string, r telemetry.Record) {
	if r.Quality != telemetry.Good || r.Flags&(telemetry.ClockUnsynced|telemetry.FutureTime) != 0 {
		return
	}
	hour, minute := hourOf(r.Time.UnixMilli())
	a.addRollup(rollupKey{device: device, sensor: r.Sensor, quantity: r.Quantity, hourMS: hour},
		rollupSum{count: 1, sum: r.Value, min: r.Value, max: r.Value, minutes: 1 << minute})
}

// rollupAggregate adds a stored condensed aggregate to the hour of its
// minute: the device condensed only good readings with a trusted time.
func (a *appender) rollupAggregate(device string, ag telemetry.Aggregate) {
	if ag.Count == 0 {
		return // nothing to add, not even a minute
	}
	hour, minute := hourOf(ag.Minute.UnixMilli())
	a.addRollup(rollupKey{device: device, sensor: ag.Sensor, quantity: ag.Quantity, hourMS: hour},
		rollupSum{count: uint64(ag.Count), sum: ag.Mean * float64(ag.Count), min: ag.Min, max: ag.Max, minutes: 1 << minute})
}

func (a *appender) addRollup(k rollupKey, s rollupSum) {
	if r, ok := a.rollups[k]; ok {
		s.count += r.count
		s.sum = r.sum + s.sum
		s.min, s.max = min(r.min, s.min), max(r.max, s.max)
		s.minutes |= r.minutes
	}
	a.rollups[k] = s
}

// queueRollups queues the upsert of the call's rollups: one row per key
// (PostgreSQL refuses to update a row twice in one statement), in key
// order.
func (a *appender) queueRollups(pb *pgx.Batch) {
	keys := make([]rollupKey, 0, len(a.rollups))
	for k := range a.rollups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y rollupKey) int {
		return cmp.Or(cmp.Compare(x.quantity, y.quantity), cmp.Compare(x.device, y.device),
			cmp.Compare(x.sensor, y.sensor), cmp.Compare(x.hourMS, y.hourMS))
	})
	n := len(keys)
	var (
		qs      = make([]string, 0, n)
		devices = make([]string, 0, n)
		sensors = make([]string, 0, n)
		hours   = make([]int64, 0, n)
		counts  = make([]int64, 0, n)
		sums    = make([]float64, 0, n)
		mins    = make([]float64, 0, n)
		maxs    = make([]float64, 0, n)
		minutes = make([]int64, 0, n)
	)
	for _, k := range keys {
		s := a.rollups[k]
		qs = append(qs, string(k.quantity))
		devices = append(devices, k.device)
		sensors = append(sensors, k.sensor)
		hours = append(hours, k.hourMS)
		counts = append(counts, i64(s.count))
		sums = append(sums, s.sum)
		mins = append(mins, s.min)
		maxs = append(maxs, s.max)
		minutes = append(minutes, i64(s.minutes))
	}
	pb.Queue(`INSERT INTO rollups AS r (quantity, device, sensor, hour_ms, count, sum, min, max, minutes)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
			$6::double precision[], $7::double precision[], $8::double precision[], $9::bigint[])
		ON CONFLICT (quantity, device, sensor, hour_ms) DO UPDATE SET count = r.count + excluded.count,
			sum = r.sum + excluded.sum, min = least(r.min, excluded.min), max = greatest(r.max, excluded.max),
			minutes = r.minutes | excluded.minutes`,
		qs, devices, sensors, hours, counts, sums, mins, maxs, minutes)
}

// Rollups returns the hourly rollups of q.Quantity (every quantity when
// empty, as the bolt backend does) with q.From ≤ hour < q.To, of
// q.Devices or of every device, ordered by device, sensor, quantity and
// hour. With a quantity, it is a range scan of the rollups primary key,
// whose order is the answer's.
func (db *DB) Rollups(ctx context.Context, q store.RollupQuery) ([]store.Rollup, error) {
	const op = "rollups"
	if err := db.check(ctx, op); err != nil {
		return nil, err
	}
	out := []store.Rollup{}
	from, to := store.CeilMilli(q.From), store.CeilMilli(q.To)
	if from >= to {
		return out, nil
	}
	sql := `SELECT device, sensor, quantity, hour_ms, count, sum, min, max, minutes FROM rollups
		WHERE hour_ms >= $1 AND hour_ms < $2`
	args := []any{from, to}
	if !isText(string(q.Quantity)) {
		return out, nil // not stored
	}
	if q.Quantity != "" {
		args = append(args, string(q.Quantity))
		sql += ` AND quantity = $3`
	}
	if len(q.Devices) > 0 {
		devices := make([]string, 0, len(q.Devices))
		for _, d := range q.Devices {
			if isText(d) { // else not stored
				devices = append(devices, d)
			}
		}
		if len(devices) == 0 {
			return out, nil
		}
		args = append(args, devices)
		sql += fmt.Sprintf(` AND device = ANY($%d)`, len(args))
	}
	sql += ` ORDER BY device, sensor, quantity, hour_ms`
	rows, err := db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, db.fail(op, err)
	}
	var (
		r              store.Rollup
		quantity       string
		hour, count, m int64
	)
	_, err = pgx.ForEachRow(rows, []any{&r.Device, &r.Sensor, &quantity, &hour, &count, &r.Sum, &r.Min, &r.Max, &m}, func() error {
		r.Quantity = telemetry.Quantity(quantity)
		r.Hour = time.UnixMilli(hour).UTC()
		r.Count, r.Minutes = u64(count), u64(m)
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, db.fail(op, err)
	}
	return out, nil
}
