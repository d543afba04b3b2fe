package ebike

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"

	"github.com/xiuhua/xiuhua/drivers/gpioin"
)

// ErrNoRelay is returned by HoldDoors when the Dev has no relay pin.
var ErrNoRelay = errors.New("ebike: no relay pin")

// Opts configures a Dev. nil Opts means DefaultOpts.
type Opts struct {
	// ActiveHigh says the input is high while an e-bike is seen. false,
	// the zero value, means low: the detector's relay contact pulls a
	// pulled-up input to ground.
	ActiveHigh bool
	// Pull is the input's pull resistor; gpio.PullNoChange, the zero
	// value, leaves it as it is.
	Pull gpio.Pull
	// Debounce is how long the line must be quiet before a change
	// counts; 0 means gpioin.DefaultDebounce (50 ms).
	Debounce time.Duration
	// Relay is the output that drives the door-hold relay; nil means
	// none.
	Relay gpio.PinOut
	// RelayActiveLow says the relay is energised by a low output. false,
	// the zero value, means high.
	RelayActiveLow bool
}

// DefaultOpts suits a detector whose relay contact pulls the input to
// ground, and no relay of ours.
var DefaultOpts = Opts{Pull: gpio.PullUp}

// Dev is an e-bike detector input and, optionally, a door-hold relay. Its
// methods are safe for concurrent use.
type Dev struct {
	in     *gpioin.Input
	active gpio.Level

	relay   gpio.PinOut
	energis gpio.Level // relay output level that energises it

	mu      sync.Mutex
	holding bool
}

var _ conn.Resource = (*Dev)(nil)

// New releases the relay, if any, then sets p up as an input and starts
// watching it.
func New(p gpio.PinIn, opts *Opts) (*Dev, error) {
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	d := &Dev{active: gpio.Level(o.ActiveHigh), relay: o.Relay, energis: gpio.Level(!o.RelayActiveLow)}
	if d.relay != nil {
		if err := d.relay.Out(!d.energis); err != nil {
			return nil, fmt.Errorf("ebike: release relay on %s: %w", d.relay, err)
		}
	}
	in, err := gpioin.New(p, gpioin.Opts{Pull: o.Pull, Debounce: o.Debounce})
	if err != nil {
		return nil, fmt.Errorf("ebike: %w", err)
	}
	d.in = in
	return d, nil
}

// Detected reports whether an e-bike is seen, from the settled level.
func (d *Dev) Detected() bool { return d.in.Level() == d.active }

// HoldDoors energises (true) or releases (false) the door-hold relay. It
// returns ErrNoRelay when there is none.
func (d *Dev) HoldDoors(hold bool) error {
	if d.relay == nil {
		return ErrNoRelay
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.energis
	if !hold {
		l = !l
	}
	if err := d.relay.Out(l); err != nil {
		return fmt.Errorf("ebike: drive relay on %s: %w", d.relay, err)
	}
	d.holding = hold
	return nil
}

// HoldingDoors reports whether the relay is energised.
func (d *Dev) HoldingDoors() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.holding
}

// Halt releases the relay and stops watching the input, even when
// releasing fails.
func (d *Dev) Halt() error {
	var rerr error
	if d.relay != nil {
		rerr = d.HoldDoors(false)
	}
	herr := d.in.Halt()
	if herr != nil {
		herr = fmt.Errorf("ebike: %w", herr)
	}
	return errors.Join(rerr, herr)
}

func (d *Dev) String() string {
	s := fmt.Sprintf("ebike on %s (detected when %s)", d.in, gpioin.LevelName(d.active))
	if d.relay != nil {
		s += fmt.Sprintf(", door-hold relay on %s (energised when %s)", d.relay, gpioin.LevelName(d.energis))
	}
	return s
}
