package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xiuhua/xiuhua/cloud/store"
	"github.com/xiuhua/xiuhua/internal/backoff"
)

// Events a Message reports.
const (
	EventOpened       = "alert.opened"
	EventAcknowledged = "alert.acknowledged"
	EventResolved     = "alert.resolved"
	EventEscalated    = "alert.escalated"
	EventFlapping     = "alert.flapping"
)

// Channel types.
const (
	Webhook  = "webhook"  // generic JSON webhook
	WeCom    = "wecom"    // WeCom (企业微信) group robot
	DingTalk = "dingtalk" // DingTalk (钉钉) group robot
	MQTT     = "mqtt"     // MQTT alert topic
)

// Defaults of Opts and Channel.
const (
	DefaultTimeout    = 10 * time.Second
	DefaultTopic      = "xiuhua/v1/alerts"
	DefaultMaxAge     = 24 * time.Hour
	DefaultPoll       = 30 * time.Second
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = 5 * time.Minute
)

// Errors of New and Send.
var (
	// ErrConfig is wrapped by New's errors about its Opts.
	ErrConfig = errors.New("notify: invalid configuration")
	// ErrMessage is wrapped by Send's errors about a message it cannot
	// enqueue (no key, an unknown event, an office no topic can name).
	ErrMessage = errors.New("notify: invalid message")
	// ErrRunning is returned by Run while another Run of the same
	// notifier has not returned.
	ErrRunning = errors.New("notify: already running")
)

// Contact is one of an office's duty contacts, @-mentioned by the robots
// when it has a phone number.
type Contact struct {
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"`
}

// Message is one alert event for one office. It is what the generic
// webhook and the MQTT topic carry, as JSON.
type Message struct {
	// Key is the idempotency key: the same event always gets the same key,
	// and a channel carries a key once.
	Key   string      `json:"key"`
	Event string      `json:"event"` // one of the Event constants
	Alert store.Alert `json:"alert"`
	// Office is the office the message is for: the alert's office, or for
	// EventEscalated the office it was escalated to. Empty means
	// Alert.Office.
	Office     string    `json:"office"`
	OfficeName string    `json:"office_name,omitempty"`
	Contacts   []Contact `json:"contacts,omitempty"` // the office's duty contacts
	// Note is an optional extra line, such as a flap summary ("opened 5
	// times in 1h").
	Note string `json:"note,omitempty"`
}

// Channel is one destination of messages.
type Channel struct {
	Name string // unique among the notifier's channels; names its messages in the outbox
	Type string // Webhook, WeCom, DingTalk or MQTT
	// URL is where webhook and robot messages are POSTed: for the robots,
	// the webhook address with its key or access_token.
	URL string
	// Secret is a DingTalk robot's signing secret ("SEC…"); empty when the
	// robot is not set up to check signatures. Only for DingTalk.
	Secret string
	// Topic is an MQTT channel's topic prefix; a message for office o is
	// published to <Topic>/<o>. Empty means DefaultTopic. Only for MQTT.
	Topic string
	// Offices are the offices whose messages the channel carries; empty
	// means every office.
	Offices []string
	// Timeout bounds one delivery attempt; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Queue is the durable outbox the notifier keeps messages in: the part of
// store.Notifications it uses.
type Queue interface {
	Enqueue(ctx context.Context, ns ...store.Notification) error
	Due(ctx context.Context, now time.Time, limit int) ([]store.Notification, error)
	Settle(ctx context.Context, channel, key, state string, now, next time.Time, errText string) error
}

var _ Queue = store.Notifications(nil)

// Publisher publishes a payload to an MQTT topic with QoS 1, not retained,
// and returns once the broker has acknowledged it (PUBACK). The
// collector's MQTT link implements it.
type Publisher interface {
	Publish(ctx context.Context, topic string, payload []byte) error
}

// Opts configures a notifier. The zero value of each field means its
// documented default.
type Opts struct {
	Channels []Channel
	// Client sends the webhook and robot requests; nil means a client
	// without an overall timeout (each attempt has its channel's Timeout).
	Client *http.Client
	// Publisher carries the MQTT channels; required when there is one.
	Publisher Publisher
	// Backoff is the wait before a message's next attempt after a
	// transient failure: Min after the first, doubling with each attempt
	// up to Max, with jitter (see internal/backoff). Zero Min means
	// DefaultBackoffMin, zero Max DefaultBackoffMax (or Min, if longer).
	Backoff backoff.Backoff
	// MaxAge is how long a message may stay pending before it is given up
	// (Failed); 0 means DefaultMaxAge.
	MaxAge time.Duration
	// Poll is how often an idle channel looks at the outbox for messages
	// it was not told of (Send tells it at once); 0 means DefaultPoll.
	Poll time.Duration
	// Now is the wall clock, for the outbox's times, MaxAge and DingTalk's
	// signature; nil means time.Now. Waits are measured with timers.
	Now func() time.Time
	// Logger receives one line per message sent, retried or given up;
	// nil means discard.
	Logger *slog.Logger
	// BaseURL is the collector's API as the offices reach it, such as
	// "https://xiuhua.example.gov.cn"; when set, the robots' messages link
	// to <BaseURL>/api/v1/alerts/<id>. Empty means no link.
	BaseURL string
}

// Stats counts what the notifier did since it was made.
type Stats struct {
	Delivered uint64 // messages delivered
	Retried   uint64 // failed attempts that will be tried again
	Failed    uint64 // messages given up: refused, or pending longer than MaxAge
	// Pending counts the messages of the notifier's channels waiting in
	// the outbox: as the channels last read it (as Run starts, after
	// Send, every Poll), with those sent since added and those settled
	// since taken away. A repeated key counts until the next read.
	Pending uint64
}

// Notifier formats alert messages for its channels, keeps them in a
// durable outbox and delivers them. Send and Stats are safe for concurrent
// use, also with Run.
type Notifier struct {
	q       Queue
	o       Opts
	log     *slog.Logger
	chans   []*channel
	running atomic.Bool

	// mu orders Send's Created times, and keeps the channels' looks at
	// the outbox apart from Send's additions to it.
	mu          sync.Mutex
	lastCreated time.Time

	delivered, retried, failed atomic.Uint64
}

// channel is a configured Channel with its worker's state.
type channel struct {
	Channel
	wake    chan struct{} // Send's nudge: there is something new
	pending atomic.Int64
}

// New checks opts and returns a notifier that keeps its messages in q; Run
// delivers them.
func New(q Queue, opts Opts) (*Notifier, error) {
	if q == nil {
		return nil, fmt.Errorf("%w: no queue", ErrConfig)
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.Backoff.Min <= 0 {
		opts.Backoff.Min = DefaultBackoffMin
	}
	if opts.Backoff.Max <= 0 {
		opts.Backoff.Max = max(DefaultBackoffMax, opts.Backoff.Min)
	}
	if opts.Backoff.Max < opts.Backoff.Min {
		return nil, fmt.Errorf("%w: backoff max %v is below its min %v", ErrConfig, opts.Backoff.Max, opts.Backoff.Min)
	}
	switch {
	case opts.MaxAge < 0:
		return nil, fmt.Errorf("%w: negative max age %v", ErrConfig, opts.MaxAge)
	case opts.MaxAge == 0:
		opts.MaxAge = DefaultMaxAge
	}
	switch {
	case opts.Poll < 0:
		return nil, fmt.Errorf("%w: negative poll %v", ErrConfig, opts.Poll)
	case opts.Poll == 0:
		opts.Poll = DefaultPoll
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BaseURL != "" {
		if u, err := url.Parse(opts.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%w: base URL %q is not an http(s) URL", ErrConfig, opts.BaseURL)
		}
		opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{q: q, o: opts, log: log}
	seen := make(map[string]bool)
	for i, c := range opts.Channels {
		if err := checkChannel(&c, opts.Publisher); err != nil {
			return nil, fmt.Errorf("%w: channel %d (%q): %w", ErrConfig, i, c.Name, err)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("%w: channel %d: name %q used twice", ErrConfig, i, c.Name)
		}
		seen[c.Name] = true
		c.Offices = slices.Clone(c.Offices)
		n.chans = append(n.chans, &channel{Channel: c, wake: make(chan struct{}, 1)})
	}
	return n, nil
}

// checkChannel validates c and fills in its defaults.
func checkChannel(c *Channel, pub Publisher) error {
	if c.Name == "" || strings.IndexByte(c.Name, 0) >= 0 {
		return errors.New("empty name, or one with a NUL byte")
	}
	if c.Timeout < 0 {
		return fmt.Errorf("negative timeout %v", c.Timeout)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Secret != "" && c.Type != DingTalk {
		return fmt.Errorf("a secret is only for %s channels", DingTalk)
	}
	switch c.Type {
	case Webhook, WeCom, DingTalk:
		if c.Topic != "" {
			return fmt.Errorf("a topic is only for %s channels", MQTT)
		}
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("URL %q is not an http(s) URL", c.URL)
		}
	case MQTT:
		if pub == nil {
			return errors.New("no Publisher for an mqtt channel")
		}
		if c.URL != "" {
			return errors.New("an mqtt channel has a topic, not a URL")
		}
		if c.Topic == "" {
			c.Topic = DefaultTopic
		}
		if strings.ContainsAny(c.Topic, "+#\x00") || strings.HasPrefix(c.Topic, "/") || strings.HasSuffix(c.Topic, "/") {
			return fmt.Errorf("topic prefix %q has a wildcard, a NUL or a leading or trailing slash", c.Topic)
		}
	case "":
		return errors.New("no type")
	default:
		return fmt.Errorf("unknown type %q (want %s, %s, %s or %s)", c.Type, Webhook, WeCom, DingTalk, MQTT)
	}
	return nil
}

// serves reports whether c carries messages for office.
func (c *channel) serves(office string) bool {
	return len(c.Offices) == 0 || slices.Contains(c.Offices, office)
}

var events = []string{EventOpened, EventAcknowledged, EventResolved, EventEscalated, EventFlapping}

// Send formats m for every channel that serves m.Office and stores the
// results in the outbox, in one durable transaction, before it returns;
// then it tells those channels' workers. The outbox key of each is m.Key:
// a channel carries a key once, so sending the same event again, before
// or after its delivery, changes nothing. It returns the outbox's error,
// or one wrapping ErrMessage. A message no channel serves is only logged.
func (n *Notifier) Send(ctx context.Context, m Message) error {
	if m.Office == "" {
		m.Office = m.Alert.Office
	}
	switch {
	case m.Key == "":
		return fmt.Errorf("%w: no key (alert %q, %s)", ErrMessage, m.Alert.ID, m.Event)
	case !slices.Contains(events, m.Event):
		return fmt.Errorf("%w: unknown event %q (key %q)", ErrMessage, m.Event, m.Key)
	}
	a := m.Alert
	n.log.Info("notify: "+m.Event, "key", m.Key, "alert", a.ID, "office", m.Office, "severity", a.Severity,
		"device", a.Device, "sensor", a.Sensor, "quantity", a.Quantity, "value", a.Value, "limit", a.Limit,
		"unit", a.Unit, "message", a.Message)

	var ns []store.Notification
	var woken []*channel
	for _, c := range n.chans {
		if !c.serves(m.Office) {
			continue
		}
		body, err := n.format(c, m)
		if err != nil {
			return fmt.Errorf("notify: format %q for %s: %w", m.Key, c.Name, err)
		}
		ns = append(ns, store.Notification{Channel: c.Name, Key: m.Key, Body: body})
		woken = append(woken, c)
	}
	if len(ns) == 0 {
		return nil
	}
	// Each channel delivers in the order of Created: make it strictly
	// increasing, even when the clock is coarse or stands still.
	n.mu.Lock()
	defer n.mu.Unlock()
	created := n.o.Now()
	if !created.After(n.lastCreated) {
		created = n.lastCreated.Add(time.Nanosecond)
	}
	for i := range ns {
		ns[i].Created, ns[i].NextAttempt, ns[i].State = created, created, store.Pending
	}
	if err := n.q.Enqueue(ctx, ns...); err != nil {
		return fmt.Errorf("notify: enqueue %q: %w", m.Key, err)
	}
	n.lastCreated = created
	for _, c := range woken {
		// A key the outbox already holds is counted until the channel
		// looks again, which this wakes it to do.
		c.pending.Add(1)
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// Stats returns the notifier's counters.
func (n *Notifier) Stats() Stats {
	var pending int64
	for _, c := range n.chans {
		pending += max(c.pending.Load(), 0)
	}
	return Stats{Delivered: n.delivered.Load(), Retried: n.retried.Load(), Failed: n.failed.Load(), Pending: uint64(pending)}
}
