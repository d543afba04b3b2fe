package fleet

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "github.com/xiuhua/xiuhua/drivers/pms5003" // the fleet's sensors' real drivers
	_ "github.com/xiuhua/xiuhua/drivers/sds011"
	_ "github.com/xiuhua/xiuhua/drivers/ultrasonic"
	pmschip "github.com/xiuhua/xiuhua/simulator/chip/pms5003"
	sdschip "github.com/xiuhua/xiuhua/simulator/chip/sds011"
	usonic "github.com/xiuhua/xiuhua/simulator/chip/ultrasonic"
)

// kind is a sensor a fleet device can carry: a UART chip emulator and the
// config that makes the agent read it with its real driver.
type kind struct {
	name   string // the sensor's name in the config
	driver string
	params string // the config's params, YAML flow style
	// chip returns device i's emulator, as the function that serves it on
	// a line until ctx ends.
	chip func(i int) func(ctx context.Context, rw io.ReadWriter) error
}

// kinds are the sensors Opts.Sensor may name. Each device's air (or
// water) differs by its index and moves slowly with time, below the
// construction-dust plan's limits so that a fleet raises no alerts.
var kinds = map[string]kind{
	"pms5003": {name: "dust", driver: "pms5003", params: "{mode: passive}", chip: func(i int) func(context.Context, io.ReadWriter) error {
		c := pmschip.New(func(t time.Time) pmschip.Values {
			pm25 := dust(i, t)
			return pmschip.Values{PM1: math.Round(pm25 * 0.7), PM2_5: pm25, PM10: math.Round(pm25 * 1.5)}
		}, nil)
		return c.Serve
	}},
	"sds011": {name: "dust", driver: "sds011", params: "{mode: query}", chip: func(i int) func(context.Context, io.ReadWriter) error {
		c := sdschip.New(func(t time.Time) sdschip.Values {
			pm25 := dust(i, t)
			return sdschip.Values{PM2_5: pm25, PM10: pm25 * 1.5}
		}, nil)
		return c.Serve
	}},
	// A triggered board: one in free-running mode sends ten frames a
	// second whether asked or not, which a fleet of thousands cannot afford.
	"ultrasonic": {name: "level", driver: "ultrasonic", params: "{trigger: \"true\", samples: \"1\"}", chip: func(i int) func(context.Context, io.ReadWriter) error {
		c := usonic.New(func(t time.Time) usonic.Values {
			return usonic.Values{Distance: 1500 + float64(i%20)*50 + 100*math.Sin(phase(i, t))}
		}, &usonic.Opts{Trigger: true})
		return c.Serve
	}},
}

// dust is device i's PM2.5 at t, µg/m³: 20 to 45, whole numbers.
func dust(i int, t time.Time) float64 {
	return math.Round(30 + float64(i%10) + 5*math.Sin(phase(i, t)))
}

// phase turns over once an hour, each device a little later than the one
// before.
func phase(i int, t time.Time) float64 {
	return 2*math.Pi*float64(t.UnixMilli()%3_600_000)/3_600_000 + float64(i)*0.1
}

// Sensors lists the sensor names Opts.Sensor accepts.
func Sensors() []string {
	n := make([]string, 0, len(kinds))
	for k := range kinds {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// agentYAML is device id's agent config, in the real file format.
func agentYAML(o *Opts, k kind, id, port, brokerURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by the simulator's fleet for device %s.\n", id)
	fmt.Fprintf(&b, "device: {id: %s, site: %q, district: fleet}\n", id, "fleet device "+id)
	fmt.Fprintf(&b, "sensors:\n  - {name: %s, driver: %s, serial: {port: %q}, interval: %s, params: %s}\n",
		k.name, k.driver, port, o.Interval, k.params)
	fmt.Fprintf(&b, "outbox: {path: %q, budget_mb: %d}\n", filepath.Base(outboxFile(id)), o.BudgetMB)
	fmt.Fprintf(&b, "uplink: {broker: %q, ack_timeout: %s, heartbeat: %s}\n", brokerURL, o.AckTimeout, o.Heartbeat)
	if o.Clock == nil {
		b.WriteString("clock: {require_sync: false}\n")
	} else {
		fmt.Fprintf(&b, "clock: {require_sync: true, sync_wait: %s}\n", o.SyncWait)
	}
	return b.String()
}

func outboxFile(id string) string { return id + ".outbox.db" }
func configFile(id string) string { return id + ".yaml" }
