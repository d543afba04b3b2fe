package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua/cloud/alert"
	"github.com/xiuhua/xiuhua/cloud/store"
)

type alertsBody struct {
	Alerts []store.Alert `json:"alerts"`
}

// alertStates are the values of ?state=.
var alertStates = []string{store.Open, store.Acknowledged, store.Resolved}

// alerts lists alerts: ?state=open|acknowledged|resolved, ?active=true
// (open or acknowledged), ?office= (also matches offices an alert was
// escalated to), ?device=, ?plan=, ?category=, ?severity=, ?from= and
// ?to= (RFC 3339, on the opening time), ?limit=.
func (s *server) alerts(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := store.AlertQuery{State: v.Get("state"), Office: v.Get("office"), Device: v.Get("device"),
		Plan: v.Get("plan"), Category: v.Get("category"), Severity: v.Get("severity")}
	if q.State != "" && !slices.Contains(alertStates, q.State) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("state %q is not an alert state; use open, acknowledged or resolved", q.State))
		return
	}
	if a := v.Get("active"); a != "" {
		b, err := strconv.ParseBool(a)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("active %q is not true or false", a))
			return
		}
		q.Active = b
	}
	var err error
	if q.From, _, err = timeParam(v, "from", false); err == nil {
		q.To, _, err = timeParam(v, "to", false)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q is not a positive whole number", l))
			return
		}
		q.Limit = n
	}
	as, err := s.src.Alerts(r.Context(), q)
	if err != nil {
		s.fail(w, r, "list alerts", err)
		return
	}
	for i := range as {
		as[i] = utcAlert(as[i])
	}
	if as == nil {
		as = []store.Alert{}
	}
	s.reply(w, r, http.StatusOK, alertsBody{Alerts: as})
}

func (s *server) alert(w http.ResponseWriter, r *http.Request) {
	a, err := s.src.Alert(r.Context(), r.PathValue("id"))
	if s.alertError(w, r, "get alert", err) {
		return
	}
	s.reply(w, r, http.StatusOK, utcAlert(a))
}

// actor is who acts on an alert: {"by": "name"} in the body, else "api".
type actor struct {
	By string `json:"by"`
}

func (s *server) by(w http.ResponseWriter, r *http.Request) (string, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<10))
	if err != nil {
		writeError(w, http.StatusBadRequest, "cannot read the request body")
		return "", false
	}
	a := actor{By: "api"}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &a); err != nil {
			writeError(w, http.StatusBadRequest, `the body must be JSON such as {"by": "duty officer"}: `+err.Error())
			return "", false
		}
		if a.By == "" || len(a.By) > 100 {
			writeError(w, http.StatusBadRequest, `"by" must name who acts, in 1 to 100 bytes`)
			return "", false
		}
	}
	return a.By, true
}

func (s *server) ack(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, "acknowledge alert", func(id, by string) (store.Alert, error) {
		return s.lifecycle.Ack(r.Context(), id, by)
	})
}

func (s *server) resolve(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, "resolve alert", func(id, by string) (store.Alert, error) {
		return s.lifecycle.Resolve(r.Context(), id, by)
	})
}

func (s *server) act(w http.ResponseWriter, r *http.Request, op string, do func(id, by string) (store.Alert, error)) {
	if s.lifecycle == nil {
		writeError(w, http.StatusServiceUnavailable, "alerts cannot be changed here")
		return
	}
	by, ok := s.by(w, r)
	if !ok {
		return
	}
	a, err := do(r.PathValue("id"), by)
	if s.alertError(w, r, op, err) {
		return
	}
	s.reply(w, r, http.StatusOK, utcAlert(a))
}

// alertError answers err, if any: 404 for an unknown id, 409 for a state
// that forbids the change.
func (s *server) alertError(w http.ResponseWriter, r *http.Request, op string, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no alert with id "+strconv.Quote(r.PathValue("id")))
	case errors.Is(err, alert.ErrResolved):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.fail(w, r, op, err)
	}
	return true
}

func utcAlert(a store.Alert) store.Alert {
	a.Opened, a.Raised = a.Opened.UTC(), a.Raised.UTC()
	for _, p := range []**time.Time{&a.Resolved, &a.AckedAt, &a.EscalatedAt} {
		if *p != nil {
			*p = utc(**p)
		}
	}
	return a
}

func (s *server) plansList(w http.ResponseWriter, r *http.Request) {
	s.reply(w, r, http.StatusOK, map[string]any{"plans": s.plans})
}

// complianceReport serves ?district=&year= (year defaults to the current
// one in China Standard Time).
func (s *server) complianceReport(w http.ResponseWriter, r *http.Request) {
	if s.compliance == nil {
		writeError(w, http.StatusServiceUnavailable, "compliance reports are not served here")
		return
	}
	v := r.URL.Query()
	district, err := param(v, "district", true)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	year := time.Now().In(time.FixedZone("CST", 8*3600)).Year()
	if y := v.Get("year"); y != "" {
		if year, err = strconv.Atoi(y); err != nil || year < 2000 || year > 2100 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("year %q is not a year between 2000 and 2100", y))
			return
		}
	}
	rep, err := s.compliance(r.Context(), district, year)
	switch {
	case errors.Is(err, ErrBadRequest):
		writeError(w, http.StatusBadRequest, err.Error())
	case err != nil:
		s.fail(w, r, "compliance", err)
	default:
		s.reply(w, r, http.StatusOK, rep)
	}
}
