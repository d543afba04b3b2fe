package web

import (
	"net/http"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/telemetry"
)

type healthBody struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.health(); err != nil {
		s.reply(w, r, http.StatusServiceUnavailable, healthBody{Status: "unhealthy", Error: err.Error()})
		return
	}
	s.reply(w, r, http.StatusOK, healthBody{Status: "ok"})
}

func (s *server) devices(w http.ResponseWriter, r *http.Request) {
	ds, err := s.src.Devices(r.Context())
	if err != nil {
		s.fail(w, r, "list devices", err)
		return
	}
	out := make([]store.Device, len(ds))
	for i, d := range ds {
		d.LastSeen = d.LastSeen.UTC()
		if d.Missing == nil {
			d.Missing = telemetry.Ranges{}
		}
		out[i] = d
	}
	s.reply(w, r, http.StatusOK, out)
}

type readingsBody struct {
	Device   string    `json:"device"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Readings []reading `json:"readings"`
}

type reading struct {
	Seq      uint64             `json:"seq"`
	Sensor   string             `json:"sensor"`
	Quantity telemetry.Quantity `json:"quantity"`
	Value    float64            `json:"value"`
	Unit     string             `json:"unit"`
	Time     time.Time          `json:"time"`
	Quality  telemetry.Quality  `json:"quality"`
}

func (s *server) readings(w http.ResponseWriter, r *http.Request) {
	q, err := parseReadingQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	recs, err := s.src.Readings(r.Context(), q)
	if err != nil {
		s.fail(w, r, "readings", err)
		return
	}
	body := readingsBody{Device: q.Device, From: q.From.UTC(), To: q.To.UTC(), Readings: make([]reading, len(recs))}
	for i, rec := range recs {
		body.Readings[i] = reading{
			Seq: rec.Seq, Sensor: rec.Sensor, Quantity: rec.Quantity, Value: rec.Value,
			Unit: rec.Quantity.Unit(), Time: rec.Time.UTC(), Quality: rec.Quality,
		}
	}
	s.reply(w, r, http.StatusOK, body)
}

type alertsBody struct {
	Alerts []store.Alert `json:"alerts"`
}

func (s *server) alerts(w http.ResponseWriter, r *http.Request) {
	as, err := s.src.Alerts(r.Context())
	if err != nil {
		s.fail(w, r, "list alerts", err)
		return
	}
	out := make([]store.Alert, len(as))
	for i, a := range as {
		a.Opened = a.Opened.UTC()
		if a.Resolved != nil {
			t := a.Resolved.UTC()
			a.Resolved = &t
		}
		out[i] = a
	}
	s.reply(w, r, http.StatusOK, alertsBody{Alerts: out})
}
