package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/internal/backoff"
)

// Message is one alert event for the offices.
type Message struct {
	Key   string      `json:"key"`   // idempotency key: the same event always has the same key
	Event string      `json:"event"` // "alert.opened" or "alert.resolved"
	Alert store.Alert `json:"alert"`
}

// Webhook is one HTTP endpoint that receives messages as JSON POSTs.
type Webhook struct {
	Name    string
	URL     string
	Timeout time.Duration // per attempt; 0 means 10 s
	Offices []string      // offices whose alerts it gets; empty means all
}

// Opts configures a notifier.
type Opts struct {
	Webhooks []Webhook
	Client   *http.Client // nil means a client with no overall timeout (each attempt has the webhook's)
	QueueLen int          // messages each webhook may have waiting; 0 means 1024
	Backoff  backoff.Backoff
	Logger   *slog.Logger // nil means discard
}

// Stats counts deliveries since start.
type Stats struct {
	Delivered, Retried, Failed, Dropped uint64
}

// Notifier fans messages out to the log and the webhooks.
type Notifier struct {
	o      Opts
	log    *slog.Logger
	queues []chan Message
	stats  struct{ delivered, retried, failed, dropped atomic.Uint64 }
}

// New returns a notifier; Run delivers.
func New(opts Opts) *Notifier {
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.QueueLen <= 0 {
		opts.QueueLen = 1024
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{o: opts, log: log}
	for range opts.Webhooks {
		n.queues = append(n.queues, make(chan Message, opts.QueueLen))
	}
	return n
}

// Send logs m and queues it for every matching webhook. It never blocks:
// when a webhook's queue is full the message is dropped for that webhook
// and counted.
func (n *Notifier) Send(m Message) {
	a := m.Alert
	n.log.Warn("ALERT "+m.Event, "id", a.ID, "office", a.Office, "severity", a.Severity, "device", a.Device,
		"sensor", a.Sensor, "quantity", a.Quantity, "value", a.Value, "limit", a.Limit, "unit", a.Unit, "message", a.Message)
	for i, w := range n.o.Webhooks {
		if len(w.Offices) > 0 && !slices.Contains(w.Offices, a.Office) {
			continue
		}
		select {
		case n.queues[i] <- m:
		default:
			n.stats.dropped.Add(1)
			n.log.Error("notify: queue full; message dropped", "webhook", w.Name, "key", m.Key)
		}
	}
}

// Stats returns the delivery counters.
func (n *Notifier) Stats() Stats {
	return Stats{Delivered: n.stats.delivered.Load(), Retried: n.stats.retried.Load(),
		Failed: n.stats.failed.Load(), Dropped: n.stats.dropped.Load()}
}

// Run delivers queued messages until ctx ends.
func (n *Notifier) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i := range n.o.Webhooks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.deliverLoop(ctx, n.o.Webhooks[i], n.queues[i])
		}()
	}
	// With no webhooks there is nothing to join, but Run still lasts until
	// ctx ends, as its callers expect of a long-lived part.
	<-ctx.Done()
	wg.Wait()
	return nil
}

func (n *Notifier) deliverLoop(ctx context.Context, w Webhook, q <-chan Message) {
	bo := n.o.Backoff
	for {
		var m Message
		select {
		case <-ctx.Done():
			return
		case m = <-q:
		}
		for {
			err := n.post(ctx, w, m)
			if err == nil {
				n.stats.delivered.Add(1)
				bo.Reset()
				break
			}
			if pe, ok := err.(permanentError); ok {
				n.stats.failed.Add(1)
				n.log.Error("notify: webhook refused message; not retrying", "webhook", w.Name, "key", m.Key, "err", pe)
				bo.Reset()
				break
			}
			if ctx.Err() != nil {
				return
			}
			n.stats.retried.Add(1)
			n.log.Warn("notify: webhook delivery failed; retrying", "webhook", w.Name, "key", m.Key, "err", err)
			if !bo.Wait(ctx) {
				return
			}
		}
	}
}

type permanentError struct{ error }

func (n *Notifier) post(ctx context.Context, w Webhook, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return permanentError{fmt.Errorf("encode: %w", err)}
	}
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return permanentError{err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", m.Key)
	req.Header.Set("User-Agent", "xiuhua-collector")
	resp, err := n.o.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("%s answered %s", w.URL, resp.Status)
	default:
		return permanentError{fmt.Errorf("%s answered %s", w.URL, resp.Status)}
	}
}
