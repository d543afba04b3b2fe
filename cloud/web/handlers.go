package web

import (
	"net/http"
	"time"

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
	Flags    telemetry.Flags    `json:"flags"` // a list of names, [] when none
}

func (s *server) readings(w http.ResponseWriter, r *http.Request) {
	q, err := parseRangeQuery(r.URL.RawQuery, true)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	recs, err := s.src.Readings(r.Context(), q.ReadingQuery)
	if err != nil {
		s.fail(w, r, "readings", err)
		return
	}
	body := readingsBody{Device: q.Device, From: q.From.UTC(), To: q.To.UTC(), Readings: make([]reading, len(recs))}
	for i, rec := range recs {
		body.Readings[i] = reading{
			Seq: rec.Seq, Sensor: rec.Sensor, Quantity: rec.Quantity, Value: rec.Value,
			Unit: rec.Quantity.Unit(), Time: rec.Time.UTC(), Quality: rec.Quality, Flags: rec.Flags,
		}
	}
	s.reply(w, r, http.StatusOK, body)
}

type aggregatesBody struct {
	Device     string      `json:"device"`
	From       *time.Time  `json:"from"` // null when not given
	To         *time.Time  `json:"to"`   // null when not given
	Aggregates []aggregate `json:"aggregates"`
}

type aggregate struct {
	Sensor   string             `json:"sensor"`
	Quantity telemetry.Quantity `json:"quantity"`
	Unit     string             `json:"unit"`
	Minute   time.Time          `json:"minute"`
	Count    uint32             `json:"count"`
	Min      float64            `json:"min"`
	Max      float64            `json:"max"`
	Mean     float64            `json:"mean"`
}

func (s *server) aggregates(w http.ResponseWriter, r *http.Request) {
	q, err := parseRangeQuery(r.URL.RawQuery, false)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	as, err := s.src.Aggregates(r.Context(), q.ReadingQuery)
	if err != nil {
		s.fail(w, r, "aggregates", err)
		return
	}
	body := aggregatesBody{Device: q.Device, Aggregates: make([]aggregate, len(as))}
	if q.hasFrom {
		body.From = utc(q.From)
	}
	if q.hasTo {
		body.To = utc(q.To)
	}
	for i, a := range as {
		body.Aggregates[i] = aggregate{
			Sensor: a.Sensor, Quantity: a.Quantity, Unit: a.Quantity.Unit(), Minute: a.Minute.UTC(),
			Count: a.Count, Min: a.Min, Max: a.Max, Mean: a.Mean,
		}
	}
	s.reply(w, r, http.StatusOK, body)
}

func utc(t time.Time) *time.Time {
	t = t.UTC()
	return &t
}
