package configs

import (
	"regexp"
	"slices"
	"strings"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Alarm is a threshold the device itself watches, so that it is raised
// while the device is offline too: the event goes in the outbox's urgent
// lane and reaches the collector first when the link comes back. The
// collector's plans remain the authority for alerts; a local alarm is for
// what must be known on site or at once (a sump about to overflow).
//
// The alarm raises the event quantity "event_<name>" with value 1, from the
// sensor whose reading broke the limit, stamped with that reading's time;
// value 0 ends it once a reading is back at Clear or on its safe side, as
// the collector's threshold rules clear. Each sensor's stream is watched
// on its own; readings of Bad or Suspect quality are not judged.
type Alarm struct {
	// Name is required and unique among the alarms: [a-z0-9_]{1,32}. It
	// names the event, event_<name>, which must not be a built-in event
	// such as event_trapped.
	Name string `yaml:"name"`
	// Quantity is the measured quantity watched, e.g. water_level;
	// required. It must be one a sensor of the device reports (or, with
	// edge.elevator, one the elevator detector derives: speed, floor,
	// vibration).
	Quantity telemetry.Quantity `yaml:"quantity"`
	// Sensor, when set, limits the alarm to that sensor's readings; it must
	// name one of the device's sensors, which must report Quantity. Empty
	// means every sensor reporting Quantity.
	Sensor string `yaml:"sensor"`
	// Above or Below (exactly one) is the limit, in the quantity's unit:
	// the alarm is raised by a reading strictly beyond it.
	Above *float64 `yaml:"above"`
	Below *float64 `yaml:"below"`
	// Clear is where a raised alarm ends (hysteresis): a reading at it or
	// on its safe side. Default the limit; it must not be beyond the limit
	// (for an above alarm, Clear ≤ Above).
	Clear *float64 `yaml:"clear"`
}

// Event is the quantity the alarm raises.
func (al Alarm) Event() telemetry.Quantity { return telemetry.Quantity("event_" + al.Name) }

var alarmName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// localAlarmEvent reports whether q can be the event of an agent's local
// alarm (event_<name>, not a built-in event), which plans may watch with
// event rules.
func localAlarmEvent(q telemetry.Quantity) bool {
	name, ok := strings.CutPrefix(string(q), "event_")
	return ok && alarmName.MatchString(name) && q.Unit() == ""
}

// derivedQuantities are what the elevator detector adds to the readings
// alarms see.
var derivedQuantities = []telemetry.Quantity{telemetry.Speed, telemetry.Floor, telemetry.Vibration}

func (a *Agent) alarmDefaults() {
	for i := range a.Edge.Alarms {
		al := &a.Edge.Alarms[i]
		if al.Clear != nil {
			continue
		}
		if al.Above != nil {
			al.Clear = ptr(*al.Above)
		} else if al.Below != nil {
			al.Clear = ptr(*al.Below)
		}
	}
}

func (a *Agent) checkAlarms(c *checker) {
	names := map[string]int{}
	for i, al := range a.Edge.Alarms {
		p := index("edge.alarms", i)
		if c.required(key(p, "name"), al.Name) {
			switch {
			case !alarmName.MatchString(al.Name):
				c.add(key(p, "name"), "%q is not a valid alarm name; use 1 to 32 lower-case letters, digits or '_'", al.Name)
			case slices.Contains(telemetry.Quantities(), al.Event()):
				c.add(key(p, "name"), "%s is a built-in event; choose another name", al.Event())
			default:
				if j, dup := names[al.Name]; dup {
					c.add(key(p, "name"), "%q is already the name of edge.alarms[%d]", al.Name, j)
				} else {
					names[al.Name] = i
				}
			}
		}
		if c.required(key(p, "quantity"), string(al.Quantity)) {
			a.checkAlarmSource(c, p, al)
		}
		a.checkAlarmLimits(c, p, al)
	}
}

// checkAlarmSource checks that some sensor (or the named one) reports the
// alarm's quantity: an alarm that can never see a reading is a slip.
func (a *Agent) checkAlarmSource(c *checker, p string, al Alarm) {
	qp := key(p, "quantity")
	if al.Sensor != "" {
		i := slices.IndexFunc(a.Sensors, func(s Sensor) bool { return s.Name == al.Sensor })
		if i < 0 {
			if !c.spoiled("sensors") {
				c.add(key(p, "sensor"), "%q is not one of the device's sensors (%s)", al.Sensor, a.sensorNames())
			}
			return
		}
		c.sensorQuantity(qp, a.Sensors[i], al.Quantity)
		return
	}
	if !measured(al.Quantity) {
		c.add(qp, "%q is not a measured quantity; use one of %s", al.Quantity, measuredList())
		return
	}
	if a.Edge.Elevator != nil && slices.Contains(derivedQuantities, al.Quantity) {
		return
	}
	for _, s := range a.Sensors {
		if qs, known := driverQuantities(s); !known || slices.Contains(qs, al.Quantity) {
			return
		}
	}
	if !c.spoiled("sensors") {
		c.add(qp, "no sensor of the device reports %s", al.Quantity)
	}
}

func (a *Agent) checkAlarmLimits(c *checker, p string, al Alarm) {
	switch {
	case al.Above == nil && al.Below == nil:
		c.add(p, "set above or below: the limit that raises the alarm")
		return
	case al.Above != nil && al.Below != nil:
		c.add(key(p, "below"), "set above or below, not both; use two alarms for a band")
		return
	}
	limit, lk := al.Above, "above"
	if al.Below != nil {
		limit, lk = al.Below, "below"
	}
	if !c.finite(key(p, lk), *limit) || al.Clear == nil || !c.finite(key(p, "clear"), *al.Clear) {
		return
	}
	switch {
	case al.Above != nil && *al.Clear > *limit:
		c.add(key(p, "clear"), "%v is above the limit %v; an above alarm clears at or below its limit", *al.Clear, *limit)
	case al.Below != nil && *al.Clear < *limit:
		c.add(key(p, "clear"), "%v is below the limit %v; a below alarm clears at or above its limit", *al.Clear, *limit)
	}
}

func (a *Agent) sensorNames() string {
	var names []string
	for _, s := range a.Sensors {
		if s.Name != "" {
			names = append(names, s.Name)
		}
	}
	return strings.Join(names, ", ")
}
