package demo

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/drivers/sensor"
	"github.com/xiuhua/xiuhua/simulator/scenario"
)

// The boards the demo plays besides the dust sites, from the shipped
// scenarios.
const (
	riverScenario = "huangpu-typhoon"
	liftScenario  = "tianlin-lift"
	// riverSite is the collector's site of the river gauge: the
	// huangpu-flood plan's station rules are scoped to it.
	riverSite = "river-gauge-1"
	liftSite  = "tianlin-lifts"
	// liftTrappedAfter is the lift agent's edge.elevator.trapped_after:
	// the example config's 2 minutes would keep the demo waiting.
	liftTrappedAfter = 20 * time.Second
)

// Boards returns the demo's scenarios: sites dust sites (the four shipped
// ones first, then background sites), the river gauge and the lift.
func Boards(sites int) ([]*scenario.Scenario, error) {
	var out []*scenario.Scenario
	for i := range sites {
		if i < 4 {
			s, err := scenario.Builtin(fmt.Sprintf("site-xh-%03d", i+1))
			if err != nil {
				return nil, err
			}
			out = append(out, s)
			continue
		}
		out = append(out, &scenario.Scenario{Kind: scenario.KindDust, ID: fmt.Sprintf("site-xh-%03d", i+1),
			Name: fmt.Sprintf("Xuhui, site %d", i+1), Story: "background dust", Compression: 1,
			Dust:    &scenario.Dust{Background: 25 + float64(i%5)*5, DailySwing: 6},
			Sensors: []scenario.Sensor{{Name: "dust", Chip: scenario.ChipPMS5003, Interval: time.Second}}})
	}
	for _, name := range []string{riverScenario, liftScenario} {
		s, err := scenario.Builtin(name)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// agentYAML is the board's agent config: the real file format, pointing
// at the rig's pseudo-terminals, bus and pins and at the demo's broker.
// A lift's agent runs the elevator detector.
func agentYAML(s *scenario.Scenario, specs []sensor.Spec, dir, brokerURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# Written by xiuhua-sim demo for %s (scenario %s).
device:
  id: %s
  site: %q
  district: xuhui
sensors:
`, s.Name, s.File, s.ID, s.Name)
	for _, sp := range specs {
		fmt.Fprintf(&b, "  - name: %s\n    driver: %s\n", sp.Name, sp.Driver)
		if sp.Serial.Port != "" {
			fmt.Fprintf(&b, "    serial: {port: %q, baud: %d}\n", sp.Serial.Port, sp.Serial.Baud)
		}
		if sp.I2C.Bus != "" {
			fmt.Fprintf(&b, "    i2c: {bus: %q, address: %#x}\n", sp.I2C.Bus, sp.I2C.Addr)
		}
		if len(sp.Pins) > 0 {
			fmt.Fprintf(&b, "    pins: {%s}\n", flow(sp.Pins))
		}
		fmt.Fprintf(&b, "    interval: %v\n", sp.Interval)
		if len(sp.Params) > 0 {
			fmt.Fprintf(&b, "    params: {%s}\n", flow(sp.Params))
		}
	}
	if e := s.Elevator; e != nil {
		fmt.Fprintf(&b, `edge:
  elevator:
    storey_m: %v
    ground_floor: %d
    trapped_after: %v   # the example config says 2m; the demo does not wait that long
`, cmp.Or(e.StoreyM, 3), cmp.Or(e.GroundFloor, 1), liftTrappedAfter)
	}
	fmt.Fprintf(&b, `outbox:
  path: %q
uplink:
  broker: %q
  batch_max: 500
  ack_timeout: 5s
  heartbeat: 10s
clock:
  # The simulated board's clock is the host's, which is right.
  require_sync: false
`, filepath.Join(dir, s.ID+".outbox.db"), brokerURL)
	return b.String()
}

// flow writes m as the inside of a YAML flow mapping, keys sorted and
// values quoted.
func flow(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %q", k, m[k])
	}
	return strings.Join(parts, ", ")
}
