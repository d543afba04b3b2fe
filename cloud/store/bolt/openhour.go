package bolt

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Open hours (schema 5). A device's state is rewritten by every Append
// that stores one of its batches, so its page is written anyway; a
// rollup in the rollups bucket is another page, and with devices at
// random phases one commit's devices share few pages. Each stream's latest
// hour therefore lives in the device state, and reaches the rollups
// bucket only when a later hour of the stream arrives: once an hour per
// stream rather than once a batch. A reading of an hour before the open
// one (late data) goes to the bucket at once. Rollups adds the two.

// streamCompare orders streams by quantity and then sensor.
func streamCompare(q1 telemetry.Quantity, s1 string, q2 telemetry.Quantity, s2 string) int {
	return cmp.Or(strings.Compare(string(q1), string(q2)), strings.Compare(s1, s2))
}

// roll applies one transaction's sums of device's streams to its open
// hours: a sum of the open hour joins it; a sum of a later hour closes
// the open one (into closed) and opens its own; a sum of an earlier hour
// goes into closed. sums holds only device's.
func (st *deviceState) roll(device string, sums []streamSum, closed rollupSums) {
	// Each stream's hours in order, so that an Append spanning hours
	// leaves the latest open.
	slices.SortFunc(sums, func(x, y streamSum) int {
		return cmp.Or(streamCompare(x.k.quantity, x.k.sensor, y.k.quantity, y.k.sensor), cmp.Compare(x.k.hour, y.k.hour))
	})
	for _, s := range sums {
		i, found := slices.BinarySearchFunc(st.open, s.k, func(o openHour, k rollupStream) int {
			return streamCompare(o.quantity, o.sensor, k.quantity, k.sensor)
		})
		if !found {
			st.open = slices.Insert(st.open, i, openHour{quantity: s.k.quantity, sensor: s.k.sensor, hour: s.k.hour, sum: *s.sum})
			continue
		}
		o := &st.open[i]
		switch {
		case s.k.hour == o.hour:
			o.sum.add(*s.sum)
		case s.k.hour > o.hour:
			closed.put(rollupStream{device: device, sensor: o.sensor, quantity: o.quantity, hour: o.hour}, o.sum)
			o.hour, o.sum = s.k.hour, *s.sum
		default:
			closed.put(s.k, *s.sum)
		}
	}
}

// streamSum is one entry of a rollupSums.
type streamSum struct {
	k   rollupStream
	sum *rollupSum
}

// put adds s to the sum of k.
func (rs rollupSums) put(k rollupStream, s rollupSum) {
	if sum, ok := rs[k]; ok {
		sum.add(s)
		return
	}
	rs[k] = &s
}

// byDevice splits the sums by device.
func (rs rollupSums) byDevice() map[string][]streamSum {
	out := map[string][]streamSum{}
	for k, s := range rs {
		out[k.device] = append(out[k.device], streamSum{k, s})
	}
	return out
}

// withOpen adds device's open hours of quantity (every quantity when
// empty) with from ≤ hour < to to rows, its closed hours as deviceRollups
// returns them, and keeps their order. An open hour the bucket also holds
// (a schema 4 file's current hour) is summed with it.
func withOpen(rows []store.Rollup, device string, open []openHour, quantity telemetry.Quantity, from, to int64) []store.Rollup {
	added := false
	for _, o := range open {
		if quantity != "" && o.quantity != quantity || o.hour < from || o.hour >= to {
			continue
		}
		hour := time.Unix(o.hour, 0).UTC()
		i := slices.IndexFunc(rows, func(r store.Rollup) bool {
			return r.Sensor == o.sensor && r.Quantity == o.quantity && r.Hour.Equal(hour)
		})
		if i < 0 {
			rows = append(rows, o.sum.rollup(device, o.sensor, o.quantity, hour))
			added = true
			continue
		}
		s := rollupSum{count: rows[i].Count, sum: rows[i].Sum, min: rows[i].Min, max: rows[i].Max, minutes: rows[i].Minutes}
		s.add(o.sum)
		rows[i] = s.rollup(device, o.sensor, o.quantity, hour)
	}
	if added {
		slices.SortFunc(rows, func(x, y store.Rollup) int {
			return cmp.Or(strings.Compare(x.Sensor, y.Sensor), strings.Compare(string(x.Quantity), string(y.Quantity)), x.Hour.Compare(y.Hour))
		})
	}
	return rows
}

func (s rollupSum) rollup(device, sensor string, q telemetry.Quantity, hour time.Time) store.Rollup {
	return store.Rollup{Device: device, Sensor: sensor, Quantity: q, Hour: hour,
		Count: s.count, Sum: s.sum, Min: s.min, Max: s.max, Minutes: s.minutes}
}
