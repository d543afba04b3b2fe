package bolt

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/xiuhua/xiuhua/cloud/store"
)

var errNoAlertID = errors.New("bolt: alert has an empty id")

// PutAlert creates or replaces the alert with a.ID.
func (db *DB) PutAlert(ctx context.Context, a store.Alert) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt: put alert: %w", err)
	}
	if a.ID == "" {
		return errNoAlertID
	}
	v, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("bolt: put alert %q: %w", a.ID, err)
	}
	return db.update("put alert", func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketAlerts).Put([]byte(a.ID), v)
	})
}

// Alert returns the alert with id, or an error wrapping store.ErrNotFound.
func (db *DB) Alert(ctx context.Context, id string) (store.Alert, error) {
	if err := ctx.Err(); err != nil {
		return store.Alert{}, fmt.Errorf("bolt: get alert: %w", err)
	}
	var a store.Alert
	err := db.view("get alert", func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketAlerts).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("alert %q: %w", id, store.ErrNotFound)
		}
		var err error
		a, err = decodeAlert([]byte(id), v)
		return err
	})
	return a, err
}

// Alerts lists the alerts q selects, newest opened first; alerts opened at
// the same instant are sorted by id. Every alert is decoded and filtered
// with q.Match: a collector holds thousands of alerts, not millions.
func (db *DB) Alerts(ctx context.Context, q store.AlertQuery) ([]store.Alert, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt: list alerts: %w", err)
	}
	var out []store.Alert
	err := db.view("list alerts", func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
			a, err := decodeAlert(k, v)
			if err != nil {
				return err
			}
			if q.Match(a) {
				out = append(out, a)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(x, y store.Alert) int {
		if c := y.Opened.Compare(x.Opened); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

func decodeAlert(k, v []byte) (store.Alert, error) {
	var a store.Alert
	if err := json.Unmarshal(v, &a); err != nil {
		return a, fmt.Errorf("%w: alert %q: %w", ErrCorrupt, k, err)
	}
	return a, nil
}
