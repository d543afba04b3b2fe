package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/xiuhua/xiuhua/cloud/registry"
	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Source is the part of store.Store the API reads.
type Source interface {
	Devices(ctx context.Context) ([]store.Device, error)
	Readings(ctx context.Context, q store.ReadingQuery) ([]telemetry.Record, error)
	Aggregates(ctx context.Context, q store.ReadingQuery) ([]telemetry.Aggregate, error)
	Alerts(ctx context.Context) ([]store.Alert, error)
}

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
}

type server struct {
	src    Source
	states States
	health func() error
	log    *slog.Logger
}

// New returns the API's handler over src.
func New(src Source, opts *Opts) http.Handler {
	s := &server{src: src, states: noStates{}, health: func() error { return nil }, log: slog.New(slog.DiscardHandler)}
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
	}
	mux := http.NewServeMux()
	route(mux, "/healthz", s.healthz)
	route(mux, "/api/v1/devices", s.devices)
	route(mux, "/api/v1/devices/{id}", s.device)
	route(mux, "/api/v1/readings", s.readings)
	route(mux, "/api/v1/aggregates", s.aggregates)
	route(mux, "/api/v1/alerts", s.alerts)
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
