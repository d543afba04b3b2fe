package pir

import (
	"fmt"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"

	"github.com/xiuhua/xiuhua/drivers/gpioin"
	"github.com/xiuhua/xiuhua/telemetry"
)

// DefaultWarmup is the HC-SR501's initialisation time after power-up.
const DefaultWarmup = time.Minute

// Opts configures a Dev. nil Opts means DefaultOpts.
type Opts struct {
	// ActiveLow says the input is low while motion is seen. false, the
	// zero value, means high, as the HC-SR501 and AM312 drive it.
	ActiveLow bool
	// Pull is the input's pull resistor; gpio.PullNoChange, the zero
	// value, leaves it as it is.
	Pull gpio.Pull
	// Debounce is how long the line must be quiet before a change
	// counts; 0 means gpioin.DefaultDebounce (50 ms).
	Debounce time.Duration
	// Warmup is how long after New readings are Warming; 0 means none.
	Warmup time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultOpts suits an HC-SR501 powered with the board.
var DefaultOpts = Opts{Pull: gpio.PullDown, Warmup: DefaultWarmup}

// Dev is a debounced PIR motion sensor. Its methods are safe for
// concurrent use.
type Dev struct {
	in     *gpioin.Input
	active gpio.Level
	warm   time.Time // readings before this are Warming
	now    func() time.Time
}

var _ conn.Resource = (*Dev)(nil)

// New sets p up as an input and starts watching it.
func New(p gpio.PinIn, opts *Opts) (*Dev, error) {
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	if o.Warmup < 0 {
		return nil, fmt.Errorf("pir: negative warmup %v", o.Warmup)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	in, err := gpioin.New(p, gpioin.Opts{Pull: o.Pull, Debounce: o.Debounce, Now: o.Now})
	if err != nil {
		return nil, fmt.Errorf("pir: %w", err)
	}
	return &Dev{in: in, active: gpio.Level(!o.ActiveLow), warm: o.Now().Add(o.Warmup), now: o.Now}, nil
}

// Motion reports whether the sensor sees motion, from the settled level.
func (d *Dev) Motion() bool { return d.in.Level() == d.active }

// Warm reports whether the warm-up time has passed.
func (d *Dev) Warm() bool { return !d.now().Before(d.warm) }

// readings are the Presence readings since the previous call; see
// gpioin.Input.Readings.
func (d *Dev) readings(name string) []telemetry.Reading {
	rs := d.in.Readings(name, telemetry.Presence, d.active)
	for i := range rs {
		if rs[i].Time.Before(d.warm) {
			rs[i].Quality = telemetry.Warming
		}
	}
	return rs
}

// Halt stops watching the input and turns its edge detection off.
func (d *Dev) Halt() error {
	if err := d.in.Halt(); err != nil {
		return fmt.Errorf("pir: %w", err)
	}
	return nil
}

func (d *Dev) String() string {
	return fmt.Sprintf("pir on %s (motion when %s)", d.in, gpioin.LevelName(d.active))
}
