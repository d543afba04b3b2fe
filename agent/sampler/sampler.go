package sampler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/internal/backoff"
	"github.com/xiuhua/xiuhua/telemetry"
)

// Sink takes a sample's readings; when it returns nil they are durable.
type Sink func(ctx context.Context, readings []telemetry.Reading) error

// Opts configures a sampler. Zero values mean the documented defaults.
type Opts struct {
	// Timeout bounds one Sense call. 0 means the spec's interval.
	Timeout time.Duration
	// MaxFailures is how many Sense errors in a row make the sampler close
	// the sensor and open it again. 0 means 5.
	MaxFailures int
	// Backoff bounds the wait between attempts to open the sensor.
	// The zero value waits 1 s growing to 1 min.
	Backoff backoff.Backoff
	// Calibrate corrects the driver's values, per quantity, before the
	// sink sees them (see Linear). nil means none.
	Calibrate map[telemetry.Quantity]Linear
	Logger    *slog.Logger // nil means discard
}

// Stats counts a sampler's work since it started.
type Stats struct {
	Open     bool   // the sensor is open now
	Samples  uint64 // Sense calls that returned readings
	Readings uint64 // readings handed to the sink
	Errors   uint64 // Sense calls that failed or timed out
	Opens    uint64 // successful opens
	OpenErrs uint64 // failed opens
	LastErr  string // the most recent error, "" if none
}

// Sampler samples one sensor.
type Sampler struct {
	spec sensor.Spec
	env  sensor.Env
	sink Sink
	o    Opts
	log  *slog.Logger

	open                                     atomic.Bool
	cur                                      atomic.Pointer[sensor.Sensor] // the open sensor, nil when closed
	samples, readings, errs, opens, openErrs atomic.Uint64
	lastErr                                  atomic.Pointer[string]
}

// New returns a sampler for spec. The driver is looked up now, so that a
// config naming an unknown driver fails at start-up, not in the field.
func New(spec sensor.Spec, env sensor.Env, sink Sink, opts Opts) (*Sampler, error) {
	if _, err := sensor.Lookup(spec.Driver); err != nil {
		return nil, fmt.Errorf("sampler %s: %w", spec.Name, err)
	}
	if spec.Interval <= 0 {
		return nil, fmt.Errorf("sampler %s: interval %v must be positive", spec.Name, spec.Interval)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = spec.Interval
	}
	if opts.MaxFailures <= 0 {
		opts.MaxFailures = 5
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sampler{spec: spec, env: env, sink: sink, o: opts, log: log.With("sensor", spec.Name, "driver", spec.Driver)}, nil
}

// Run samples until ctx ends; it returns nil then. Sensor failures are
// counted and retried, never returned; a sink that fails to store
// readings maxSinkFailures times in a row is returned.
func (s *Sampler) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		dev, err := s.openSensor(ctx)
		if err != nil {
			return nil // ctx ended while waiting to retry
		}
		err = s.sample(ctx, dev)
		s.cur.Store(nil)
		if cerr := dev.Close(); cerr != nil {
			s.log.Warn("sampler: close", "err", cerr)
		}
		s.open.Store(false)
		if err != nil {
			return err
		}
	}
	return nil
}

// sinkError is a failure to keep readings, not a sensor's: the sensor is
// fine, the outbox (the disk) is not.
type sinkError struct{ err error }

func (e sinkError) Error() string { return "sampler: store readings: " + e.err.Error() }
func (e sinkError) Unwrap() error { return e.err }

// maxSinkFailures is how many samples in a row may fail to be stored
// before the sampler gives up and returns: a read-only or full disk is not
// something retrying fixes, and the agent must say so rather than drop
// every reading quietly.
const maxSinkFailures = 5

// openSensor opens the sensor, retrying with backoff until it answers or
// ctx ends.
func (s *Sampler) openSensor(ctx context.Context) (sensor.Sensor, error) {
	factory, err := sensor.Lookup(s.spec.Driver)
	if err != nil {
		return nil, err
	}
	for {
		dev, err := factory(ctx, s.spec, s.env)
		if err == nil {
			s.opens.Add(1)
			s.open.Store(true)
			s.cur.Store(&dev)
			s.o.Backoff.Reset()
			s.log.Info("sampler: sensor open", "sensor_dev", dev.String())
			return dev, nil
		}
		s.openErrs.Add(1)
		s.setErr(err)
		wait := s.o.Backoff.Next()
		s.log.Warn("sampler: sensor not answering; retrying", "err", err, "retry_in", wait.Round(time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// sample calls Sense at each tick until ctx ends or the sensor fails
// MaxFailures times in a row (nil: reopen it), or the sink fails
// maxSinkFailures times in a row (that error).
func (s *Sampler) sample(ctx context.Context, dev sensor.Sensor) error {
	tick := time.NewTicker(s.spec.Interval)
	defer tick.Stop()
	failures, sinkFailures := 0, 0
	for {
		err := s.once(ctx, dev)
		var se sinkError
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &se):
			sinkFailures++
			s.setErr(err)
			s.log.Error("sampler: readings not stored", "err", err, "in_a_row", sinkFailures)
			if sinkFailures >= maxSinkFailures {
				return err
			}
		case err != nil:
			sinkFailures = 0
			failures++
			s.errs.Add(1)
			s.setErr(err)
			s.log.Warn("sampler: sense failed", "err", err, "in_a_row", failures)
			if failures >= s.o.MaxFailures {
				s.log.Warn("sampler: reopening sensor after repeated failures")
				return nil
			}
		default:
			failures, sinkFailures = 0, 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

var errTimeout = errors.New("sampler: sense timed out")

func (s *Sampler) once(ctx context.Context, dev sensor.Sensor) error {
	sctx, cancel := context.WithTimeoutCause(ctx, s.o.Timeout, errTimeout)
	defer cancel()
	rs, err := dev.Sense(sctx)
	if err != nil {
		if cause := context.Cause(sctx); cause == errTimeout {
			return cause
		}
		return err
	}
	if len(rs) == 0 {
		return nil
	}
	for i := range rs {
		rs[i].Sensor = s.spec.Name
	}
	calibrate(rs, s.o.Calibrate)
	s.samples.Add(1)
	// The sink gets the parent ctx: a sample taken must not be dropped
	// because the sensor's timeout ran out while the outbox committed.
	if err := s.sink(ctx, rs); err != nil {
		return sinkError{err}
	}
	s.readings.Add(uint64(len(rs)))
	return nil
}

func (s *Sampler) setErr(err error) {
	msg := err.Error()
	s.lastErr.Store(&msg)
}

// Sensor returns the sensor while it is open, nil otherwise, so that the
// agent can reach a driver's extra methods (an e-bike detector's door-hold
// relay). Such methods must be safe to call while the sampler samples.
func (s *Sampler) Sensor() sensor.Sensor {
	if p := s.cur.Load(); p != nil {
		return *p
	}
	return nil
}

// Name is the sensor's name in the config.
func (s *Sampler) Name() string { return s.spec.Name }

// Stats returns the sampler's counters.
func (s *Sampler) Stats() Stats {
	st := Stats{
		Open: s.open.Load(), Samples: s.samples.Load(), Readings: s.readings.Load(),
		Errors: s.errs.Load(), Opens: s.opens.Load(), OpenErrs: s.openErrs.Load(),
	}
	if p := s.lastErr.Load(); p != nil {
		st.LastErr = *p
	}
	return st
}
