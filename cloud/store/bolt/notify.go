package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/cloud/store"
)

var (
	errNoChannel = errors.New("bolt: notification has an empty channel or one with a NUL byte")
	errNoKey     = errors.New("bolt: notification has an empty key")
	errBadState  = errors.New("bolt: not a notification state")
)

// Enqueue stores ns as pending in one write transaction. A (channel, key)
// already stored, in any state, is left as it is, as is the second of a
// pair repeated within ns.
func (db *DB) Enqueue(ctx context.Context, ns ...store.Notification) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt: enqueue: %w", err)
	}
	for i, n := range ns {
		switch {
		case n.Channel == "" || strings.IndexByte(n.Channel, 0) >= 0:
			return fmt.Errorf("%w: notification %d (%q)", errNoChannel, i, n.Channel)
		case n.Key == "":
			return fmt.Errorf("%w: notification %d on %q", errNoKey, i, n.Channel)
		}
	}
	if len(ns) == 0 {
		return nil
	}
	return db.update("enqueue", func(tx *bbolt.Tx) error {
		all, due := tx.Bucket(bucketNotifications), tx.Bucket(bucketNotifyDue)
		for _, n := range ns {
			id := noteID(n.Channel, n.Key)
			if all.Get(id) != nil {
				continue
			}
			n = store.Notification{
				Channel: n.Channel, Key: n.Key, Body: n.Body, Created: n.Created.UTC(),
				State: store.Pending, NextAttempt: n.NextAttempt.UTC(),
			}
			if n.NextAttempt.IsZero() {
				n.NextAttempt = n.Created
			}
			if err := putNote(all, due, id, n); err != nil {
				return err
			}
		}
		return nil
	})
}

// Due returns at most limit pending notifications with NextAttempt ≤ now
// (every one when limit ≤ 0) in the due index's order: a scan of its head.
func (db *DB) Due(ctx context.Context, now time.Time, limit int) ([]store.Notification, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt: due notifications: %w", err)
	}
	last := appendNoteTime(nil, now)
	var out []store.Notification
	err := db.view("due notifications", func(tx *bbolt.Tx) error {
		all := tx.Bucket(bucketNotifications)
		c := tx.Bucket(bucketNotifyDue).Cursor()
		for k, _ := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, _ = c.Next() {
			if len(k) <= 2*noteTimeLen {
				return fmt.Errorf("%w: due key %x", ErrCorrupt, k)
			}
			if bytes.Compare(k[:noteTimeLen], last) > 0 {
				break // due after now, as is every key after it
			}
			id := k[2*noteTimeLen:]
			n, err := getNote(all, id)
			if err != nil {
				return err
			}
			out = append(out, n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Settle records an attempt at (channel, key); see store.Notifications.
func (db *DB) Settle(ctx context.Context, channel, key, state string, now, next time.Time, errText string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt: settle notification: %w", err)
	}
	switch state {
	case store.Pending, store.Delivered, store.Failed:
	default:
		return fmt.Errorf("%w: %q", errBadState, state)
	}
	return db.update("settle notification", func(tx *bbolt.Tx) error {
		all, due := tx.Bucket(bucketNotifications), tx.Bucket(bucketNotifyDue)
		id := noteID(channel, key)
		if strings.IndexByte(channel, 0) >= 0 || all.Get(id) == nil {
			return fmt.Errorf("%q/%q: %w", channel, key, store.ErrNotFound)
		}
		n, err := getNote(all, id)
		if err != nil {
			return err
		}
		if n.State == store.Pending {
			if err := due.Delete(dueKey(n, id)); err != nil {
				return err
			}
		}
		n.State, n.LastError = state, errText
		n.Attempts++
		if state == store.Pending {
			n.NextAttempt, n.Done = next.UTC(), time.Time{}
		} else {
			n.Done = now.UTC()
		}
		return putNote(all, due, id, n)
	})
}

// Notifications lists the messages of channel (every channel when empty)
// in state (every state when empty), oldest created first; messages
// created at the same instant are ordered by channel, then key.
func (db *DB) Notifications(ctx context.Context, channel, state string) ([]store.Notification, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt: list notifications: %w", err)
	}
	var out []store.Notification
	err := db.view("list notifications", func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketNotifications).Cursor()
		var prefix []byte
		if channel != "" {
			prefix = noteID(channel, "")
		}
		k, v := c.First()
		if prefix != nil {
			k, v = c.Seek(prefix)
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			n, err := decodeNote(k, v)
			if err != nil {
				return err
			}
			if state == "" || n.State == state {
				out = append(out, n)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The cursor gave (channel, key) order; a stable sort keeps it for ties.
	slices.SortStableFunc(out, func(x, y store.Notification) int { return x.Created.Compare(y.Created) })
	return out, nil
}

// noteID is a message's key in the notifications bucket: the channel, a
// NUL byte, then the key. Channels hold no NUL, so ids sort by (channel,
// key) and a channel's ids share the prefix noteID(channel, "").
func noteID(channel, key string) []byte {
	id := make([]byte, 0, len(channel)+1+len(key))
	id = append(id, channel...)
	id = append(id, 0)
	return append(id, key...)
}

// noteTimeLen is the length of a time in a due key: Unix seconds as a
// big-endian uint64 with the sign bit flipped, then the nanoseconds as a
// big-endian uint32, so that keys sort by time, to the nanosecond, over
// time.Time's whole range.
const noteTimeLen = 8 + 4

func appendNoteTime(dst []byte, t time.Time) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(t.Unix())^signBit)
	return binary.BigEndian.AppendUint32(dst, uint32(t.Nanosecond()))
}

// dueKey is a pending message's key in the due index: its next attempt,
// its creation, then its id, so that a cursor walks the index in Due's
// order.
func dueKey(n store.Notification, id []byte) []byte {
	k := make([]byte, 0, 2*noteTimeLen+len(id))
	k = appendNoteTime(k, n.NextAttempt)
	k = appendNoteTime(k, n.Created)
	return append(k, id...)
}

// putNote writes n under id and, while it is pending, into the due index.
func putNote(all, due *bbolt.Bucket, id []byte, n store.Notification) error {
	v, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("notification %q: %w", id, err)
	}
	if err := all.Put(id, v); err != nil {
		return err
	}
	if n.State != store.Pending {
		return nil
	}
	return due.Put(dueKey(n, id), nil)
}

func getNote(all *bbolt.Bucket, id []byte) (store.Notification, error) {
	v := all.Get(id)
	if v == nil {
		return store.Notification{}, fmt.Errorf("%w: due index names notification %q, which is not stored", ErrCorrupt, id)
	}
	return decodeNote(id, v)
}

func decodeNote(id, v []byte) (store.Notification, error) {
	var n store.Notification
	if err := json.Unmarshal(v, &n); err != nil {
		return n, fmt.Errorf("%w: notification %q: %w", ErrCorrupt, id, err)
	}
	if !bytes.Equal(noteID(n.Channel, n.Key), id) {
		return n, fmt.Errorf("%w: notification %q is stored under %q", ErrCorrupt, n.Channel+"/"+n.Key, id)
	}
	return n, nil
}
