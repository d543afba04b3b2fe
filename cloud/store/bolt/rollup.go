package bolt

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Rollups returns the hourly rollups of q ordered by device, sensor,
// quantity and hour: each device's closed hours from the rollups bucket
// (with a quantity, each of a device's streams of it is one cursor range
// scan of the hours asked for; an empty q.Quantity selects every
// quantity) together with the open hours its state holds.
func (db *DB) Rollups(ctx context.Context, q store.RollupQuery) ([]store.Rollup, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt: rollups: %w", err)
	}
	// Hours are whole seconds: hour ≥ From exactly when hour ≥ ceil(From).
	from, to := ceilSecond(q.From), ceilSecond(q.To)
	out := []store.Rollup{}
	if err := db.settle(q.Devices...); err != nil {
		return nil, fmt.Errorf("bolt: rollups: %w", err)
	}
	err := db.view("rollups", func(tx *bbolt.Tx) error {
		top, states := tx.Bucket(bucketRollups), tx.Bucket(bucketDevices)
		devices := slices.Clone(q.Devices)
		if len(devices) == 0 {
			// Every device with a rollup: closed hours have a bucket,
			// open ones a state.
			top.ForEachBucket(func(k []byte) error { devices = append(devices, string(k)); return nil })
			states.ForEach(func(k, _ []byte) error { devices = append(devices, string(k)); return nil })
		}
		slices.Sort(devices)
		for _, id := range slices.Compact(devices) {
			if id == "" {
				continue
			}
			var rows []store.Rollup
			if b := top.Bucket([]byte(id)); b != nil {
				var err error
				if rows, err = deviceRollups(id, b, q.Quantity, from, to); err != nil {
					return fmt.Errorf("device %q: %w", id, err)
				}
			}
			if v := states.Get([]byte(id)); v != nil {
				st, err := decodeDeviceState(v)
				if err != nil {
					return fmt.Errorf("device %q: %w", id, err)
				}
				rows = withOpen(rows, id, st.open, q.Quantity, from, to)
			}
			out = append(out, rows...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// deviceRollups reads one device's rollups of quantity (every quantity
// when empty) with from ≤ hour < to, hours in Unix seconds.
func deviceRollups(device string, b *bbolt.Bucket, quantity telemetry.Quantity, from, to int64) ([]store.Rollup, error) {
	if from >= to {
		return nil, nil
	}
	var rows []store.Rollup
	add := func(k, v []byte) error {
		r, err := decodeRollup(k, v)
		if err != nil {
			return err
		}
		if h := r.Hour.Unix(); h >= from && h < to {
			r.Device = device
			rows = append(rows, r)
		}
		return nil
	}
	c := b.Cursor()
	if quantity == "" {
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := add(k, v); err != nil {
				return nil, err
			}
		}
	} else {
		prefix := appendString(nil, string(quantity))
		k, _ := c.Seek(prefix)
		for k != nil && bytes.HasPrefix(k, prefix) {
			if len(k) < len(prefix)+hourLen {
				return nil, fmt.Errorf("%w: rollup key %x", ErrCorrupt, k)
			}
			// One stream: its hours from from up to to, then the next stream.
			stream := slices.Clone(k[:len(k)-hourLen])
			var v []byte
			for k, v = c.Seek(appendHour(slices.Clone(stream), from)); k != nil && len(k) == len(stream)+hourLen &&
				bytes.HasPrefix(k, stream) && hourOfKey(k) < to; k, v = c.Next() {
				if err := add(k, v); err != nil {
					return nil, err
				}
			}
			// Past every key of the stream: its hours are hourLen bytes.
			k, _ = c.Seek(append(stream, bytes.Repeat([]byte{0xff}, hourLen+1)...))
		}
	}
	slices.SortFunc(rows, func(x, y store.Rollup) int {
		return cmp.Or(strings.Compare(x.Sensor, y.Sensor), strings.Compare(string(x.Quantity), string(y.Quantity)), x.Hour.Compare(y.Hour))
	})
	return rows, nil
}

// ceilSecond is the smallest Unix second not before t.
func ceilSecond(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() != 0 {
		s++
	}
	return s
}

// rollupStream names one hour of one stream while Append sums it.
type rollupStream struct {
	device, sensor string
	quantity       telemetry.Quantity
	hour           int64 // Unix seconds
}

// rollupSum is one hour of one stream: what a rollup value holds, and
// what one Append adds to it.
type rollupSum struct {
	count         uint64
	sum, min, max float64
	minutes       uint64
}

func (s *rollupSum) add(o rollupSum) {
	if s.count == 0 {
		s.min, s.max = o.min, o.max
	} else {
		s.min, s.max = min(s.min, o.min), max(s.max, o.max)
	}
	s.count += o.count
	s.sum += o.sum
	s.minutes |= o.minutes
}

// rollupSums gathers one transaction's additions so that each touched
// hour is read and written once.
type rollupSums map[rollupStream]*rollupSum

// record adds r, a reading stored as new, when it counts: quality good, a
// trusted time.
func (rs rollupSums) record(device string, r telemetry.Record) {
	if r.Quality != telemetry.Good || r.Flags&(telemetry.ClockUnsynced|telemetry.FutureTime) != 0 {
		return
	}
	rs.add(device, r.Sensor, r.Quantity, r.Time.UnixMilli(), rollupSum{count: 1, sum: r.Value, min: r.Value, max: r.Value})
}

// aggregate adds a, an aggregate stored as new.
func (rs rollupSums) aggregate(device string, a telemetry.Aggregate) {
	if a.Count == 0 {
		return
	}
	rs.add(device, a.Sensor, a.Quantity, a.Minute.UnixMilli(),
		rollupSum{count: uint64(a.Count), sum: a.Mean * float64(a.Count), min: a.Min, max: a.Max})
}

func (rs rollupSums) add(device, sensor string, quantity telemetry.Quantity, ms int64, s rollupSum) {
	const msPerHour = int64(time.Hour / time.Millisecond)
	hour := ms / msPerHour
	if ms%msPerHour < 0 {
		hour-- // floor: times before 1970 belong to the hour that starts before them
	}
	s.minutes = 1 << ((ms - hour*msPerHour) / int64(time.Minute/time.Millisecond))
	k := rollupStream{device: device, sensor: sensor, quantity: quantity, hour: hour * 3600}
	if sum, ok := rs[k]; ok {
		sum.add(s)
		return
	}
	first := s // only a new hour's sum goes to the heap
	rs[k] = &first
}

// merge adds the sums to the rollups under top, in key order.
func (rs rollupSums) merge(top *bbolt.Bucket) error {
	type keyed struct {
		device string
		key    []byte
		sum    *rollupSum
	}
	all := make([]keyed, 0, len(rs))
	for s, sum := range rs {
		all = append(all, keyed{s.device, rollupKey(s.sensor, s.quantity, s.hour), sum})
	}
	slices.SortFunc(all, func(x, y keyed) int { return cmp.Or(strings.Compare(x.device, y.device), bytes.Compare(x.key, y.key)) })
	var (
		b *bbolt.Bucket
		c *bbolt.Cursor // reused: a Get would allocate a cursor each time
	)
	for i, r := range all {
		if i == 0 || r.device != all[i-1].device {
			var err error
			if b, err = top.CreateBucketIfNotExists([]byte(r.device)); err != nil {
				return fmt.Errorf("device %q: %w", r.device, err)
			}
			b.FillPercent = appendFill
			c = b.Cursor()
		}
		sum := *r.sum
		if k, v := c.Seek(r.key); bytes.Equal(k, r.key) {
			old, err := decodeRollupSum(v)
			if err != nil {
				return fmt.Errorf("device %q: rollup %x: %w", r.device, r.key, err)
			}
			old.add(sum)
			sum = old
		}
		if err := b.Put(r.key, sum.encode()); err != nil {
			return err
		}
	}
	return nil
}

// hourLen is the length of the hour that ends a rollup key: its Unix
// seconds as a big-endian uint64 with the sign bit flipped.
const hourLen = 8

// rollupKey is the key of one hour of one stream in its device's rollup
// bucket: the quantity and the sensor, each a uvarint length and the
// bytes, then the hour. A quantity's keys share a prefix, and a stream's
// hours are one range.
func rollupKey(sensor string, quantity telemetry.Quantity, hour int64) []byte {
	k := make([]byte, 0, 2*binary.MaxVarintLen64+len(sensor)+len(quantity)+hourLen)
	k = appendString(k, string(quantity))
	k = appendString(k, sensor)
	return appendHour(k, hour)
}

func appendHour(dst []byte, hour int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(hour)^signBit)
}

func hourOfKey(k []byte) int64 {
	return int64(binary.BigEndian.Uint64(k[len(k)-hourLen:]) ^ signBit)
}

// rollupLen is the length of a rollup value: the count, the sum, min and
// max (IEEE 754 bits) and the minutes bitmask, 8 bytes each, big-endian.
const rollupLen = 5 * 8

func (s rollupSum) encode() []byte { return s.appendTo(make([]byte, 0, rollupLen)) }

func (s rollupSum) appendTo(v []byte) []byte {
	v = binary.BigEndian.AppendUint64(v, s.count)
	for _, f := range []float64{s.sum, s.min, s.max} {
		v = binary.BigEndian.AppendUint64(v, math.Float64bits(f))
	}
	return binary.BigEndian.AppendUint64(v, s.minutes)
}

func decodeRollupSum(v []byte) (rollupSum, error) {
	if len(v) != rollupLen {
		return rollupSum{}, fmt.Errorf("%w: rollup value of %d bytes", ErrCorrupt, len(v))
	}
	u := func(i int) uint64 { return binary.BigEndian.Uint64(v[8*i:]) }
	return rollupSum{count: u(0), sum: math.Float64frombits(u(1)), min: math.Float64frombits(u(2)),
		max: math.Float64frombits(u(3)), minutes: u(4)}, nil
}

// decodeRollup parses a key and value written by merge; Device is left
// to the caller.
func decodeRollup(k, v []byte) (store.Rollup, error) {
	quantity, rest, ok := cutString(k)
	var sensor string
	if ok {
		sensor, rest, ok = cutString(rest)
	}
	if !ok || len(rest) != hourLen {
		return store.Rollup{}, fmt.Errorf("%w: rollup key %x", ErrCorrupt, k)
	}
	s, err := decodeRollupSum(v)
	if err != nil {
		return store.Rollup{}, err
	}
	return store.Rollup{Sensor: sensor, Quantity: telemetry.Quantity(quantity), Hour: time.Unix(hourOfKey(k), 0).UTC(),
		Count: s.count, Sum: s.sum, Min: s.min, Max: s.max, Minutes: s.minutes}, nil
}

// rebuildRollups sums every stored reading and aggregate into the
// rollups, as Append would have: the migration from schema 3 or earlier. One device is
// summed at a time, which bounds the memory it takes.
func rebuildRollups(tx *bbolt.Tx) error {
	top := tx.Bucket(bucketRollups)
	for _, src := range []struct {
		bucket []byte
		add    func(rs rollupSums, device string, k, v []byte) error
	}{
		{bucketReadings, func(rs rollupSums, device string, k, v []byte) error {
			r, err := decodeRecord(k, v)
			if err == nil {
				rs.record(device, r)
			}
			return err
		}},
		{bucketAggregates, func(rs rollupSums, device string, k, v []byte) error {
			a, err := decodeAggregate(k, v)
			if err == nil {
				rs.aggregate(device, a)
			}
			return err
		}},
	} {
		b := tx.Bucket(src.bucket)
		err := b.ForEachBucket(func(device []byte) error {
			rs := rollupSums{}
			err := b.Bucket(device).ForEach(func(k, v []byte) error { return src.add(rs, string(device), k, v) })
			if err == nil {
				err = rs.merge(top)
			}
			if err != nil {
				return fmt.Errorf("rollups of device %q: %w", device, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
