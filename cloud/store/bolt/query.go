package bolt

import (
	"bytes"
	"context"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Devices lists every device that has sent a batch, sorted by id.
func (db *DB) Devices(ctx context.Context) ([]store.Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt: list devices: %w", err)
	}
	var out []store.Device
	err := db.view("list devices", func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketDevices).ForEach(func(k, v []byte) error {
			s, err := decodeDeviceState(v)
			if err != nil {
				return fmt.Errorf("device %q: %w", k, err)
			}
			high := s.received.Max()
			missing := s.received.Gaps(high)
			if missing == nil {
				missing = telemetry.Ranges{}
			}
			out = append(out, store.Device{
				ID:         string(k),
				LastSeen:   s.lastSeen,
				SeqHigh:    high,
				Missing:    missing,
				Received:   s.received.Count(),
				Duplicates: s.duplicates,
			})
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Readings returns the records of q.Device with q.From ≤ time < q.To,
// ordered by time and then by seq: a range scan of the device's time
// index. A limit above store.MaxLimit is lowered to it. An unknown device
// has no readings.
func (db *DB) Readings(ctx context.Context, q store.ReadingQuery) ([]telemetry.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt: readings: %w", err)
	}
	if err := telemetry.ValidateDeviceID(q.Device); err != nil {
		return nil, fmt.Errorf("bolt: readings: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	limit = min(limit, store.MaxLimit)
	from, to := ceilMilli(q.From), ceilMilli(q.To)
	out := []telemetry.Record{}
	if from >= to {
		return out, nil
	}
	// Sequence numbers start at 1, so (to, 0) is above every key of an
	// earlier millisecond and below every key of millisecond to.
	lo, hi := readingKey(nil, from, 0), readingKey(nil, to, 0)
	err := db.view("readings", func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketReadings).Bucket([]byte(q.Device))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(lo); k != nil && bytes.Compare(k, hi) < 0 && len(out) < limit; k, v = c.Next() {
			r, err := decodeRecord(k, v)
			if err != nil {
				return fmt.Errorf("device %q: %w", q.Device, err)
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
