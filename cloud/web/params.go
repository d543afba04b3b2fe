package web

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

// timeExample shows the expected time format in error messages.
const timeExample = "2026-03-01T08:00:00Z"

// rangeQuery is a parsed query string of /api/v1/readings or
// /api/v1/aggregates.
type rangeQuery struct {
	store.ReadingQuery
	hasFrom, hasTo bool
}

// Bounds of an aggregates query without from or to: every time RFC 3339
// can write.
var (
	earliest = time.Time{}
	latest   = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// parseRangeQuery checks the query string of /api/v1/readings (times
// required) or /api/v1/aggregates (times optional, unbounded when
// absent). Its errors are shown to the client, so each names the
// parameter.
func parseRangeQuery(raw string, timesRequired bool) (rangeQuery, error) {
	var q rangeQuery
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return q, fmt.Errorf("query string: %v", err)
	}
	device, err := param(vals, "device", true)
	if err != nil {
		return q, err
	}
	if err := telemetry.ValidateDeviceID(device); err != nil {
		return q, fmt.Errorf("device: %s", strings.TrimPrefix(err.Error(), "telemetry: "))
	}
	q.Device = device
	if q.From, q.hasFrom, err = timeParam(vals, "from", timesRequired); err != nil {
		return q, err
	}
	if !q.hasFrom {
		q.From = earliest
	}
	if q.To, q.hasTo, err = timeParam(vals, "to", timesRequired); err != nil {
		return q, err
	}
	if !q.hasTo {
		q.To = latest
	}
	if q.From.After(q.To) {
		return q, fmt.Errorf("from: %s is after to %s", q.From.Format(time.RFC3339Nano), q.To.Format(time.RFC3339Nano))
	}
	q.Limit, err = limitParam(vals)
	return q, err
}

// param returns the one value of name, "" when it is absent and optional.
func param(vals url.Values, name string, required bool) (string, error) {
	vs := vals[name]
	switch {
	case len(vs) > 1:
		return "", fmt.Errorf("%s: given %d times; give it once", name, len(vs))
	case len(vs) == 0 || vs[0] == "":
		if required {
			return "", fmt.Errorf("%s: missing", name)
		}
		return "", nil
	}
	return vs[0], nil
}

// timeParam returns the time name holds and whether it is given.
func timeParam(vals url.Values, name string, required bool) (time.Time, bool, error) {
	v, err := param(vals, name, required)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%v; give an RFC 3339 time such as %s", err, timeExample)
	}
	if v == "" {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		hint := ""
		if strings.Contains(v, " ") {
			// The usual culprit: "+08:00" sent unescaped arrives as " 08:00".
			hint = " (write a '+' in a URL as %2B)"
		}
		return time.Time{}, false, fmt.Errorf("%s: %q is not an RFC 3339 time such as %s%s", name, v, timeExample, hint)
	}
	return t, true, nil
}

// alertParams are the parameters /api/v1/alerts takes.
var alertParams = []string{"state", "active", "office", "device", "plan", "category", "severity", "from", "to", "limit"}

// alertStates are the values of ?state=.
var alertStates = []string{store.Open, store.Acknowledged, store.Resolved}

// severities are the values of ?severity= (configs.Severity).
var severities = []string{string(configs.Info), string(configs.Warning), string(configs.Critical)}

// parseAlertQuery checks the query string of /api/v1/alerts. A parameter
// it does not know is an error rather than ignored: a mistyped filter
// would otherwise widen the list to every alert.
func parseAlertQuery(raw string) (store.AlertQuery, error) {
	var q store.AlertQuery
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return q, fmt.Errorf("query string: %v", err)
	}
	if err := onlyParams(vals, alertParams); err != nil {
		return q, err
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"state", &q.State}, {"office", &q.Office}, {"device", &q.Device}, {"plan", &q.Plan},
		{"category", &q.Category}, {"severity", &q.Severity}} {
		if *p.dst, err = param(vals, p.name, false); err != nil {
			return q, err
		}
	}
	if q.State != "" && !slices.Contains(alertStates, q.State) {
		return q, fmt.Errorf("state: %q is not an alert state; use open, acknowledged or resolved", q.State)
	}
	if q.Device != "" {
		if err := telemetry.ValidateDeviceID(q.Device); err != nil {
			return q, fmt.Errorf("device: %s", strings.TrimPrefix(err.Error(), "telemetry: "))
		}
	}
	if q.Category != "" && !slices.Contains(configs.Categories(), q.Category) {
		return q, fmt.Errorf("category: %q is not a category; use one of %s", q.Category, strings.Join(configs.Categories(), ", "))
	}
	if q.Severity != "" && !slices.Contains(severities, q.Severity) {
		return q, fmt.Errorf("severity: %q is not a severity; use one of %s", q.Severity, strings.Join(severities, ", "))
	}
	active, err := param(vals, "active", false)
	if err != nil {
		return q, err
	}
	switch active {
	case "", "false":
	case "true":
		if q.State == store.Resolved {
			return q, errors.New("active: true selects the alerts not resolved, but state is resolved; give one of them")
		}
		q.Active = true
	default:
		return q, fmt.Errorf("active: %q is not true or false", active)
	}
	if q.From, _, err = timeParam(vals, "from", false); err != nil {
		return q, err
	}
	if q.To, _, err = timeParam(vals, "to", false); err != nil {
		return q, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.From.After(q.To) {
		return q, fmt.Errorf("from: %s is after to %s", q.From.Format(time.RFC3339Nano), q.To.Format(time.RFC3339Nano))
	}
	q.Limit, err = limitParam(vals)
	return q, err
}

// limitParam returns ?limit=, 0 when it is absent.
func limitParam(vals url.Values) (int, error) {
	limit, err := param(vals, "limit", false)
	if err != nil || limit == "" {
		return 0, err
	}
	n, err := strconv.Atoi(limit)
	if err != nil || n < 1 || n > store.MaxLimit {
		return 0, fmt.Errorf("limit: %q is not a whole number from 1 to %d", limit, store.MaxLimit)
	}
	return n, nil
}

// onlyParams fails on the first parameter, in name order, that is not
// one of known.
func onlyParams(vals url.Values, known []string) error {
	for _, name := range slices.Sorted(maps.Keys(vals)) {
		if !slices.Contains(known, name) {
			return fmt.Errorf("%s: not a parameter here; use %s", name, strings.Join(known, ", "))
		}
	}
	return nil
}

// cst is China Standard Time, in which plans count their years.
var cst = time.FixedZone("CST", 8*3600)

// parseComplianceQuery checks the query string of /api/v1/compliance:
// district is required, year defaults to now's year in CST.
func parseComplianceQuery(raw string, now time.Time) (district string, year int, err error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return "", 0, fmt.Errorf("query string: %v", err)
	}
	if err := onlyParams(vals, []string{"district", "year"}); err != nil {
		return "", 0, err
	}
	if district, err = param(vals, "district", true); err != nil {
		return "", 0, err
	}
	y, err := param(vals, "year", false)
	if err != nil {
		return "", 0, err
	}
	if y == "" {
		return district, now.In(cst).Year(), nil
	}
	if year, err = strconv.Atoi(y); err != nil || year < 2000 || year > 2100 {
		return "", 0, fmt.Errorf("year: %q is not a year from 2000 to 2100", y)
	}
	return district, year, nil
}
