package edge

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sync"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Alarm is a local threshold alarm: the device raises it from its own
// readings, so that it is known on site and queued first in the outbox even
// while the link is down. It is configs.Alarm in the detector's terms.
type Alarm struct {
	// Name names the event the alarm raises: event_<Name>.
	Name     string
	Quantity telemetry.Quantity // the quantity watched
	Sensor   string             // only this sensor's readings; "" means every sensor's
	// Below makes Limit a lower limit; otherwise it is an upper one.
	Below bool
	// Limit raises the alarm when a reading is strictly beyond it.
	Limit float64
	// Clear ends a raised alarm when a reading is at it or on its safe
	// side (hysteresis). It must not be beyond Limit; equal to it means
	// no hysteresis.
	Clear float64
}

// Event is the quantity the alarm raises.
func (al Alarm) Event() telemetry.Quantity { return telemetry.Quantity("event_" + al.Name) }

func (al Alarm) breaks(v float64) bool {
	if al.Below {
		return v < al.Limit
	}
	return v > al.Limit
}

func (al Alarm) clears(v float64) bool {
	if al.Below {
		return v >= al.Clear
	}
	return v <= al.Clear
}

var alarmName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// Alarms judges readings against a set of local alarms. Each alarm keeps
// one state per sensor stream it sees, so a device with two level sensors
// raises and ends the alarm for each on its own: memory is bounded by
// alarms × sensors. It is safe for concurrent use: the agent's samplers
// call Observe from their own goroutines.
type Alarms struct {
	alarms []Alarm

	mu     sync.Mutex
	raised []map[string]bool // per alarm: sensor → raised
}

// ErrBadAlarm is returned by NewAlarms, wrapped with the alarm's index,
// name and what is wrong with it.
var ErrBadAlarm = errors.New("edge: bad alarm")

// NewAlarms checks the alarms and returns their judge, every alarm ended.
func NewAlarms(alarms []Alarm) (*Alarms, error) {
	seen := map[string]bool{}
	for i, al := range alarms {
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%w %d (%s): %s", ErrBadAlarm, i, al.Name, fmt.Sprintf(format, args...))
		}
		switch {
		case !alarmName.MatchString(al.Name):
			return nil, fail("name must be 1 to 32 lower-case letters, digits or '_'")
		case seen[al.Name]:
			return nil, fail("name used twice")
		case al.Quantity == "":
			return nil, fail("no quantity")
		case math.IsNaN(al.Limit) || math.IsInf(al.Limit, 0) || math.IsNaN(al.Clear) || math.IsInf(al.Clear, 0):
			return nil, fail("limit and clear must be finite")
		case al.breaks(al.Clear):
			return nil, fail("clear %v is beyond the limit %v", al.Clear, al.Limit)
		}
		seen[al.Name] = true
	}
	a := &Alarms{alarms: append([]Alarm(nil), alarms...), raised: make([]map[string]bool, len(alarms))}
	for i := range a.raised {
		a.raised[i] = map[string]bool{}
	}
	return a, nil
}

// Observe judges rs, in order, and returns the events they raise or end:
// value 1 when an alarm is raised, 0 when it ends, from the sensor whose
// reading did it and stamped with that reading's time. Readings of Bad or
// Suspect quality are not judged: a sensor fault must not raise (or end)
// an alarm.
func (a *Alarms) Observe(rs []telemetry.Reading) []telemetry.Reading {
	var out []telemetry.Reading
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range rs {
		if r.Quality == telemetry.Bad || r.Quality == telemetry.Suspect {
			continue
		}
		for i, al := range a.alarms {
			if r.Quantity != al.Quantity || al.Sensor != "" && r.Sensor != al.Sensor {
				continue
			}
			on := a.raised[i][r.Sensor]
			var v float64
			switch {
			case !on && al.breaks(r.Value):
				v = 1
			case on && al.clears(r.Value):
				v = 0
			default:
				continue
			}
			a.raised[i][r.Sensor] = !on
			out = append(out, telemetry.Reading{Sensor: r.Sensor, Quantity: al.Event(), Value: v, Time: r.Time})
		}
	}
	return out
}
