package bolt

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Devices lists every device that has sent a batch, sorted by id, from
// the states in memory (see journal.go).
func (db *DB) Devices(ctx context.Context) ([]store.Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt: list devices: %w", err)
	}
	if db.closed.Load() {
		return nil, fmt.Errorf("bolt: list devices: %w", store.ErrClosed)
	}
	var out []store.Device // nil when there is none, as before
	db.mu.Lock()
	for id, s := range db.mirror {
		out = append(out, s.Device(id))
	}
	db.mu.Unlock() // before sorting: Append waits for db.mu
	slices.SortFunc(out, func(a, b store.Device) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Readings returns the records of q.Device with q.From ≤ time < q.To,
// ordered by time and then by seq: a range scan of the device's time
// index. A limit above store.MaxLimit is lowered to it. An unknown device
// has no readings.
func (db *DB) Readings(ctx context.Context, q store.ReadingQuery) ([]telemetry.Record, error) {
	out := []telemetry.Record{}
	lowKey := func(dst []byte, ms int64) []byte { return readingKey(dst, ms, 0, 0) }
	err := db.scan(ctx, "readings", bucketReadings, q, lowKey, func(k, v []byte) error {
		r, err := decodeRecord(k, v)
		if err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Aggregates returns the condensed aggregates of q.Device whose minute is
// in [q.From, q.To), ordered by minute, then by their block's sequence
// range, then in the order the device listed them: a range scan of the
// device's aggregate index. Limits are as for Readings.
func (db *DB) Aggregates(ctx context.Context, q store.ReadingQuery) ([]telemetry.Aggregate, error) {
	out := []telemetry.Aggregate{}
	lowKey := func(dst []byte, ms int64) []byte { return aggregateKey(dst, ms, telemetry.Range{}, 0, 0) }
	err := db.scan(ctx, "aggregates", bucketAggregates, q, lowKey, func(k, v []byte) error {
		a, err := decodeAggregate(k, v)
		if err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scan calls each with the keys and values of q.Device's bucket in top
// whose time is in [q.From, q.To), at most q.Limit of them. The keys start
// with a millisecond encoded as by readingKey; lowKey(nil, ms) must sort
// before every key of millisecond ms and after every key of an earlier one
// (sequence numbers start at 1).
func (db *DB) scan(ctx context.Context, op string, top []byte, q store.ReadingQuery,
	lowKey func(dst []byte, ms int64) []byte, each func(k, v []byte) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt: %s: %w", op, err)
	}
	if err := telemetry.ValidateDeviceID(q.Device); err != nil {
		return fmt.Errorf("bolt: %s: %w", op, err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	limit = min(limit, store.MaxLimit)
	from, to := store.CeilMilli(q.From), store.CeilMilli(q.To)
	if from >= to {
		return nil
	}
	lo, hi := lowKey(nil, from), lowKey(nil, to)
	if err := db.settle(q.Device); err != nil {
		return err
	}
	return db.view(op, func(tx *bbolt.Tx) error {
		b := tx.Bucket(top).Bucket([]byte(q.Device))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		n := 0
		for k, v := c.Seek(lo); k != nil && bytes.Compare(k, hi) < 0 && n < limit; k, v = c.Next() {
			if err := each(k, v); err != nil {
				return fmt.Errorf("device %q: %w", q.Device, err)
			}
			n++
		}
		return nil
	})
}
