package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xiuhua/xiuhua/cloud/store"
)

var errNoAlertID = errors.New("postgres: alert has an empty id")

// PutAlert creates or replaces the alert with a.ID: the whole alert as a
// JSONB document, and beside it the columns that AlertQuery filters on.
func (db *DB) PutAlert(ctx context.Context, a store.Alert) error {
	const op = "put alert"
	if err := db.check(ctx, op); err != nil {
		return err
	}
	if a.ID == "" {
		return errNoAlertID
	}
	doc, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("postgres: put alert %q: %w", a.ID, err)
	}
	offices := append([]string{a.Office}, a.Escalated...)
	opened, openedNS := splitTime(a.Opened)
	_, err = db.pool.Exec(ctx, `INSERT INTO alerts (id, opened, opened_ns, state, device, plan, category, severity, offices, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET opened = excluded.opened, opened_ns = excluded.opened_ns, state = excluded.state,
			device = excluded.device, plan = excluded.plan, category = excluded.category, severity = excluded.severity,
			offices = excluded.offices, doc = excluded.doc`,
		a.ID, opened, openedNS, a.State, a.Device, a.Plan, a.Category, a.Severity, offices, string(doc))
	if err != nil {
		return db.fail(fmt.Sprintf("put alert %q", a.ID), err)
	}
	return nil
}

// Alert returns the alert with id, or store.ErrNotFound.
func (db *DB) Alert(ctx context.Context, id string) (store.Alert, error) {
	const op = "get alert"
	if err := db.check(ctx, op); err != nil {
		return store.Alert{}, err
	}
	var doc []byte
	err := pgx.ErrNoRows // an id that is not text is not stored
	if isText(id) {
		err = db.pool.QueryRow(ctx, `SELECT doc FROM alerts WHERE id = $1`, id).Scan(&doc)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Alert{}, fmt.Errorf("postgres: alert %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Alert{}, db.fail(op, err)
	}
	var a store.Alert
	if err := json.Unmarshal(doc, &a); err != nil {
		return store.Alert{}, fmt.Errorf("%w: alert %q: %w", ErrCorrupt, id, err)
	}
	return a, nil
}

// Alerts lists the alerts q selects, newest opened first, ties by id. Each
// filter is a condition on an indexed or stored column: the office on the
// GIN-indexed array of the alert's office and those it was escalated to,
// Active on the partial index of unresolved alerts, Opened on the
// (opened, opened_ns) pair, exact to the nanosecond.
func (db *DB) Alerts(ctx context.Context, q store.AlertQuery) ([]store.Alert, error) {
	const op = "list alerts"
	if err := db.check(ctx, op); err != nil {
		return nil, err
	}
	for _, f := range []string{q.State, q.Office, q.Device, q.Plan, q.Category, q.Severity} {
		if !isText(f) {
			return nil, nil // no stored alert has it
		}
	}
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	for _, f := range []struct{ column, value string }{
		{"state", q.State}, {"device", q.Device}, {"plan", q.Plan}, {"category", q.Category}, {"severity", q.Severity},
	} {
		if f.value != "" {
			where = append(where, f.column+" = "+arg(f.value))
		}
	}
	if q.Active {
		where = append(where, "state <> 'resolved'") // the predicate of index alerts_active, verbatim
	}
	if q.Office != "" {
		where = append(where, "offices @> ARRAY["+arg(q.Office)+"::text]")
	}
	if !q.From.IsZero() {
		t, ns := splitTime(q.From)
		where = append(where, "(opened, opened_ns) >= ("+arg(t)+", "+arg(ns)+")")
	}
	if !q.To.IsZero() {
		t, ns := splitTime(q.To)
		where = append(where, "(opened, opened_ns) < ("+arg(t)+", "+arg(ns)+")")
	}
	sql := "SELECT id, doc FROM alerts"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY opened DESC, opened_ns DESC, id"
	if q.Limit > 0 {
		sql += " LIMIT " + arg(q.Limit)
	}
	rows, err := db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, db.fail(op, err)
	}
	var (
		out []store.Alert
		id  string
		doc []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &doc}, func() error {
		var a store.Alert
		if err := json.Unmarshal(doc, &a); err != nil {
			return fmt.Errorf("%w: alert %q: %w", ErrCorrupt, id, err)
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, db.fail(op, err)
	}
	return out, nil
}

// splitTime splits t into the microsecond a timestamptz keeps (pgx
// floors) and the nanoseconds below it.
func splitTime(t time.Time) (time.Time, int16) {
	return t.Truncate(time.Microsecond), int16(t.Nanosecond() % 1000)
}
