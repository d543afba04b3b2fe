package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Devices lists every device that has sent a batch, sorted by id.
func (db *DB) Devices(ctx context.Context) ([]store.Device, error) {
	const op = "list devices"
	if err := db.check(ctx, op); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT `+deviceColumns+` FROM devices ORDER BY id`)
	if err != nil {
		return nil, db.fail(op, err)
	}
	var (
		out []store.Device
		row deviceRow
	)
	_, err = pgx.ForEachRow(rows, row.targets(), func() error {
		s, err := row.state()
		if err == nil {
			out = append(out, s.Device(row.id))
		}
		return err
	})
	if err != nil {
		return nil, db.fail(op, err)
	}
	return out, nil
}

// Readings returns the records of q.Device with q.From ≤ time < q.To,
// ordered by time and then by seq (then by incarnation, the stored 64
// bits read as signed): an index range scan of the readings primary key.
// A limit above store.MaxLimit is lowered to it. An unknown device has no
// readings.
func (db *DB) Readings(ctx context.Context, q store.ReadingQuery) ([]telemetry.Record, error) {
	const op = "readings"
	out := []telemetry.Record{}
	from, to, limit, err := db.span(ctx, op, q)
	if err != nil {
		return nil, err
	}
	if from >= to {
		return out, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT time_ms, seq, sensor, quantity, quality, value, flags FROM readings
		WHERE device = $1 AND time_ms >= $2 AND time_ms < $3 ORDER BY time_ms, seq, incarnation LIMIT $4`,
		q.Device, from, to, limit)
	if err != nil {
		return nil, db.fail(op, err)
	}
	var (
		r              telemetry.Record
		ms, seq        int64
		quality, flags int16
		quantity       string
	)
	_, err = pgx.ForEachRow(rows, []any{&ms, &seq, &r.Sensor, &quantity, &quality, &r.Value, &flags}, func() error {
		r.Time, r.Seq, r.Quantity = time.UnixMilli(ms).UTC(), u64(seq), telemetry.Quantity(quantity)
		r.Quality, r.Flags = telemetry.Quality(quality), telemetry.Flags(flags)
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, db.fail(op, err)
	}
	return out, nil
}

// Aggregates returns the condensed aggregates of q.Device whose minute is
// in [q.From, q.To), ordered by minute, then by their block's sequence
// range, then in the order the device listed them: an index range scan of
// the aggregates primary key. Limits are as for Readings.
func (db *DB) Aggregates(ctx context.Context, q store.ReadingQuery) ([]telemetry.Aggregate, error) {
	const op = "aggregates"
	out := []telemetry.Aggregate{}
	from, to, limit, err := db.span(ctx, op, q)
	if err != nil {
		return nil, err
	}
	if from >= to {
		return out, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT minute_ms, sensor, quantity, count, min, max, mean FROM aggregates
		WHERE device = $1 AND minute_ms >= $2 AND minute_ms < $3
		ORDER BY minute_ms, first_seq, last_seq, idx, incarnation LIMIT $4`,
		q.Device, from, to, limit)
	if err != nil {
		return nil, db.fail(op, err)
	}
	var (
		a         telemetry.Aggregate
		ms, count int64
		quantity  string
	)
	_, err = pgx.ForEachRow(rows, []any{&ms, &a.Sensor, &quantity, &count, &a.Min, &a.Max, &a.Mean}, func() error {
		a.Minute, a.Quantity, a.Count = time.UnixMilli(ms).UTC(), telemetry.Quantity(quantity), uint32(count)
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, db.fail(op, err)
	}
	return out, nil
}

// span checks q and returns its bounds as Unix milliseconds and its limit.
func (db *DB) span(ctx context.Context, op string, q store.ReadingQuery) (from, to int64, limit int, err error) {
	if err := db.check(ctx, op); err != nil {
		return 0, 0, 0, err
	}
	if err := telemetry.ValidateDeviceID(q.Device); err != nil {
		return 0, 0, 0, fmt.Errorf("postgres: %s: %w", op, err)
	}
	limit = q.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	return store.CeilMilli(q.From), store.CeilMilli(q.To), min(limit, store.MaxLimit), nil
}
