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

// Alerts lists every alert, newest opened first; alerts opened at the same
// instant are sorted by id.
func (db *DB) Alerts(ctx context.Context) ([]store.Alert, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt: list alerts: %w", err)
	}
	var out []store.Alert
	err := db.view("list alerts", func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
			var a store.Alert
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("%w: alert %q: %w", ErrCorrupt, k, err)
			}
			out = append(out, a)
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
	return out, nil
}
