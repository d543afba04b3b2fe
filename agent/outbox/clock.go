package outbox

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/telemetry"
)

var keyUnsynced = []byte("unsynced")

// unsyncedSpan is what the outbox remembers about the readings it holds
// that were stamped by a clock not yet synchronised in the current boot.
type unsyncedSpan struct {
	BootID  string           `json:"boot_id"`
	EpochMS int64            `json:"epoch_ms"` // the clock's wall time at boot when they were taken
	Seqs    telemetry.Ranges `json:"seqs"`
}

// MarkUnsynced records that the readings in seqs were stamped by the
// clock of boot bootID while its epoch (wall time at boot) read epoch and
// it was not synchronised, so that CorrectClock can fix their times. A
// different boot id replaces the span: readings of an earlier boot can
// never be corrected and keep their telemetry.ClockUnsynced flag.
func (o *Outbox) MarkUnsynced(bootID string, epoch time.Time, seqs telemetry.Range) error {
	err := o.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		span, err := loadSpan(meta)
		if err != nil {
			return err
		}
		if span.BootID != bootID {
			span = unsyncedSpan{BootID: bootID, EpochMS: epoch.UnixMilli()}
		}
		span.Seqs = span.Seqs.Add(seqs)
		return saveSpan(meta, span)
	})
	if err != nil {
		return fmt.Errorf("outbox: mark unsynced: %w", err)
	}
	return nil
}

// CorrectClock is called once the clock of boot bootID is synchronised
// and its epoch reads epoch: every reading still held from the recorded
// span of that boot has its time moved by the clock's step and its flag
// changed from ClockUnsynced to ClockCorrected. It returns how many
// readings it corrected.
func (o *Outbox) CorrectClock(bootID string, epoch time.Time) (int, error) {
	// Leased readings may be on the wire already: they keep their flag,
	// so that the copy the collector stores and this one agree.
	o.leaseMu.Lock()
	defer o.leaseMu.Unlock()
	n := 0
	err := o.update(func(tx *bolt.Tx) error {
		// Acknowledged entries are deleted first, rather than corrected.
		if err := o.deleteAcked(tx); err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		span, err := loadSpan(meta)
		if err != nil || span.BootID == "" {
			return err
		}
		if err := meta.Delete(keyUnsynced); err != nil {
			return err
		}
		if span.BootID != bootID {
			return nil
		}
		step := epoch.Sub(time.UnixMilli(span.EpochMS))
		for _, lane := range []Lane{Urgent, Data} {
			b := tx.Bucket(lane.bucket())
			var fixed [][2][]byte
			c := b.Cursor()
			for _, r := range span.Seqs {
				for k, v := c.Seek(seqKey(r.First)); k != nil && bigEndian(k) <= r.Last; k, v = c.Next() {
					if len(v) == 0 || v[0] != tagRecord || o.leased.Contains(bigEndian(k)) {
						continue
					}
					rec, err := telemetry.UnmarshalRecord(v[1:])
					if err != nil {
						return err
					}
					if rec.Flags&telemetry.ClockUnsynced == 0 {
						continue
					}
					rec.Time = rec.Time.Add(step)
					rec.Flags = rec.Flags&^telemetry.ClockUnsynced | telemetry.ClockCorrected
					nv, err := telemetry.MarshalRecord(rec)
					if err != nil {
						return err
					}
					fixed = append(fixed, [2][]byte{append([]byte(nil), k...), append([]byte{tagRecord}, nv...)})
				}
			}
			for _, kv := range fixed {
				if err := b.Put(kv[0], kv[1]); err != nil {
					return err
				}
			}
			n += len(fixed)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: correct clock: %w", err)
	}
	o.acked = ackedSet{}
	return n, nil
}

func loadSpan(meta *bolt.Bucket) (unsyncedSpan, error) {
	var s unsyncedSpan
	v := meta.Get(keyUnsynced)
	if v == nil {
		return s, nil
	}
	if err := json.Unmarshal(v, &s); err != nil {
		return s, fmt.Errorf("unsynced span: %w", err)
	}
	return s, nil
}

func saveSpan(meta *bolt.Bucket, s unsyncedSpan) error {
	v, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return meta.Put(keyUnsynced, v)
}
