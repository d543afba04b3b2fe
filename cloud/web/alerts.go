package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/xiuhua/xiuhua/cloud/alert"
	"github.com/xiuhua/xiuhua/cloud/store"
)

type alertsBody struct {
	Alerts []store.Alert `json:"alerts"`
}

// alerts lists the alerts the query selects (see parseAlertQuery),
// newest opened first.
func (s *server) alerts(w http.ResponseWriter, r *http.Request) {
	q, err := parseAlertQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
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

// maxActBody bounds the body of an ack or a resolve.
const maxActBody = 4 << 10

// by reads who acts from the body of an ack or a resolve: absent or
// empty, "api".
func (s *server) by(w http.ResponseWriter, r *http.Request) (string, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxActBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body: over %d bytes", maxActBody))
		return "", false
	case err != nil:
		writeError(w, http.StatusBadRequest, "body: cannot be read")
		return "", false
	case len(bytes.TrimSpace(body)) == 0:
		return "api", true
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var a actor
	if err := dec.Decode(&a); err != nil || dec.More() {
		if err == nil {
			err = errors.New("more after the object")
		}
		writeError(w, http.StatusBadRequest, `body: not JSON such as {"by": "duty officer"}: `+err.Error())
		return "", false
	}
	if a.By == "" || len(a.By) > 100 || strings.ContainsFunc(a.By, unicode.IsControl) {
		writeError(w, http.StatusBadRequest, `by: must name who acts, in 1 to 100 bytes without control characters`)
		return "", false
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
		writeError(w, http.StatusConflict, "alert "+strconv.Quote(r.PathValue("id"))+" is resolved; a resolved alert cannot be acknowledged")
	default:
		s.fail(w, r, op, err)
	}
	return true
}

func utcAlert(a store.Alert) store.Alert {
	a.Opened, a.Raised = a.Opened.UTC(), a.Raised.UTC()
	for _, p := range []**time.Time{&a.Resolved, &a.AckedAt, &a.EscalatedAt, &a.Reopened} {
		if *p != nil {
			*p = utc(**p)
		}
	}
	return a
}

// complianceReport serves ?district=&year= (year defaults to the current
// one in China Standard Time).
func (s *server) complianceReport(w http.ResponseWriter, r *http.Request) {
	if s.compliance == nil {
		writeError(w, http.StatusServiceUnavailable, "compliance reports are not served here")
		return
	}
	district, year, err := parseComplianceQuery(r.URL.RawQuery, s.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	rep, err := s.compliance(r.Context(), district, year)
	switch {
	case errors.Is(err, ErrBadRequest):
		writeError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), ErrBadRequest.Error()+": "))
	case err != nil:
		s.fail(w, r, "compliance", err)
	default:
		s.reply(w, r, http.StatusOK, rep)
	}
}
