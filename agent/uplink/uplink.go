package uplink

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/agent/outbox"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Outbox is what the uplink needs from the agent's outbox.
type Outbox interface {
	Pending(lane outbox.Lane, after, before uint64, max int) ([]outbox.Entry, error)
	Ack(ranges telemetry.Ranges) (uint64, error)
	Stats() (outbox.Stats, error)
	// Incarnation identifies the outbox file; batches carry it and acks
	// must echo it.
	Incarnation() uint64
}

// Opts configures an uplink. Zero values mean the documented defaults.
type Opts struct {
	Broker   string // required, e.g. tcp://127.0.0.1:1883
	ClientID string // "" means "xiuhua-agent-<device>"
	Username string
	Password string
	// BatchMax is the most records (or aggregates) one batch carries.
	// 0 means 500.
	BatchMax int
	// MaxInFlight is how many batches may await acknowledgement. 0 means 4.
	MaxInFlight int
	// AckTimeout is how long a batch may wait for its ack before the
	// uplink sends again from the oldest unacknowledged entry. Each
	// further timeout without an ack in between doubles the wait, up to
	// 8×, with jitter, so that a slow collector is not buried under
	// re-sends of the whole window; an ack resets it. 0 means 15 s.
	AckTimeout time.Duration
	// ReplayRate bounds backlog replay, in readings per second. 0 means
	// no bound beyond the in-flight window.
	ReplayRate float64
	// ConnectRetry is the longest wait between connection attempts. Each
	// wait is drawn at random from zero up to a bound that starts at 1 s
	// and doubles per attempt up to ConnectRetry, so that devices that
	// lost their broker together do not come back together (see redial).
	// 0 means 30 s.
	ConnectRetry time.Duration
	// Heartbeat, when set, is called every HeartbeatInterval while
	// connected and its result published on the heartbeat topic.
	Heartbeat         func() telemetry.Heartbeat
	HeartbeatInterval time.Duration // 0 means 60 s
	// ConfigHash goes into the birth message.
	ConfigHash string
	// HoldData, when set and returning true, keeps the data lane unsent
	// (events still go): the agent holds readings while its clock is not
	// yet synchronised, so that they can be corrected first.
	HoldData func() bool
	// TLS, when set, is used for ssl:// and mqtts:// brokers (see
	// configs.Uplink.TLSConfig). nil means paho's default: the system's
	// roots and the broker URL's host name.
	TLS *tls.Config
	// OnConfig, when set, makes the uplink subscribe to the device's
	// retained config topic and receives each non-empty payload (a copy).
	// paho calls it from its own goroutines: it must not block.
	OnConfig func(payload []byte)
	// Dial, when set, opens the connection to a tcp:// or mqtt:// broker
	// in place of the operating system's dialer (a simulated board's
	// network). Nil means paho's own dialing.
	Dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	Logger *slog.Logger // nil means discard
}

// Stats counts what the uplink has done since it started.
type Stats struct {
	Connected bool
	Batches   uint64 // batches published, re-sends included
	Replayed  uint64 // backlog readings published (re-sends included)
	Resends   uint64 // times the window was rewound to the oldest entry
	Acked     uint64 // sequence numbers deleted from the outbox on acknowledgement
	// ForeignAcks counts acks ignored because they echo another outbox's
	// incarnation (a previous board or a second one with our device id):
	// their ranges name that outbox's sequence numbers, not ours.
	ForeignAcks uint64
	// ConnectErr is why the last attempt to connect failed, worded for the
	// engineer (see connectError); "" once connected.
	ConnectErr string
}

// Uplink moves records from an outbox to the collector.
type Uplink struct {
	device string
	ob     Outbox
	o      Opts
	log    *slog.Logger

	wake   chan struct{}
	acks   chan telemetry.Ack
	conned chan bool

	// newClient is mqtt.NewClient; tests replace it.
	newClient func(*mqtt.ClientOptions) mqtt.Client

	cfg    configLink // configs and their answers (config.go)
	redial redial     // the waits between connection attempts (reconnect.go)

	connected                                        atomic.Bool
	batches, replayed, resends, ackedOK, foreignAcks atomic.Uint64
	connectErr                                       atomic.Pointer[string]
}

// New returns an uplink for device that drains ob. It does not connect
// until Run.
func New(device string, ob Outbox, opts Opts) (*Uplink, error) {
	if err := telemetry.ValidateDeviceID(device); err != nil {
		return nil, fmt.Errorf("uplink: %w", err)
	}
	if opts.Broker == "" {
		return nil, fmt.Errorf("uplink: no broker URL")
	}
	if opts.Dial != nil {
		u, err := url.Parse(opts.Broker)
		if err != nil {
			return nil, fmt.Errorf("uplink: broker URL: %w", err)
		}
		if u.Scheme != "tcp" && u.Scheme != "mqtt" {
			return nil, fmt.Errorf("uplink: a custom dialer serves tcp:// and mqtt:// brokers, not %s://", u.Scheme)
		}
	}
	if opts.ClientID == "" {
		opts.ClientID = "xiuhua-agent-" + device
	}
	if opts.BatchMax <= 0 {
		opts.BatchMax = 500
	}
	opts.BatchMax = min(opts.BatchMax, telemetry.MaxBatchRecords)
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 4
	}
	if opts.AckTimeout <= 0 {
		opts.AckTimeout = 15 * time.Second
	}
	if opts.ConnectRetry <= 0 {
		opts.ConnectRetry = 30 * time.Second
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = time.Minute
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Uplink{
		device: device, ob: ob, o: opts, log: log,
		redial: redial{max: opts.ConnectRetry},
		wake:   make(chan struct{}, 1),
		acks:   make(chan telemetry.Ack, 64),
		conned: make(chan bool, 8),

		newClient: mqtt.NewClient,
	}, nil
}

// Notify tells the uplink that the outbox has new records. It never blocks.
func (u *Uplink) Notify() {
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// Stats returns the uplink's counters.
func (u *Uplink) Stats() Stats {
	st := Stats{Connected: u.connected.Load(), Batches: u.batches.Load(), Replayed: u.replayed.Load(),
		Resends: u.resends.Load(), Acked: u.ackedOK.Load(), ForeignAcks: u.foreignAcks.Load()}
	if p := u.connectErr.Load(); p != nil {
		st.ConnectErr = *p
	}
	return st
}

// Run connects and sends until ctx ends. It returns nil on ctx's end and
// an error only for a broken outbox.
func (u *Uplink) Run(ctx context.Context) error {
	client := u.newClient(u.clientOptions(ctx))
	u.cfg.setClient(client)
	client.Connect() // with ConnectRetry set, paho keeps trying in the background
	defer func() {
		u.cfg.setClient(nil)
		if client.IsConnectionOpen() {
			// A clean goodbye, so the collector can tell a shutdown from a
			// lost device.
			p, _ := json.Marshal(telemetry.Status{State: telemetry.Offline, Time: time.Now().UTC(), ConfigHash: u.o.ConfigHash})
			client.Publish(telemetry.StatusTopic(u.device), 1, true, p).WaitTimeout(time.Second)
		}
		client.Disconnect(250)
		u.connected.Store(false)
	}()
	s := newSender(u, client)
	return s.run(ctx)
}

func (u *Uplink) clientOptions(ctx context.Context) *mqtt.ClientOptions {
	will, _ := json.Marshal(telemetry.Status{State: telemetry.Offline, ConfigHash: u.o.ConfigHash})
	o := mqtt.NewClientOptions().
		AddBroker(u.o.Broker).
		SetClientID(u.o.ClientID).
		SetUsername(u.o.Username).
		SetPassword(u.o.Password).
		SetCleanSession(true).
		SetOrderMatters(false).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		// paho's waits have no jitter: the uplink waits itself, before
		// each attempt (reconnect.go).
		SetConnectRetryInterval(0).
		SetMaxReconnectInterval(0).
		SetConnectTimeout(10*time.Second).
		SetKeepAlive(30*time.Second).
		SetWill(telemetry.StatusTopic(u.device), string(will), 1, true).
		SetConnectionNotificationHandler(func(c mqtt.Client, n mqtt.ConnectionNotification) {
			u.connectNotification(c, n)
			u.redial.paceConnections(ctx, n)
		})
	if u.o.TLS != nil {
		o.SetTLSConfig(u.o.TLS)
	}
	if dial := u.o.Dial; dial != nil {
		o.SetCustomOpenConnectionFn(func(uri *url.URL, co mqtt.ClientOptions) (net.Conn, error) {
			dctx, cancel := context.WithTimeout(ctx, co.ConnectTimeout)
			defer cancel()
			return dial(dctx, "tcp", uri.Host)
		})
	}
	signal := func(up bool) {
		select {
		case u.conned <- up:
		case <-ctx.Done():
		}
	}
	onAck := func(_ mqtt.Client, m mqtt.Message) {
		a, err := telemetry.DecodeAck(m.Payload())
		if err != nil || a.Device != u.device {
			u.log.Warn("uplink: ignoring bad ack", "topic", m.Topic(), "err", err)
			return
		}
		select {
		case u.acks <- a:
		case <-ctx.Done():
		}
	}
	o.SetOnConnectHandler(func(c mqtt.Client) {
		// Subscribe before saying we are up: a batch sent before the ack
		// subscription exists would have its ack lost.
		for {
			tok := c.Subscribe(telemetry.AckTopic(u.device), 1, onAck)
			if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
				break
			}
			u.log.Warn("uplink: subscribe to acks failed; trying again", "err", tok.Error())
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
			}
			if !c.IsConnectionOpen() {
				return // the reconnect will call this handler again
			}
		}
		if !u.subscribeConfig(ctx, c) {
			return
		}
		birth, _ := json.Marshal(telemetry.Status{State: telemetry.Online, Time: time.Now().UTC(), ConfigHash: u.o.ConfigHash})
		c.Publish(telemetry.StatusTopic(u.device), 1, true, birth)
		u.log.Info("uplink: connected", "broker", u.o.Broker)
		signal(true)
	})
	o.SetConnectionLostHandler(func(_ mqtt.Client, err error) {
		u.log.Warn("uplink: connection lost", "err", err)
		signal(false)
	})
	return o
}
