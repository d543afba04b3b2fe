package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/xiuhua/xiuhua/cloud/registry"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/configs"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Source is the part of store.Store the API reads.
type Source interface {
	Devices(ctx context.Context) ([]store.Device, error)
	Readings(ctx context.Context, q store.ReadingQuery) ([]telemetry.Record, error)
	Aggregates(ctx context.Context, q store.ReadingQuery) ([]telemetry.Aggregate, error)
	Alert(ctx context.Context, id string) (store.Alert, error)
	Alerts(ctx context.Context, q store.AlertQuery) ([]store.Alert, error)
}

// Lifecycle acknowledges and resolves alerts (*alert.Manager).
type Lifecycle interface {
	Ack(ctx context.Context, id, by string) (store.Alert, error)
	Resolve(ctx context.Context, id, by string) (store.Alert, error)
}

// Compliance reports how a district stands against its plans in a year;
// the result is served as JSON. An error wrapping ErrBadRequest is the
// caller's (an unknown district, a year with no plan): it is a 400 whose
// message is the error's text after "bad request: ", which should name
// the parameter ("district: ...").
type Compliance func(ctx context.Context, district string, year int) (any, error)

// ErrBadRequest marks errors of Compliance that are the caller's.
var ErrBadRequest = errors.New("bad request")

// States is the part of the device registry the API reads
// (*registry.Registry).
type States interface {
	Device(id string) (registry.Device, bool)
	Devices() []registry.Device
}

var _ States = (*registry.Registry)(nil)

// Opts configures New. Nil means the defaults.
type Opts struct {
	// Health reports whether the collector is healthy; its error is shown
	// on /healthz. Nil means always healthy.
	Health func() error
	// Logger receives the errors that become 500 responses. Nil discards.
	Logger *slog.Logger
	// States gives the devices' connection state. Nil means a registry
	// that knows no device: every device is offline for want of a status.
	States States
	// Lifecycle serves POST /api/v1/alerts/{id}/ack and /resolve; nil
	// answers them 503.
	Lifecycle Lifecycle
	// Plans are served at /api/v1/plans (see planBody); nil serves an
	// empty list.
	Plans []*configs.Plan
	// Compliance serves /api/v1/compliance; nil answers 503.
	Compliance Compliance
	// Now is the clock that gives /api/v1/compliance its default year;
	// nil means time.Now.
	Now func() time.Time
}

type server struct {
	src        Source
	states     States
	lifecycle  Lifecycle
	plans      []planBody
	compliance Compliance
	now        func() time.Time
	health     func() error
	log        *slog.Logger
}

// New returns the API's handler over src.
func New(src Source, opts *Opts) http.Handler {
	s := &server{src: src, states: noStates{}, plans: []planBody{}, now: time.Now,
		health: func() error { return nil }, log: slog.New(slog.DiscardHandler)}
	if opts != nil {
		if opts.States != nil {
			s.states = opts.States
		}
		if opts.Health != nil {
			s.health = opts.Health
		}
		if opts.Logger != nil {
			s.log = opts.Logger
		}
		if opts.Now != nil {
			s.now = opts.Now
		}
		s.lifecycle, s.compliance = opts.Lifecycle, opts.Compliance
		s.plans = plansBody(opts.Plans)
	}
	mux := http.NewServeMux()
	route(mux, "/healthz", s.healthz)
	route(mux, "/api/v1/devices", s.devices)
	route(mux, "/api/v1/devices/{id}", s.device)
	route(mux, "/api/v1/readings", s.readings)
	route(mux, "/api/v1/aggregates", s.aggregates)
	route(mux, "/api/v1/alerts", s.alerts)
	route(mux, "/api/v1/alerts/{id}", s.alert)
	post(mux, "/api/v1/alerts/{id}/ack", s.ack)
	post(mux, "/api/v1/alerts/{id}/resolve", s.resolve)
	route(mux, "/api/v1/plans", s.plansList)
	route(mux, "/api/v1/compliance", s.complianceReport)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such path: "+r.URL.Path)
	})
	return mux
}

// route serves GET (and so HEAD) on path with h, and answers every other
// method with a JSON 405: the method-less pattern is less specific than
// "GET path", so the mux sends only the other methods to it.
func route(mux *http.ServeMux, path string, h http.HandlerFunc) {
	mux.HandleFunc("GET "+path, h)
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed; use GET")
	})
}

// post serves POST on path with h, and answers every other method 405.
func post(mux *http.ServeMux, path string, h http.HandlerFunc) {
	mux.HandleFunc("POST "+path, h)
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed; use POST")
	})
}

// reply encodes v before writing the header so that an encoding failure
// can still become a 500.
func (s *server) reply(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.fail(w, r, "encode response", err)
		return
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(errorBody{Error: msg}) // a string always encodes
	writeJSON(w, status, body)
}

// fail answers a store error without leaking its detail.
func (s *server) fail(w http.ResponseWriter, r *http.Request, op string, err error) {
	s.log.ErrorContext(r.Context(), "web: "+op, "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}
