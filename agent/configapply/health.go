package configapply

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/agent"
	"github.com/xiuhua/xiuhua/configs"
)

// healthPoll is how often a trial's health is looked at. The look is a
// few counters; a tenth of a second keeps the trial short when the
// pipeline is healthy at once.
const healthPoll = 100 * time.Millisecond

// health waits until p passes its health check or the deadline passes,
// and returns why it failed, or "" when it passed (or ctx ended).
func (m *Manager) health(ctx context.Context, p *pipeline) string {
	deadline := time.NewTimer(m.o.Deadline)
	defer deadline.Stop()
	tick := time.NewTicker(healthPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ""
		case <-p.done:
			if ctx.Err() != nil {
				return ""
			}
			if p.err != nil {
				return "agent stopped during the health check: " + strings.TrimPrefix(p.err.Error(), "agent: ")
			}
			return "agent stopped during the health check"
		case <-tick.C:
			if st, err := p.a.Status(); err == nil && unhealthy(p.cfg, st, m.o.Deadline) == "" {
				return ""
			}
		case <-deadline.C:
			st, err := p.a.Status()
			if err != nil {
				return fmt.Sprintf("agent did not start within %v: %v", m.o.Deadline, err)
			}
			return unhealthy(p.cfg, st, m.o.Deadline)
		}
	}
}

// unhealthy says why a pipeline running cfg, in state st, fails the health
// check after running for within, or returns "" when it passes: every
// sensor has given at least one good reading, and the uplink is connected
// to its broker. A batch acknowledged by the collector is not asked for:
// the collector may be down while the device and its broker are fine, and
// a config must not be rolled back for that.
func unhealthy(cfg *configs.Agent, st agent.Status, within time.Duration) string {
	var why []string
	for _, s := range cfg.Sensors {
		if st.Good[s.Name] > 0 {
			continue
		}
		smp := st.Samplers[s.Name]
		msg := fmt.Sprintf("sensor %q (%s) gave no reading within %v", s.Name, describe(s), within)
		if smp.Readings > 0 {
			msg = fmt.Sprintf("sensor %q (%s) gave no good reading within %v (%d readings, none good)", s.Name, describe(s), within, smp.Readings)
		}
		if smp.LastErr != "" {
			msg += ": " + strings.TrimPrefix(smp.LastErr, fmt.Sprintf("sensor %q: ", s.Name))
		}
		why = append(why, msg)
	}
	if !st.Uplink.Connected {
		msg := fmt.Sprintf("uplink did not connect to %s within %v", cfg.Uplink.Broker, within)
		if e := st.Uplink.ConnectErr; e != "" {
			msg += ": " + strings.TrimPrefix(e, "uplink: connect to "+cfg.Uplink.Broker+": ")
		}
		why = append(why, msg)
	}
	return strings.Join(why, "; ")
}

// describe names a sensor's driver and where it is wired, as an engineer
// on site would look for it: "ultrasonic on /dev/ttyS9".
func describe(s configs.Sensor) string {
	switch {
	case s.Serial.Port != "":
		return s.Driver + " on " + s.Serial.Port
	case s.I2C.Bus != "":
		return fmt.Sprintf("%s on I2C bus %s at %#02x", s.Driver, s.I2C.Bus, s.I2C.Address)
	case len(s.Pins) > 0:
		roles := make([]string, 0, len(s.Pins))
		for role := range s.Pins {
			roles = append(roles, role)
		}
		slices.Sort(roles)
		for i, r := range roles {
			roles[i] = r + " " + s.Pins[r]
		}
		return s.Driver + " on " + strings.Join(roles, ", ")
	}
	return s.Driver
}
