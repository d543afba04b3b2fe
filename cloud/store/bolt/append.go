package bolt

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// appendFill packs pages fuller than bbolt's default because a device's
// readings mostly arrive in time order, at the end of its bucket.
const appendFill = 0.9

// Append stores the batches in one write transaction (one fsync). A batch
// with an invalid device id or a sequence number 0 fails the whole call
// and nothing is stored. A device's LastSeen becomes arrived unless it is
// already later, so that a slow concurrent call cannot move it back.
func (db *DB) Append(ctx context.Context, arrived time.Time, batches ...telemetry.Batch) ([]store.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt: append: %w", err)
	}
	for i, b := range batches {
		if err := checkBatch(b); err != nil {
			return nil, fmt.Errorf("bolt: append: batch %d: %w", i, err)
		}
	}
	results := make([]store.AppendResult, len(batches))
	err := db.update("append", func(tx *bbolt.Tx) error {
		a := appender{
			devices:  tx.Bucket(bucketDevices),
			readings: tx.Bucket(bucketReadings),
			open:     make(map[string]*openDevice),
		}
		for i, b := range batches {
			res, err := a.batch(b, arrived)
			if err != nil {
				return fmt.Errorf("device %q: %w", b.Device, err)
			}
			results[i] = res
		}
		return a.flush()
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func checkBatch(b telemetry.Batch) error {
	if err := telemetry.ValidateDeviceID(b.Device); err != nil {
		return err
	}
	for j, r := range b.Records {
		if r.Seq == 0 {
			return fmt.Errorf("device %q: record %d has sequence number 0", b.Device, j)
		}
	}
	return nil
}

// appender holds one Append transaction's devices so that each device's
// state is read and written once however many batches it has.
type appender struct {
	devices, readings *bbolt.Bucket
	open              map[string]*openDevice
}

type openDevice struct {
	state    deviceState
	readings *bbolt.Bucket
}

func (a *appender) device(id string) (*openDevice, error) {
	if d, ok := a.open[id]; ok {
		return d, nil
	}
	d := &openDevice{}
	if v := a.devices.Get([]byte(id)); v != nil {
		var err error
		if d.state, err = decodeDeviceState(v); err != nil {
			return nil, err
		}
	}
	rb, err := a.readings.CreateBucketIfNotExists([]byte(id))
	if err != nil {
		return nil, err
	}
	rb.FillPercent = appendFill
	d.readings = rb
	a.open[id] = d
	return d, nil
}

func (a *appender) batch(b telemetry.Batch, arrived time.Time) (store.AppendResult, error) {
	var res store.AppendResult
	d, err := a.device(b.Device)
	if err != nil {
		return res, err
	}
	if arrived.After(d.state.lastSeen) {
		d.state.lastSeen = arrived
	}
	for _, r := range b.Records {
		one := telemetry.Range{First: r.Seq, Last: r.Seq}
		res.Stored = res.Stored.Add(one)
		if d.state.received.Contains(r.Seq) {
			res.Duplicates++
			continue
		}
		d.state.received = d.state.received.Add(one)
		// bbolt keeps the slices until commit: one allocation per record.
		buf, keyLen := appendRecord(make([]byte, 0, recordLen(r)), r)
		if err := d.readings.Put(buf[:keyLen], buf[keyLen:]); err != nil {
			return res, err
		}
		r.Time = time.UnixMilli(r.Time.UnixMilli()).UTC() // as stored
		res.New = append(res.New, r)
	}
	d.state.duplicates += uint64(res.Duplicates)
	slices.SortFunc(res.New, func(x, y telemetry.Record) int { return cmp.Compare(x.Seq, y.Seq) })
	return res, nil
}

func (a *appender) flush() error {
	for id, d := range a.open {
		if err := a.devices.Put([]byte(id), d.state.encode()); err != nil {
			return fmt.Errorf("device %q: %w", id, err)
		}
	}
	return nil
}
