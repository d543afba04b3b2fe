package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xiuhua/xiuhua/cloud/store"
)

var (
	errNoChannel = errors.New("postgres: notification has an empty channel or one that text cannot hold (NUL, invalid UTF-8)")
	errNoKey     = errors.New("postgres: notification has an empty key or one that text cannot hold (NUL, invalid UTF-8)")
	errBadState  = errors.New("postgres: not a notification state")
)

// Enqueue stores ns as pending, due at their NextAttempt (Created when
// zero), in one transaction: one multi-row insert whose ON CONFLICT DO
// NOTHING leaves a (channel, key) already stored, in any state, as it is.
func (db *DB) Enqueue(ctx context.Context, ns ...store.Notification) error {
	const op = "enqueue"
	if err := db.check(ctx, op); err != nil {
		return err
	}
	for i, m := range ns {
		switch {
		case m.Channel == "" || !isText(m.Channel):
			return fmt.Errorf("%w: notification %d (%q)", errNoChannel, i, m.Channel)
		case m.Key == "" || !isText(m.Key):
			return fmt.Errorf("%w: notification %d on %q (%q)", errNoKey, i, m.Channel, m.Key)
		}
	}
	if len(ns) == 0 {
		return nil
	}
	// Concurrent calls insert in one order, so that two calls sharing
	// keys wait for each other rather than deadlock; the sort is stable,
	// so the first of a repeated pair is still the one kept.
	ns = slices.Clone(ns)
	slices.SortStableFunc(ns, func(x, y store.Notification) int {
		return cmp.Or(strings.Compare(x.Channel, y.Channel), strings.Compare(x.Key, y.Key))
	})
	n := len(ns)
	var (
		channels = make([]string, 0, n)
		keys     = make([]string, 0, n)
		bodies   = make([][]byte, 0, n)
		created  = make([]time.Time, 0, n)
		next     = make([]time.Time, 0, n)
	)
	for _, m := range ns {
		due := m.NextAttempt
		if due.IsZero() {
			due = m.Created
		}
		body := m.Body
		if body == nil {
			body = []byte{}
		}
		channels, keys, bodies = append(channels, m.Channel), append(keys, m.Key), append(bodies, body)
		created, next = append(created, m.Created), append(next, due)
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO notifications (channel, key, body, created, next_attempt, state)
		SELECT *, 'pending' FROM unnest($1::text[], $2::text[], $3::bytea[], $4::timestamptz[], $5::timestamptz[])
		ON CONFLICT (channel, key) DO NOTHING`,
		channels, keys, bodies, created, next)
	if err != nil {
		return db.fail(op, err)
	}
	return nil
}

const notificationColumns = `channel, key, body, created, state, attempts, next_attempt, last_error, done`

// Due returns at most limit pending notifications (every one when limit
// ≤ 0) with NextAttempt ≤ now, ordered by NextAttempt, then Created, then
// Channel and Key: a scan of the partial index of pending messages, which
// holds nothing else. Times are kept to the microsecond.
func (db *DB) Due(ctx context.Context, now time.Time, limit int) ([]store.Notification, error) {
	const op = "due notifications"
	if err := db.check(ctx, op); err != nil {
		return nil, err
	}
	var limitArg any // NULL: no limit
	if limit > 0 {
		limitArg = limit
	}
	rows, err := db.pool.Query(ctx, `SELECT `+notificationColumns+` FROM notifications
		WHERE state = 'pending' AND next_attempt <= $1
		ORDER BY next_attempt, created, channel, key LIMIT $2`, now, limitArg)
	if err != nil {
		return nil, db.fail(op, err)
	}
	out, err := collectNotifications(rows)
	if err != nil {
		return nil, db.fail(op, err)
	}
	return out, nil
}

// Settle records an attempt at (channel, key); see store.Notifications.
func (db *DB) Settle(ctx context.Context, channel, key, state string, now, next time.Time, errText string) error {
	const op = "settle notification"
	if err := db.check(ctx, op); err != nil {
		return err
	}
	var done *time.Time
	switch state {
	case store.Delivered, store.Failed:
		done = &now
	case store.Pending:
	default:
		return fmt.Errorf("%w: %q", errBadState, state)
	}
	if !isText(channel) || !isText(key) {
		// Not storable as text, so not stored.
		return fmt.Errorf("postgres: %s %q/%q: %w", op, channel, key, store.ErrNotFound)
	}
	tag, err := db.pool.Exec(ctx, `UPDATE notifications SET state = $3, attempts = attempts + 1, last_error = $4, done = $5,
		next_attempt = CASE WHEN $3 = 'pending' THEN $6 ELSE next_attempt END
		WHERE channel = $1 AND key = $2`,
		channel, key, state, storable(errText), done, next)
	if err != nil {
		return db.fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s %q/%q: %w", op, channel, key, store.ErrNotFound)
	}
	return nil
}

// Notifications lists the messages of one channel (every channel when
// empty) in state (every state when empty), oldest created first, ties by
// channel and key.
func (db *DB) Notifications(ctx context.Context, channel, state string) ([]store.Notification, error) {
	const op = "list notifications"
	if err := db.check(ctx, op); err != nil {
		return nil, err
	}
	if !isText(channel) || !isText(state) {
		return nil, nil // nothing such is stored
	}
	var (
		where []string
		args  []any
	)
	if channel != "" {
		args = append(args, channel)
		where = append(where, fmt.Sprintf("channel = $%d", len(args)))
	}
	if state != "" {
		args = append(args, state)
		where = append(where, fmt.Sprintf("state = $%d", len(args)))
	}
	sql := `SELECT ` + notificationColumns + ` FROM notifications`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := db.pool.Query(ctx, sql+" ORDER BY created, channel, key", args...)
	if err != nil {
		return nil, db.fail(op, err)
	}
	out, err := collectNotifications(rows)
	if err != nil {
		return nil, db.fail(op, err)
	}
	return out, nil
}

func collectNotifications(rows pgx.Rows) ([]store.Notification, error) {
	var (
		out  []store.Notification
		n    store.Notification
		done *time.Time
	)
	_, err := pgx.ForEachRow(rows, []any{&n.Channel, &n.Key, &n.Body, &n.Created, &n.State, &n.Attempts,
		&n.NextAttempt, &n.LastError, &done}, func() error {
		m := n
		m.Body = append([]byte(nil), n.Body...)
		m.Created, m.NextAttempt = m.Created.UTC(), m.NextAttempt.UTC()
		m.Done = time.Time{}
		if done != nil {
			m.Done = done.UTC()
		}
		out = append(out, m)
		return nil
	})
	return out, err
}
