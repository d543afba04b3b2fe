package uplink

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Outbox is what the uplink needs from the agent's outbox.
type Outbox interface {
	Pending(after uint64, max int) ([]telemetry.Record, error)
	Ack(ranges telemetry.Ranges) (int, error)
}

// Opts configures an uplink. Zero values mean the documented defaults.
type Opts struct {
	Broker   string // required, e.g. tcp://127.0.0.1:1883
	ClientID string // "" means "xiuhua-agent-<device>"
	Username string
	Password string
	// BatchMax is the most records one batch carries. 0 means 500.
	BatchMax int
	// MaxInFlight is how many batches may await acknowledgement. 0 means 4.
	MaxInFlight int
	// AckTimeout is how long a batch may wait for its ack before the
	// uplink sends again from the oldest unacknowledged record. 0 means 15 s.
	AckTimeout time.Duration
	// ConnectRetry is the longest wait between connection attempts.
	// 0 means 30 s.
	ConnectRetry time.Duration
	Logger       *slog.Logger // nil means discard
}

// Stats counts what the uplink has done since it started.
type Stats struct {
	Connected bool
	Batches   uint64 // batches published, re-sends included
	Resends   uint64 // times the window was rewound to the oldest record
	Acked     uint64 // records deleted from the outbox on acknowledgement
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

	connected            atomic.Bool
	batches, resends, ok atomic.Uint64
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
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Uplink{
		device: device, ob: ob, o: opts, log: log,
		wake:   make(chan struct{}, 1),
		acks:   make(chan telemetry.Ack, 64),
		conned: make(chan bool, 8),
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
	return Stats{Connected: u.connected.Load(), Batches: u.batches.Load(), Resends: u.resends.Load(), Acked: u.ok.Load()}
}

// status is the retained payload on the device's status topic.
type status struct {
	State string    `json:"state"` // "online" or "offline"
	Time  time.Time `json:"time,omitzero"`
}

// flight is one batch awaiting its ack.
type flight struct {
	rng  telemetry.Range
	sent time.Time
}

// Run connects and sends until ctx ends. It returns nil on ctx's end and
// an error only for a broken outbox.
func (u *Uplink) Run(ctx context.Context) error {
	client := mqtt.NewClient(u.clientOptions(ctx))
	client.Connect() // with ConnectRetry set, paho keeps trying in the background
	defer func() {
		offline, _ := json.Marshal(status{State: "offline", Time: time.Now().UTC()})
		if client.IsConnectionOpen() {
			client.Publish(telemetry.StatusTopic(u.device), 1, true, offline).WaitTimeout(time.Second)
		}
		client.Disconnect(250)
		u.connected.Store(false)
	}()

	var (
		flights   []flight
		cursor    uint64 // highest seq sent in the current window
		connected bool
		idle      bool // the outbox had nothing after cursor
	)
	rewind := func(why string) {
		if len(flights) > 0 || cursor > 0 {
			u.resends.Add(1)
			u.log.Info("uplink: sending again from the oldest unacknowledged record", "why", why, "in_flight", len(flights))
		}
		flights, cursor, idle = nil, 0, false
	}
	tick := time.NewTicker(min(u.o.AckTimeout/4, time.Second))
	defer tick.Stop()
	for {
		if connected && !idle && len(flights) < u.o.MaxInFlight {
			recs, err := u.ob.Pending(cursor, u.o.BatchMax)
			if err != nil {
				return fmt.Errorf("uplink: %w", err)
			}
			if len(recs) == 0 {
				idle = true
				continue
			}
			if err := u.publish(ctx, client, recs); err != nil {
				u.log.Warn("uplink: publish failed; will send again", "err", err)
				connected = false // wait for paho's reconnect to report in
				rewind("publish failed")
				continue
			}
			rng := telemetry.Range{First: recs[0].Seq, Last: recs[len(recs)-1].Seq}
			flights = append(flights, flight{rng: rng, sent: time.Now()})
			cursor = rng.Last
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-u.wake:
			idle = false
		case up := <-u.conned:
			connected = up
			u.connected.Store(up)
			if up {
				rewind("connected")
			} else {
				rewind("connection lost")
			}
		case a := <-u.acks:
			n, err := u.ob.Ack(a.Ranges)
			if err != nil {
				return fmt.Errorf("uplink: %w", err)
			}
			u.ok.Add(uint64(n))
			flights = dropAcked(flights, a.Ranges)
		case now := <-tick.C:
			if len(flights) > 0 && now.Sub(flights[0].sent) > u.o.AckTimeout {
				rewind("ack timeout")
			}
		}
	}
}

func (u *Uplink) publish(ctx context.Context, client mqtt.Client, recs []telemetry.Record) error {
	if !client.IsConnectionOpen() {
		return fmt.Errorf("not connected")
	}
	p, err := telemetry.EncodeBatch(telemetry.Batch{Device: u.device, Records: recs})
	if err != nil {
		return err
	}
	tok := client.Publish(telemetry.UpTopic(u.device), 1, false, p)
	// The PUBACK is not the guarantee (the collector's ack is), but waiting
	// for it keeps paho's queue from growing without bound on a slow link.
	timer := time.NewTimer(u.o.AckTimeout)
	defer timer.Stop()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return fmt.Errorf("no PUBACK within %v", u.o.AckTimeout)
	}
	if err := tok.Error(); err != nil {
		return err
	}
	u.batches.Add(1)
	return nil
}

// dropAcked removes the flights whose whole range acked covers.
func dropAcked(flights []flight, acked telemetry.Ranges) []flight {
	out := flights[:0]
	for _, f := range flights {
		covered := false
		for _, r := range acked {
			if r.First <= f.rng.First && f.rng.Last <= r.Last {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, f)
		}
	}
	return out
}

func (u *Uplink) clientOptions(ctx context.Context) *mqtt.ClientOptions {
	offline, _ := json.Marshal(status{State: "offline"})
	o := mqtt.NewClientOptions().
		AddBroker(u.o.Broker).
		SetClientID(u.o.ClientID).
		SetUsername(u.o.Username).
		SetPassword(u.o.Password).
		SetCleanSession(true).
		SetOrderMatters(false).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(u.o.ConnectRetry).
		SetConnectTimeout(10*time.Second).
		SetKeepAlive(30*time.Second).
		SetWill(telemetry.StatusTopic(u.device), string(offline), 1, true)
	signal := func(up bool) {
		select {
		case u.conned <- up:
		case <-ctx.Done():
		}
	}
	o.SetOnConnectHandler(func(c mqtt.Client) {
		// Subscribe before saying we are up: a batch sent before the ack
		// subscription exists would have its ack lost.
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
		online, _ := json.Marshal(status{State: "online", Time: time.Now().UTC()})
		c.Publish(telemetry.StatusTopic(u.device), 1, true, online)
		u.log.Info("uplink: connected", "broker", u.o.Broker)
		signal(true)
	})
	o.SetConnectionLostHandler(func(_ mqtt.Client, err error) {
		u.log.Warn("uplink: connection lost", "err", err)
		signal(false)
	})
	return o
}
