// Package sink is a webhook receiver for the demo and tests: it stands in
// for an office's alert endpoint, records every message it receives, and
// lists them on GET.
package sink

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Received is one POST the sink accepted.
type Received struct {
	At             time.Time       `json:"at"`
	IdempotencyKey string          `json:"idempotency_key"`
	Body           json.RawMessage `json:"body"`
}

// Sink is a running receiver.
type Sink struct {
	srv    *http.Server
	ln     net.Listener
	mu     sync.Mutex
	got    []Received
	onPost func(Received)
	done   chan struct{}
}

// Start listens on addr (127.0.0.1:0 for a free port). onPost, if not
// nil, is called for each message received.
func Start(addr string, onPost func(Received)) (*Sink, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Sink{ln: ln, onPost: onPost, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /alerts", s.post)
	mux.HandleFunc("GET /alerts", s.list)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln)
	}()
	return s, nil
}

// URL is where webhooks should POST.
func (s *Sink) URL() string { return "http://" + s.ln.Addr().String() + "/alerts" }

// Received returns what the sink has accepted, oldest first.
func (s *Sink) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.got...)
}

func (s *Sink) post(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || !json.Valid(body) {
		http.Error(w, "body must be JSON", http.StatusBadRequest)
		return
	}
	rec := Received{At: time.Now().UTC(), IdempotencyKey: r.Header.Get("Idempotency-Key"), Body: body}
	s.mu.Lock()
	s.got = append(s.got, rec)
	s.mu.Unlock()
	if s.onPost != nil {
		s.onPost(rec)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sink) list(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	got := s.Received()
	if got == nil {
		got = []Received{}
	}
	json.NewEncoder(w).Encode(got)
}

// Close stops the server and waits for it.
func (s *Sink) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}
