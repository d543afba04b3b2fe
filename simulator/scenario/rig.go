package scenario

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/simulator/board"
	"github.com/xiuhua/xiuhua/simulator/chip"
	"github.com/xiuhua/xiuhua/simulator/chip/gpiopin"
	"github.com/xiuhua/xiuhua/simulator/chip/tipbucket"
)

// MountOpts configures Mount. The zero value means the wall clock and I2C
// bus "1".
type MountOpts struct {
	// Now is the wall clock: the scenario starts at Now() when mounted,
	// and the chips read it. nil means time.Now.
	Now func() time.Time
	// Bus is the name of the board's I2C bus the chips go on; "" means
	// "1", the Raspberry Pi's.
	Bus string
}

// Rig is a scenario mounted on a virtual board: its UART chips behind
// pseudo-terminals, its I2C chips on the board's bus, its contacts on the
// board's pins, all facing the scenario's world on the scenario's clock.
type Rig struct {
	s     *Scenario
	clock Clock
	now   func() time.Time
	specs []sensor.Spec

	ptys    []*chip.PTY
	lines   map[string]*chip.Line
	gauges  map[string]*tipbucket.Gauge
	runners []runner
	contact []contact // door contacts and PIRs, set by Run

	closeOnce sync.Once
	closeErr  error
}

// runner is one part of the rig that runs until ctx ends: a UART chip
// serving its line, a rain gauge.
type runner struct {
	name string
	run  func(ctx context.Context) error
}

// contact is a GPIO line a scenario drives from the world's state.
type contact struct {
	pin *gpiopin.Pin
	// level returns the line's state at wall time t: driven to a level,
	// or released to its pull resistor.
	level    func(t time.Time) (l gpio.Level, driven bool)
	l        gpio.Level
	driven   bool
	bounces  int
	switched bool // the line has been set at least once
}

// Mount puts the scenario's chips on b and starts the scenario's clock.
// It opens a pseudo-terminal for each UART chip; Close closes them. Run
// makes the chips and contacts work.
func Mount(s *Scenario, b *board.Board, opts *MountOpts) (*Rig, error) {
	var o MountOpts
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Bus == "" {
		o.Bus = "1"
	}
	wall0 := o.Now()
	scen0 := s.Start
	if scen0.IsZero() {
		scen0 = wall0
	}
	r := &Rig{s: s, clock: Clock{Wall0: wall0, Scen0: scen0, K: s.Compression}, now: o.Now,
		lines: map[string]*chip.Line{}, gauges: map[string]*tipbucket.Gauge{}}
	for i := range s.Sensors {
		sen := &s.Sensors[i]
		spec, err := r.mount(sen, b, o.Bus)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("scenario %s: sensor %s (%s): %w", s.ID, sen.Name, sen.Chip, err)
		}
		spec.Name, spec.Driver = sen.Name, sen.Driver()
		spec.Interval = sen.Interval
		if spec.Interval == 0 {
			spec.Interval = time.Second
		}
		r.specs = append(r.specs, spec)
	}
	return r, nil
}

// Scenario returns what the rig plays.
func (r *Rig) Scenario() *Scenario { return r.s }

// Clock returns the scenario's clock.
func (r *Rig) Clock() Clock { return r.clock }

// Specs returns what an agent on the board needs to read each sensor,
// in the scenario's order: the driver, the pseudo-terminal's path, the
// bus and address, the pin, the driver's params and the interval.
func (r *Rig) Specs() []sensor.Spec { return r.specs }

// Line returns the UART line of the named sensor, or nil when it has
// none, so that a test can see what the line did.
func (r *Rig) Line(sensor string) *chip.Line { return r.lines[sensor] }

// Gauge returns the named rain gauge, or nil.
func (r *Rig) Gauge(sensor string) *tipbucket.Gauge { return r.gauges[sensor] }

// Run runs the UART chips, the rain gauges and the contacts until ctx
// ends, then stops them all and returns nil; or, when one fails, stops
// the others and returns its error.
func (r *Rig) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, rn := range r.runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := rn.run(ctx); err != nil && ctx.Err() == nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("scenario %s: %s: %w", r.s.ID, rn.name, err))
				mu.Unlock()
				cancel()
			}
		}()
	}
	if len(r.contact) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.runContacts(ctx)
		}()
	}
	// A rig of I2C chips alone has nothing to run, but still runs until
	// ctx ends, like the others.
	<-ctx.Done()
	wg.Wait()
	return errors.Join(errs...)
}

// contactTick is how often contacts follow the world: well inside the
// drivers' 50 ms debounce.
const contactTick = 5 * time.Millisecond

func (r *Rig) runContacts(ctx context.Context) {
	tick := time.NewTicker(contactTick)
	defer tick.Stop()
	for {
		r.SetContacts(r.now())
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// SetContacts sets every contact's line as the world is at wall time t.
// Run calls it every 5 ms; a test that steps a clock calls it itself.
func (r *Rig) SetContacts(t time.Time) {
	for i := range r.contact {
		c := &r.contact[i]
		l, driven := c.level(t)
		if c.switched && l == c.l && driven == c.driven {
			continue
		}
		c.l, c.driven, c.switched = l, driven, true
		switch {
		case !driven:
			c.pin.Release()
		case c.bounces > 0:
			c.pin.Bounce(l, c.bounces, 0)
		default:
			c.pin.Set(l)
		}
	}
}

// Close closes the pseudo-terminals. Call it after Run has returned.
func (r *Rig) Close() error {
	r.closeOnce.Do(func() {
		var errs []error
		for _, p := range r.ptys {
			errs = append(errs, p.Close())
		}
		r.closeErr = errors.Join(errs...)
	})
	return r.closeErr
}

// sinceNow returns the scenario time whose world a sensor with faults fs
// measures now: the scenario's now, or the start of a stuck fault.
//
// Sources look at the world on the rig's clock rather than at the time a
// chip passes them, so that a test may step the rig's clock while the
// chips keep their protocols' timing on the wall clock.
func (r *Rig) sinceNow(fs faults) time.Duration {
	return fs.measureAt(r.clock.Since(r.now()))
}

// lineState is the condition of a UART sensor's line at the wall clock's
// now.
func (r *Rig) lineState(fs faults) func() chip.LineState {
	return func() chip.LineState {
		since := r.clock.Since(r.now())
		if fs.active(Unplugged, since) != nil {
			return chip.LineState{Silent: true}
		}
		if f := fs.active(Garbage, since); f != nil {
			return chip.LineState{Garbage: f.Bytes}
		}
		return chip.LineState{}
	}
}

// present reports whether an I2C chip answers at the wall clock's now.
func (r *Rig) present(fs faults) func() bool {
	return func() bool { return fs.active(Unplugged, r.clock.Since(r.now())) == nil }
}

// openUART opens a pseudo-terminal for a UART chip and puts a Line on its
// master, on which serve is run. It returns the spec's serial settings.
func (r *Rig) openUART(sen *Sensor, baud int, serve func(context.Context, *chip.Line) error) (sensor.Serial, error) {
	p, err := chip.OpenPTY()
	if err != nil {
		return sensor.Serial{}, err
	}
	r.ptys = append(r.ptys, p)
	line := chip.NewLine(p.Master, r.lineState(r.s.faultsOf(sen.Name)))
	r.lines[sen.Name] = line
	r.runners = append(r.runners, runner{name: sen.Name + " (" + sen.Chip + ")", run: func(ctx context.Context) error { return serve(ctx, line) }})
	return sensor.Serial{Port: p.SlavePath, Baud: baud}, nil
}

// addPin puts a new emulated pin on the board under sen.Pin.
func addPin(b *board.Board, name string) (*gpiopin.Pin, error) {
	n, err := strconv.Atoi(name[len("GPIO"):])
	if err != nil {
		return nil, fmt.Errorf("pin %q: %w", name, err)
	}
	p := gpiopin.New(name, n)
	b.AddPin(p)
	return p, nil
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
