package postgres

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/cloud/store/devstate"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Append stores the batches in one transaction: their devices' rows are
// locked (in id order, so that concurrent Appends never deadlock), the
// received sets decide in Go which records are new, the new records are
// copied into readings with COPY, and the aggregates, rollups and device
// rows are written in one pipelined round trip before the commit. A batch
// with an invalid device id, a sequence number 0 or an empty or 0-based
// condensed range fails the whole call with store.ErrInvalid and nothing
// is stored. A device's
// LastSeen becomes arrived unless it is already later, so that a slow
// concurrent call cannot move it back.
func (db *DB) Append(ctx context.Context, arrived time.Time, batches ...telemetry.Batch) ([]store.AppendResult, error) {
	if err := db.check(ctx, "append"); err != nil {
		return nil, err
	}
	for i, b := range batches {
		if err := checkBatch(b); err != nil {
			return nil, store.Invalid(fmt.Errorf("postgres: append: batch %d: %w", i, err))
		}
	}
	if len(batches) == 0 {
		return []store.AppendResult{}, nil
	}
	results, err := db.append(ctx, arrived, batches, false)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == uniqueViolation && pgErr.TableName == "readings" {
		// COPY met a key that the received sets said was free (see
		// doc.go): the store holds rows no Append wrote. Nothing was
		// stored; store it all again through ON CONFLICT.
		db.log.Warn("postgres: append: a new reading's key was taken; retrying with upserts", "err", err)
		results, err = db.append(ctx, arrived, batches, true)
	}
	return results, err
}

const uniqueViolation = "23505"

// append runs one Append transaction. With upsert, every new reading goes
// through INSERT … ON CONFLICT rather than those that may meet a taken key
// only.
func (db *DB) append(ctx context.Context, arrived time.Time, batches []telemetry.Batch, upsert bool) ([]store.AppendResult, error) {
	results := make([]store.AppendResult, len(batches))
	err := db.inTx(ctx, "append", func(tx pgx.Tx) error {
		a := &appender{
			tx:          tx,
			arrived:     arrived,
			futureAfter: arrived.Add(db.maxFuture),
			upsert:      upsert,
			devices:     make(map[string]*openDevice),
			rollups:     make(map[rollupKey]rollupSum),
		}
		if err := a.lock(ctx, batches); err != nil {
			return err
		}
		for i, b := range batches {
			res, err := a.batch(ctx, b)
			if err != nil {
				return fmt.Errorf("device %q: %w", b.Device, err)
			}
			results[i] = res
		}
		return a.flush(ctx)
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
	for j, c := range b.Condensed {
		if c.Range.First == 0 || c.Range.First > c.Range.Last {
			return fmt.Errorf("device %q: condensed block %d has range %d-%d", b.Device, j, c.Range.First, c.Range.Last)
		}
	}
	return nil
}

// appender holds one Append transaction: each device's row is read and
// written once however many batches it has, and everything new is
// written at the end.
type appender struct {
	tx          pgx.Tx
	arrived     time.Time
	futureAfter time.Time // records whose millisecond is after this are in the future
	upsert      bool      // every reading through ON CONFLICT (see DB.Append)
	ids         []string  // the devices, sorted
	devices     map[string]*openDevice
	rollups     map[rollupKey]rollupSum
}

type openDevice struct {
	state      devstate.State
	readings   []pendingReading
	aggregates []pendingAggregate
	// mixed is set when an incarnation started or a stale batch came in
	// this call: only then may two pending rows share a key (bolt's Put
	// would overwrite the first), so only then are they deduplicated.
	mixed bool
}

type pendingReading struct {
	inc uint64 // the batch's incarnation, part of the key
	r   telemetry.Record
}

type pendingAggregate struct {
	inc   uint64
	block telemetry.Range
	index int
	a     telemetry.Aggregate
}

// lock creates the rows of devices new to the store and locks every
// device row of the call, in id order, reading their states. Both
// statements go in one round trip.
func (a *appender) lock(ctx context.Context, batches []telemetry.Batch) error {
	for _, b := range batches {
		if _, ok := a.devices[b.Device]; !ok {
			a.devices[b.Device] = &openDevice{}
			a.ids = append(a.ids, b.Device)
		}
	}
	slices.Sort(a.ids) // bytewise, as the "C" collation sorts
	var pb pgx.Batch
	pb.Queue(`INSERT INTO devices (id, last_seen) SELECT id, $2 FROM unnest($1::text[]) AS id ON CONFLICT (id) DO NOTHING`,
		a.ids, a.arrived)
	pb.Queue(`SELECT `+deviceColumns+` FROM devices WHERE id = ANY($1) ORDER BY id FOR UPDATE`, a.ids)
	br := a.tx.SendBatch(ctx, &pb)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("create devices: %w", err)
	}
	rows, err := br.Query()
	if err != nil {
		return fmt.Errorf("lock devices: %w", err)
	}
	var row deviceRow
	n, err := pgx.ForEachRow(rows, row.targets(), func() error {
		d, ok := a.devices[row.id]
		if !ok {
			return fmt.Errorf("unasked-for device %q", row.id)
		}
		var err error
		d.state, err = row.state()
		return err
	})
	if err != nil {
		return fmt.Errorf("lock devices: %w", err)
	}
	if int(n.RowsAffected()) != len(a.ids) {
		return fmt.Errorf("lock devices: %d of %d rows found", n.RowsAffected(), len(a.ids))
	}
	return br.Close()
}

func (a *appender) batch(ctx context.Context, b telemetry.Batch) (store.AppendResult, error) {
	var res store.AppendResult
	d := a.devices[b.Device]
	if a.arrived.After(d.state.LastSeen) {
		d.state.LastSeen = a.arrived
	}
	inc := b.Incarnation
	stale, restarted := d.state.Incarnate(inc)
	res.Stale = stale
	d.mixed = d.mixed || stale || restarted
	var taken map[readingKey]bool
	if stale && len(b.Records) > 0 {
		// No received set is kept for an earlier incarnation: its record
		// is a duplicate when its key is taken.
		var err error
		if taken, err = a.takenReadings(ctx, b.Device, d, inc, b.Records); err != nil {
			return res, err
		}
	}
	d.readings = slices.Grow(d.readings, len(b.Records))
	for _, r := range b.Records {
		one := telemetry.Range{First: r.Seq, Last: r.Seq}
		res.Stored = res.Stored.Add(one)
		ms := r.Time.UnixMilli()
		r.Time = time.UnixMilli(ms).UTC() // as stored
		if stale {
			k := readingKey{ms: ms, seq: r.Seq}
			if taken[k] {
				res.Duplicates++
				continue
			}
			taken[k] = true
			d.state.Stale++
		} else {
			if d.state.Received.Contains(r.Seq) {
				res.Duplicates++
				continue
			}
			d.state.Received = d.state.Received.Add(one)
		}
		r.Flags &^= telemetry.FutureTime
		if r.Time.After(a.futureAfter) {
			r.Flags |= telemetry.FutureTime
			d.state.FutureTime++
		}
		if b.Replay {
			d.state.Replayed++
		}
		r.Sensor, r.Quantity = storable(r.Sensor), telemetry.Quantity(storable(string(r.Quantity)))
		d.readings = append(d.readings, pendingReading{inc: inc, r: r})
		if res.New == nil {
			res.New = make([]telemetry.Record, 0, len(b.Records))
		}
		res.New = append(res.New, r)
		a.rollupRecord(b.Device, r)
	}
	for _, c := range b.Condensed {
		res.Stored = res.Stored.Add(c.Range)
		var fresh uint64
		if stale {
			// A block is stored whole or not at all: it is a duplicate
			// when its first aggregate's key is taken.
			has, err := a.hasBlock(ctx, b.Device, d, c, inc)
			if err != nil {
				return res, err
			}
			if fresh = c.Range.Len(); has {
				fresh = 0
			}
			d.state.Stale += fresh
		} else {
			fresh = c.Range.Len() - d.state.Received.Overlap(c.Range)
			d.state.Received = d.state.Received.Add(c.Range)
		}
		res.Duplicates += int(c.Range.Len() - fresh)
		if fresh == 0 {
			continue
		}
		d.state.Condensed += fresh
		res.Condensed += fresh
		for i, ag := range c.Aggregates {
			ag.Minute = time.UnixMilli(ag.Minute.UnixMilli()).UTC()
			ag.Sensor, ag.Quantity = storable(ag.Sensor), telemetry.Quantity(storable(string(ag.Quantity)))
			d.aggregates = append(d.aggregates, pendingAggregate{inc: inc, block: c.Range, index: i, a: ag})
			a.rollupAggregate(b.Device, ag)
		}
	}
	d.state.Duplicates += uint64(res.Duplicates)
	slices.SortFunc(res.New, func(x, y telemetry.Record) int { return cmp.Compare(x.Seq, y.Seq) })
	return res, nil
}

// readingKey is a reading's key within one device and incarnation.
type readingKey struct {
	ms  int64
	seq uint64
}

// takenReadings returns the keys among rs's that incarnation inc of the
// device already has: stored, or pending in this call.
func (a *appender) takenReadings(ctx context.Context, device string, d *openDevice, inc uint64, rs []telemetry.Record) (map[readingKey]bool, error) {
	taken := make(map[readingKey]bool)
	for _, p := range d.readings {
		if p.inc == inc {
			taken[readingKey{ms: p.r.Time.UnixMilli(), seq: p.r.Seq}] = true
		}
	}
	ms, seqs := make([]int64, len(rs)), make([]int64, len(rs))
	for i, r := range rs {
		ms[i], seqs[i] = r.Time.UnixMilli(), i64(r.Seq)
	}
	rows, err := a.tx.Query(ctx, `SELECT r.time_ms, r.seq
		FROM unnest($3::bigint[], $4::bigint[]) AS k(time_ms, seq)
		JOIN readings r ON r.device = $1 AND r.time_ms = k.time_ms AND r.seq = k.seq AND r.incarnation = $2`,
		device, i64(inc), ms, seqs)
	if err != nil {
		return nil, fmt.Errorf("look up stale records: %w", err)
	}
	var k readingKey
	var seq int64
	_, err = pgx.ForEachRow(rows, []any{&k.ms, &seq}, func() error {
		k.seq = u64(seq)
		taken[k] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up stale records: %w", err)
	}
	return taken, nil
}

// hasBlock reports whether c, condensed by the outbox of incarnation inc,
// is stored or pending: whether its first aggregate's key is taken.
func (a *appender) hasBlock(ctx context.Context, device string, d *openDevice, c telemetry.Condensed, inc uint64) (bool, error) {
	if len(c.Aggregates) == 0 {
		return false, nil
	}
	minute := c.Aggregates[0].Minute.UnixMilli()
	for _, p := range d.aggregates {
		if p.inc == inc && p.block == c.Range && p.index == 0 && p.a.Minute.UnixMilli() == minute {
			return true, nil
		}
	}
	var has bool
	err := a.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM aggregates
		WHERE device = $1 AND minute_ms = $2 AND first_seq = $3 AND last_seq = $4 AND idx = 0 AND incarnation = $5)`,
		device, minute, i64(c.Range.First), i64(c.Range.Last), i64(inc)).Scan(&has)
	if err != nil {
		return false, fmt.Errorf("look up a stale block: %w", err)
	}
	return has, nil
}

// storable makes s storable as PostgreSQL text, which holds neither NUL
// nor invalid UTF-8: those bytes become U+FFFD. The wire lets a device
// send such a sensor or quantity name, and refusing it would fail the
// whole call, stopping the collector.
func storable(s string) string {
	if isText(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// isText reports whether PostgreSQL text can hold s.
func isText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// flush writes the call's new rows and device states: the readings that
// cannot meet a taken key by COPY, the rest, the aggregates, rollups and
// device rows by statements sent in one round trip.
func (a *appender) flush(ctx context.Context) error {
	var (
		pb         pgx.Batch
		upserted   []deviceReading
		aggregates int
		pending    int
	)
	for _, d := range a.devices {
		pending += len(d.readings)
	}
	copied := newCopyData(pending)
	for _, id := range a.ids {
		d := a.devices[id]
		if d.mixed {
			d.readings = lastByKey(d.readings, func(p pendingReading) pendingKey {
				return pendingKey{ms: p.r.Time.UnixMilli(), seq: p.r.Seq, inc: p.inc}
			})
			d.aggregates = lastByKey(d.aggregates, func(p pendingAggregate) pendingKey {
				return pendingKey{ms: p.a.Minute.UnixMilli(), seq: p.block.First, last: p.block.Last, index: p.index, inc: p.inc}
			})
		}
		for _, p := range d.readings {
			if a.upsert || mayHold(&d.state, p.inc) {
				upserted = append(upserted, deviceReading{id, p})
			} else {
				copied.add(id, p)
			}
		}
		aggregates += len(d.aggregates)
		s := &d.state
		pb.Queue(`UPDATE devices SET last_seen = $2, received = $3, seq_high = $4, received_count = $5,
			duplicates = $6, condensed = $7, replayed = $8, future_time = $9, incarnation = $10,
			incarnations = $11, previous_received = $12, stale_incarnation = $13, previous = $14
			WHERE id = $1`,
			id, s.LastSeen, encodeRanges(s.Received), i64(s.Received.Max()), i64(s.Received.Count()),
			i64(s.Duplicates), i64(s.Condensed), i64(s.Replayed), i64(s.FutureTime), i64(s.Incarnation),
			i64(s.Incarnations), i64(s.PreviousReceived), i64(s.Stale), i64s(s.Previous))
	}
	if copied.rows > 0 {
		if _, err := a.tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(copied.end()), copyReadings); err != nil {
			return fmt.Errorf("copy readings: %w", err)
		}
	}
	if len(upserted) > 0 {
		queueReadings(&pb, upserted)
	}
	if aggregates > 0 {
		a.queueAggregates(&pb, aggregates)
	}
	if len(a.rollups) > 0 {
		a.queueRollups(&pb)
	}
	if err := a.tx.SendBatch(ctx, &pb).Close(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// mayHold reports whether the readings table may already hold a key of
// incarnation inc that the received set of s does not: only then can a reading
// the set calls new meet a taken key. Keys of the current incarnation are
// all in its set unless an incarnation was forgotten (more than
// devstate.MaxPrevious earlier ones) and has come back; keys without an
// incarnation are all in the set until the first new incarnation restarts
// it. Stale readings were looked up before they were called new.
func mayHold(s *devstate.State, inc uint64) bool {
	return s.Incarnations > devstate.MaxPrevious+1 || inc == 0 && s.Incarnations > 1
}

// deviceReading is a pending reading and its device.
type deviceReading struct {
	device string
	pendingReading
}

// copyReadings is the COPY that copyData's rows are for.
const copyReadings = `COPY readings (device, time_ms, seq, incarnation, sensor, quantity, quality, value, flags)
	FROM STDIN (FORMAT binary)`

// copyData is rows for copyReadings in COPY's binary format: a header,
// then for each row its number of fields and each field as its length and
// its bytes in the type's binary form (big-endian integers, IEEE 754 bits,
// text as is), then -1. Encoding here rather than through pgx.CopyFrom,
// which boxes every value and looks up its encoder, takes some 15 % off a
// 500-reading Append (BenchmarkAppend) and most of its allocations.
type copyData struct {
	b    []byte
	rows int
}

// copyRowLen is a row's length but for its three names.
const copyRowLen = 2 + 9*4 + 4*8 + 2*2

func newCopyData(rows int) *copyData {
	c := &copyData{b: make([]byte, 0, 19+rows*(copyRowLen+32)+2)}
	c.b = append(c.b, "PGCOPY\n\xff\r\n\x00"...) // signature
	c.b = binary.BigEndian.AppendUint32(c.b, 0)  // flags: no OIDs
	c.b = binary.BigEndian.AppendUint32(c.b, 0)  // no header extension
	return c
}

func (c *copyData) add(device string, p pendingReading) {
	c.rows++
	c.b = binary.BigEndian.AppendUint16(c.b, 9) // fields, in copyReadings' order
	c.text(device)
	c.int8(uint64(p.r.Time.UnixMilli()))
	c.int8(p.r.Seq)
	c.int8(p.inc)
	c.text(p.r.Sensor)
	c.text(string(p.r.Quantity))
	c.int2(uint16(p.r.Quality))
	c.int8(math.Float64bits(p.r.Value))
	c.int2(uint16(p.r.Flags))
}

func (c *copyData) text(s string) {
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(s)))
	c.b = append(c.b, s...)
}

func (c *copyData) int8(v uint64) {
	c.b = binary.BigEndian.AppendUint32(c.b, 8)
	c.b = binary.BigEndian.AppendUint64(c.b, v)
}

func (c *copyData) int2(v uint16) {
	c.b = binary.BigEndian.AppendUint32(c.b, 2)
	c.b = binary.BigEndian.AppendUint16(c.b, v)
}

// end appends the trailer and returns the data.
func (c *copyData) end() []byte {
	return binary.BigEndian.AppendUint16(c.b, 0xffff)
}

// pendingKey is a pending row's primary key within its device.
type pendingKey struct {
	ms             int64
	seq, last, inc uint64
	index          int
}

// lastByKey drops every row whose key a later row repeats.
func lastByKey[T any](rows []T, key func(T) pendingKey) []T {
	last := make(map[pendingKey]int, len(rows))
	for i, r := range rows {
		last[key(r)] = i
	}
	if len(last) == len(rows) {
		return rows
	}
	out := rows[:0:0]
	for i, r := range rows {
		if last[key(r)] == i {
			out = append(out, r)
		}
	}
	return out
}

// queueReadings queues the insert of rows as one statement whose columns
// travel as arrays. ON CONFLICT overwrites, as the bolt backend's Put
// does: the received set called these readings new, so they are what the
// key now stands for (see mayHold).
func queueReadings(pb *pgx.Batch, rows []deviceReading) {
	n := len(rows)
	var (
		devices   = make([]string, 0, n)
		times     = make([]int64, 0, n)
		seqs      = make([]int64, 0, n)
		incs      = make([]int64, 0, n)
		sensors   = make([]string, 0, n)
		qs        = make([]string, 0, n)
		qualities = make([]int16, 0, n)
		values    = make([]float64, 0, n)
		flags     = make([]int16, 0, n)
	)
	for _, p := range rows {
		devices = append(devices, p.device)
		times = append(times, p.r.Time.UnixMilli())
		seqs = append(seqs, i64(p.r.Seq))
		incs = append(incs, i64(p.inc))
		sensors = append(sensors, p.r.Sensor)
		qs = append(qs, string(p.r.Quantity))
		qualities = append(qualities, int16(p.r.Quality))
		values = append(values, p.r.Value)
		flags = append(flags, int16(p.r.Flags))
	}
	pb.Queue(`INSERT INTO readings (device, time_ms, seq, incarnation, sensor, quantity, quality, value, flags)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[],
			$7::smallint[], $8::double precision[], $9::smallint[])
		ON CONFLICT (device, time_ms, seq, incarnation) DO UPDATE SET sensor = excluded.sensor,
			quantity = excluded.quantity, quality = excluded.quality, value = excluded.value, flags = excluded.flags`,
		devices, times, seqs, incs, sensors, qs, qualities, values, flags)
}

func (a *appender) queueAggregates(pb *pgx.Batch, n int) {
	var (
		devices = make([]string, 0, n)
		minutes = make([]int64, 0, n)
		firsts  = make([]int64, 0, n)
		lasts   = make([]int64, 0, n)
		idxs    = make([]int32, 0, n)
		incs    = make([]int64, 0, n)
		sensors = make([]string, 0, n)
		qs      = make([]string, 0, n)
		counts  = make([]int64, 0, n)
		mins    = make([]float64, 0, n)
		maxs    = make([]float64, 0, n)
		means   = make([]float64, 0, n)
	)
	for _, id := range a.ids {
		for _, p := range a.devices[id].aggregates {
			devices = append(devices, id)
			minutes = append(minutes, p.a.Minute.UnixMilli())
			firsts = append(firsts, i64(p.block.First))
			lasts = append(lasts, i64(p.block.Last))
			idxs = append(idxs, int32(p.index))
			incs = append(incs, i64(p.inc))
			sensors = append(sensors, p.a.Sensor)
			qs = append(qs, string(p.a.Quantity))
			counts = append(counts, int64(p.a.Count))
			mins = append(mins, p.a.Min)
			maxs = append(maxs, p.a.Max)
			means = append(means, p.a.Mean)
		}
	}
	pb.Queue(`INSERT INTO aggregates (device, minute_ms, first_seq, last_seq, idx, incarnation, sensor, quantity, count, min, max, mean)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::integer[], $6::bigint[],
			$7::text[], $8::text[], $9::bigint[], $10::double precision[], $11::double precision[], $12::double precision[])
		ON CONFLICT (device, minute_ms, first_seq, last_seq, idx, incarnation) DO UPDATE SET sensor = excluded.sensor,
			quantity = excluded.quantity, count = excluded.count, min = excluded.min, max = excluded.max, mean = excluded.mean`,
		devices, minutes, firsts, lasts, idxs, incs, sensors, qs, counts, mins, maxs, means)
}
