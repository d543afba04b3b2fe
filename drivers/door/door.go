package door

import (
	"fmt"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"

	"github.com/xiuhua/xiuhua/drivers/gpioin"
)

// Opts configures a Dev. nil Opts means DefaultOpts.
type Opts struct {
	// OpenLow says the input is low while the door is open. false, the
	// zero value, means high while open: a normally-closed reed to ground
	// with a pull-up.
	OpenLow bool
	// Pull is the input's pull resistor; gpio.PullNoChange, the zero
	// value, leaves it as it is.
	Pull gpio.Pull
	// Debounce is how long the line must be quiet before a change
	// counts; 0 means gpioin.DefaultDebounce (50 ms).
	Debounce time.Duration
}

// DefaultOpts suits a normally-closed reed between the input and ground.
var DefaultOpts = Opts{Pull: gpio.PullUp}

// Dev is a debounced door contact. Its methods are safe for concurrent
// use.
type Dev struct {
	in   *gpioin.Input
	open gpio.Level // input level while the door is open
}

var _ conn.Resource = (*Dev)(nil)

// New sets p up as an input and starts watching it.
func New(p gpio.PinIn, opts *Opts) (*Dev, error) {
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	in, err := gpioin.New(p, gpioin.Opts{Pull: o.Pull, Debounce: o.Debounce})
	if err != nil {
		return nil, fmt.Errorf("door: %w", err)
	}
	return &Dev{in: in, open: gpio.Level(!o.OpenLow)}, nil
}

// Open reports whether the door is open, from the settled level.
func (d *Dev) Open() bool { return d.in.Level() == d.open }

// Halt stops watching the input and turns its edge detection off.
func (d *Dev) Halt() error {
	if err := d.in.Halt(); err != nil {
		return fmt.Errorf("door: %w", err)
	}
	return nil
}

func (d *Dev) String() string {
	return fmt.Sprintf("door on %s (open when %s)", d.in, gpioin.LevelName(d.open))
}
