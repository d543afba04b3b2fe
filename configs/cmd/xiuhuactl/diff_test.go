package main

import (
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	dir := t.TempDir()
	old := writeFile(t, dir, "old/gauge.yaml", gauge)
	same := writeFile(t, dir, "same/gauge.yaml", "# the same config, written out in full\n"+strings.Replace(gauge,
		"    serial: {port: /dev/ttyS0}\n", "    serial: {port: /dev/ttyS0, baud: 9600}\n    interval: 5s\n", 1))
	expect(t, exitOK, "no changes\n", "", "config", "diff", old, same)

	newer := writeFile(t, dir, "new/gauge.yaml", `device: {id: gauge-2, location: {lat: 31.23, lon: 121.47}}
sensors:
  - name: sonar
    driver: ultrasonic
    serial: {port: /dev/ttyS0}
    interval: 10s
    params: {mounting_height_m: "8.5", samples: "7"}
    calibration: {water_level: {offset: -0.05}}
  - {name: rain, driver: raingauge, pins: {input: GPIO17}, interval: 1m}
edge:
  alarms: [{name: high_water, quantity: water_level, above: 4.5}]
outbox: {path: /var/lib/xiuhua/outbox.db, budget_mb: 256}
uplink: {broker: "tcp://127.0.0.1:1883", password: n3w, username: gauge-1}
`)
	expect(t, exitOK, `device.id: gauge-1 → gauge-2  [a remote flash refuses this: a device keeps its id]
+ device.location.lat: 31.23
+ device.location.lon: 121.47
sensors[0].interval: 5s → 10s
+ sensors[0].params.samples: 7
+ sensors[0].calibration.water_level.scale: 1
+ sensors[0].calibration.water_level.offset: -0.05
+ sensors[1].name: rain
+ sensors[1].driver: raingauge
+ sensors[1].pins.input: GPIO17
+ sensors[1].interval: 1m
+ sensors[1].timeout: 3s
outbox.path: outbox.db → /var/lib/xiuhua/outbox.db  [a remote flash refuses this: the outbox holding unsent readings cannot move]
outbox.budget_mb: 64 → 256
uplink.client_id: xiuhua-agent-gauge-1 → xiuhua-agent-gauge-2
uplink.password: changed (not shown)
+ edge.alarms[0].name: high_water
+ edge.alarms[0].quantity: water_level
+ edge.alarms[0].above: 4.5
+ edge.alarms[0].clear: 4.5
20 changes; a remote flash refuses the change of device.id and outbox.path: deliver this config on site (config flash --to)
`, "", "config", "diff", old, newer)

	// Back again: removals.
	code, out, _ := run(t, "config", "diff", newer, old)
	if code != exitOK || !strings.Contains(out, "- sensors[1].name: rain\n") || !strings.Contains(out, "- edge.alarms[0].above: 4.5\n") ||
		!strings.Contains(out, "sensors[0].interval: 10s → 5s\n") {
		t.Errorf("reverse diff, exit %d:\n%s", code, out)
	}

	one := writeFile(t, dir, "one/gauge.yaml", strings.Replace(gauge, "password: s3cret, ", "", 1))
	expect(t, exitOK, "uplink.password: changed (not shown)\n1 change\n", "", "config", "diff", old, one)

	bad := writeFile(t, dir, "bad/gauge.yaml", strings.Replace(gauge, "ultrasonic", "ultrasonc", 1)+"colour: red\n")
	expect(t, exitProblem, "", bad+": colour (line 9): unknown key; known keys here: device, sensors, outbox, uplink, clock, edge\n", "config", "diff", old, bad)
	expect(t, exitProblem, "", "xiuhuactl: "+old+" is an agent config and ../../examples/collector.yaml a collector config: nothing to compare\n",
		"config", "diff", old, "../../examples/collector.yaml")
}
