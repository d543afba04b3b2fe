package sampler

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/internal/backoff"
	"github.com/xiuhua/xiuhua/telemetry"
)

// flaky is a test driver: its factory fails the first openFails times,
// and its Sense fails while senseFail is set.
type flaky struct {
	opens, openFails atomic.Int32
	senseFail        atomic.Bool
	closed           atomic.Int32
	block            chan struct{} // if not nil, Sense blocks on it or ctx
}

var drivers sync.Map // driver name → *flaky

func init() {
	for _, name := range []string{"test-flaky-open", "test-flaky-sense", "test-slow"} {
		f := &flaky{}
		drivers.Store(name, f)
		sensor.Register(name, func(ctx context.Context, spec sensor.Spec, env sensor.Env) (sensor.Sensor, error) {
			if f.opens.Add(1) <= f.openFails.Load() {
				return nil, errors.New("test: no answer on /dev/ttyTEST")
			}
			return &flakySensor{f}, nil
		})
	}
}

// driver returns the named test driver with its counters reset.
func driver(name string) *flaky {
	v, _ := drivers.Load(name)
	f := v.(*flaky)
	f.opens.Store(0)
	f.closed.Store(0)
	return f
}

type flakySensor struct{ f *flaky }

func (s *flakySensor) Sense(ctx context.Context) ([]telemetry.Reading, error) {
	if s.f.block != nil {
		select {
		case <-s.f.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if s.f.senseFail.Load() {
		return nil, errors.New("test: bad checksum")
	}
	return []telemetry.Reading{{Quantity: telemetry.PM2_5, Value: 12, Time: time.Now()}}, nil
}
func (s *flakySensor) Close() error   { s.f.closed.Add(1); return nil }
func (s *flakySensor) String() string { return "flaky" }

type sink struct {
	mu   sync.Mutex
	got  []telemetry.Reading
	seen chan struct{}
}

func (k *sink) put(_ context.Context, rs []telemetry.Reading) error {
	k.mu.Lock()
	k.got = append(k.got, rs...)
	k.mu.Unlock()
	select {
	case k.seen <- struct{}{}:
	default:
	}
	return nil
}

func (k *sink) waitReadings(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		k.mu.Lock()
		got := len(k.got)
		k.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-k.seen:
		case <-deadline:
			t.Fatalf("%d readings after 5 s, want %d", got, n)
		}
	}
}

func run(t *testing.T, driverName string, k *sink, opts Opts) (*Sampler, func()) {
	t.Helper()
	opts.Backoff = backoff.Backoff{Min: time.Millisecond, Max: 2 * time.Millisecond}
	s, err := New(sensor.Spec{Name: "dust", Driver: driverName, Interval: 5 * time.Millisecond}, nil, k.put, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	return s, func() { cancel(); <-done }
}

func TestAbsentSensorIsRetriedThenSampled(t *testing.T) {
	f := driver("test-flaky-open")
	f.openFails.Store(3)
	k := &sink{seen: make(chan struct{}, 1)}
	s, stop := run(t, "test-flaky-open", k, Opts{})
	k.waitReadings(t, 2)
	stop()
	st := s.Stats()
	if st.OpenErrs != 3 || st.Opens != 1 || st.LastErr != "test: no answer on /dev/ttyTEST" {
		t.Fatalf("stats = %+v, want 3 failed opens then 1 open, last error kept", st)
	}
	if k.got[0].Sensor != "dust" {
		t.Fatalf("reading's sensor = %q, want the config name \"dust\"", k.got[0].Sensor)
	}
	if f.closed.Load() != 1 {
		t.Fatalf("sensor closed %d times on stop, want 1", f.closed.Load())
	}
}

func TestRepeatedSenseFailuresReopen(t *testing.T) {
	f := driver("test-flaky-sense")
	f.senseFail.Store(true)
	k := &sink{seen: make(chan struct{}, 1)}
	s, stop := run(t, "test-flaky-sense", k, Opts{MaxFailures: 3})
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Opens < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	f.senseFail.Store(false)
	k.waitReadings(t, 1)
	stop()
	st := s.Stats()
	if st.Opens < 2 || st.Errors < 3 || f.closed.Load() < 1 {
		t.Fatalf("stats = %+v (closed %d): want a reopen after 3 failures in a row", st, f.closed.Load())
	}
}

func TestSenseTimeoutIsCountedAndStopIsPrompt(t *testing.T) {
	f := driver("test-slow")
	f.block = make(chan struct{}) // never closed: every Sense times out
	k := &sink{seen: make(chan struct{}, 1)}
	s, stop := run(t, "test-slow", k, Opts{Timeout: 2 * time.Millisecond})
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Errors < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	stop()
	if st := s.Stats(); st.Errors < 2 || st.LastErr != errTimeout.Error() {
		t.Fatalf("stats = %+v, want timeouts counted as %q", st, errTimeout)
	}
}

func TestUnknownDriverFailsAtStart(t *testing.T) {
	_, err := New(sensor.Spec{Name: "x", Driver: "no-such-driver", Interval: time.Second}, nil, nil, Opts{})
	if !errors.Is(err, sensor.ErrUnknownDriver) {
		t.Fatalf("err = %v, want ErrUnknownDriver", err)
	}
}

func TestASinkThatCannotStoreStopsTheSampler(t *testing.T) {
	f := driver("test-flaky-sense")
	f.senseFail.Store(false)
	diskFull := errors.New("outbox: commit: no space left on device")
	var calls atomic.Int32
	s, err := New(sensor.Spec{Name: "dust", Driver: "test-flaky-sense", Interval: time.Millisecond}, nil,
		func(context.Context, []telemetry.Reading) error { calls.Add(1); return diskFull },
		Opts{Backoff: backoff.Backoff{Min: time.Millisecond, Max: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	select {
	case err := <-done:
		if !errors.Is(err, diskFull) {
			t.Fatalf("Run = %v, want the sink's error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run kept going with a sink that stores nothing")
	}
	if n := calls.Load(); n != maxSinkFailures {
		t.Errorf("sink called %d times, want %d", n, maxSinkFailures)
	}
	if st := s.Stats(); st.Errors != 0 || st.Opens != 1 {
		t.Errorf("stats = %+v: a disk failure must not count against the sensor or reopen it", st)
	}
}
