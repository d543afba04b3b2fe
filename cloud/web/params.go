package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
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
	limit, err := param(vals, "limit", false)
	if err != nil || limit == "" {
		return q, err
	}
	n, err := strconv.Atoi(limit)
	if err != nil || n < 1 || n > store.MaxLimit {
		return q, fmt.Errorf("limit: %q is not a whole number from 1 to %d", limit, store.MaxLimit)
	}
	q.Limit = n
	return q, nil
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
