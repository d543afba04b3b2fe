package configs

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Agent is the config of one device: who it is, which sensors it reads,
// where it keeps readings and where it sends them.
type Agent struct {
	Device  Device   `yaml:"device"`
	Sensors []Sensor `yaml:"sensors"` // at least one
	Outbox  Outbox   `yaml:"outbox"`
	Uplink  Uplink   `yaml:"uplink"`
	Clock   Clock    `yaml:"clock"`
	Edge    Edge     `yaml:"edge"`

	hash string
}

// Device says who the agent is and where it stands.
type Device struct {
	ID       string `yaml:"id"`       // required; see telemetry.ValidateDeviceID
	Site     string `yaml:"site"`     // free text shown to the offices, e.g. "Xuhui construction site 1"
	District string `yaml:"district"` // free text, e.g. "xuhui"
	// Location, when given, is where the device stands, for the offices'
	// maps and for sending someone to it.
	Location *Location `yaml:"location"`
}

// Location is a point in WGS-84, the datum of GPS receivers. Maps of
// mainland China (AMap, Tencent, Baidu) draw in GCJ-02 or BD-09, which lie
// some hundreds of metres off: take coordinates from a GPS receiver or
// convert them, never copy them off such a map.
type Location struct {
	Lat *float64 `yaml:"lat"` // required; degrees north, −90 to 90 (Shanghai ≈ 31.2)
	Lon *float64 `yaml:"lon"` // required; degrees east, −180 to 180 (Shanghai ≈ 121.5)
	// Address is free text for the people who go there, e.g. "Longhua
	// pumping station, 2F control room"; optional.
	Address string `yaml:"address"`
}

// Sensor is one sensor the agent samples.
type Sensor struct {
	Name   string `yaml:"name"`   // required, unique in the device; [A-Za-z0-9_-]{1,32}; becomes Reading.Sensor
	Driver string `yaml:"driver"` // required; the driver's registry name, checked by the agent
	Serial Serial `yaml:"serial"` // for UART drivers
	I2C    I2C    `yaml:"i2c"`    // for I2C drivers
	// Pins maps a GPIO driver's pin roles to the board's pin names, e.g.
	// {input: GPIO17, relay: GPIO27}; see each driver's doc for its roles.
	Pins map[string]string `yaml:"pins"`
	// Interval is how often the sensor is sampled: default 5s, 100ms to 24h.
	Interval Duration `yaml:"interval"`
	// Timeout bounds one sample: default 3s or Interval if that is
	// shorter; at most Interval.
	Timeout Duration          `yaml:"timeout"`
	Params  map[string]string `yaml:"params"` // driver-specific; nil when absent
	// Calibration corrects the driver's values per quantity, e.g.
	// {pm2_5: {scale: 0.92, offset: -1.5}}. Each quantity must be one the
	// driver reports. nil when absent.
	Calibration map[telemetry.Quantity]Calibration `yaml:"calibration"`
}

// Serial names a serial port and its speed.
type Serial struct {
	Port string `yaml:"port"` // device path, e.g. /dev/ttyAMA0; required for UART drivers
	Baud int    `yaml:"baud"` // bits per second: default 9600 when Port is set; a standard rate
}

// I2C names the bus and address of an I2C chip.
type I2C struct {
	Bus     string `yaml:"bus"`     // the bus name as periph knows it, e.g. "1" for /dev/i2c-1; required for I2C drivers
	Address int    `yaml:"address"` // 7-bit address, e.g. 0x48; must be one the chip can be strapped to
}

// Outbox is the agent's local store of readings not yet acknowledged.
type Outbox struct {
	Path string `yaml:"path"` // required; the bbolt file, relative to the config file's directory
	// BudgetMB is the most disk the outbox file may take, in MiB: default
	// 64, 1 to 65536. Past 70% of it the oldest readings are condensed
	// into per-minute aggregates rather than dropped.
	BudgetMB int `yaml:"budget_mb"`
}

// Edge configures derivations the agent makes on the device, so that
// they work while it is offline.
type Edge struct {
	// Elevator, when present, runs the elevator detector (agent/edge) on
	// the device's accelerometer, barometer, door, presence and e-bike
	// readings. Zero fields take the detector's documented defaults.
	Elevator *Elevator `yaml:"elevator"`
	// Alarms are thresholds watched on the device, raised as events even
	// while it is offline.
	Alarms []Alarm `yaml:"alarms"`
}

// Elevator is the building and the limits the elevator detector uses.
type Elevator struct {
	StoreyM        float64   `yaml:"storey_m"`        // uniform storey height, m; default 3
	GroundFloor    int       `yaml:"ground_floor"`    // floor number of the ground landing; default 1
	FloorHeightsM  []float64 `yaml:"floor_heights_m"` // landing heights above the lowest landing, m, ascending; overrides storey_m
	FloorNumbers   []int     `yaml:"floor_numbers"`   // the landings' floor numbers, same length as floor_heights_m
	TrappedAfter   Duration  `yaml:"trapped_after"`   // car stopped, door shut, someone inside for this long; default 2m
	MaxSpeed       float64   `yaml:"max_speed"`       // over-speed limit, m/s; default 1.15 (rated 1 m/s × 1.15)
	VibrationLimit float64   `yaml:"vibration_limit"` // RMS about the mean over 2 s, m/s²; default 1.0
	// HoldDoorsForEBike holds the car doors open (梯阻) through the e-bike
	// detector's relay while an e-bike is in the car, so that the car does
	// not leave with it: default false. The elevator controller's own
	// door-hold limit still has the last word.
	HoldDoorsForEBike bool `yaml:"hold_doors_for_ebike"`
}

// Clock says how far the agent trusts its board's clock.
type Clock struct {
	// RequireSync holds readings (events still go) until the kernel
	// reports the clock synchronised, then corrects their times by the
	// step: default true, for boards without a real-time clock. Set false
	// on boards whose clock is right from boot (an RTC kept by the
	// kernel, or a simulator).
	RequireSync *bool `yaml:"require_sync"`
	// SyncWait is the longest readings are held for a synchronisation:
	// default 10m, 0s to 24h. After it they are sent flagged
	// clock_unsynced, and corrected if the clock syncs later while they
	// are still held.
	SyncWait Duration `yaml:"sync_wait"`
}

// Requires reports RequireSync with its default.
func (c Clock) Requires() bool { return c.RequireSync == nil || *c.RequireSync }

// Uplink is how the agent reaches the MQTT broker.
type Uplink struct {
	Broker   string `yaml:"broker"`    // required; tcp://, ssl://, mqtt:// or mqtts:// with host and port
	ClientID string `yaml:"client_id"` // default "xiuhua-agent-<device id>"
	Username string `yaml:"username"`  // optional; required when Password is set
	Password string `yaml:"password"`
	// BatchMax is the most records in one batch: default 500, 1 to
	// telemetry.MaxBatchRecords.
	BatchMax int `yaml:"batch_max"`
	// AckTimeout is how long a batch may wait for the collector's
	// acknowledgement before it is sent again: default 15s, 1s to 1h.
	AckTimeout Duration `yaml:"ack_timeout"`
	// MaxInFlight is how many batches may await acknowledgement at once:
	// default 4, 1 to 64.
	MaxInFlight int `yaml:"max_in_flight"`
	// ReplayRate bounds how fast a backlog is replayed after an outage,
	// in readings per second: default 0, no bound beyond the in-flight
	// window. Live readings always go first.
	ReplayRate float64 `yaml:"replay_rate"`
	// Heartbeat is the interval of the status heartbeat: default 60s,
	// 1s to 1h.
	Heartbeat Duration `yaml:"heartbeat"`
	// TLS configures an ssl:// or mqtts:// broker connection; nil means the
	// system's roots. It is an error with a tcp:// or mqtt:// broker.
	TLS *TLS `yaml:"tls"`
}

// Defaults and limits of the agent config.
const (
	DefaultInterval    = 5 * time.Second
	DefaultTimeout     = 3 * time.Second
	DefaultBaud        = 9600
	DefaultBatchMax    = 500
	DefaultAckTimeout  = 15 * time.Second
	DefaultMaxInFlight = 4
	DefaultBudgetMB    = 64
	DefaultHeartbeat   = time.Minute
	DefaultSyncWait    = 10 * time.Minute

	minInterval    = 100 * time.Millisecond
	maxInterval    = 24 * time.Hour
	maxMaxInFlight = 64
)

var standardBauds = map[int]bool{
	1200: true, 2400: true, 4800: true, 9600: true, 19200: true, 38400: true,
	57600: true, 115200: true, 230400: true, 256000: true, 460800: true, 921600: true, // 256000: HLK-LD2410
}

// LoadAgent reads, decodes, completes and validates the agent config at
// path. Relative paths in it are resolved against path's directory. All
// problems with the file come back together in an *Error.
func LoadAgent(path string) (*Agent, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("configs: load agent config: %w", err)
	}
	return ParseAgent(path, data)
}

// ParseAgent is LoadAgent for a config already read, e.g. one received over
// MQTT: name is the path it is (or will be) stored at, used in problems and
// to resolve relative paths. A signature line is ignored here; see Verify.
func ParseAgent(name string, data []byte) (*Agent, error) {
	return ParseAgentWith(name, data, ParseOpts{})
}

// ParseOpts adjusts ParseAgentWith.
type ParseOpts struct {
	// SkipFiles leaves out the checks that the files the config names
	// (uplink.tls) exist and parse: for an engineer's machine checking a
	// config whose files live only on the device. A device loading its
	// config never sets it.
	SkipFiles bool
}

// ParseAgentWith is ParseAgent with options.
func ParseAgentWith(name string, data []byte, o ParseOpts) (*Agent, error) {
	r := report{skipFiles: o.SkipFiles}
	a := new(Agent)
	c := decode(name, data, a, &r)
	if !c.broken {
		a.setDefaults(c)
		a.Outbox.Path = resolve(name, a.Outbox.Path)
		a.Uplink.resolveTLS(name)
		a.check(c)
	}
	if err := r.err(); err != nil {
		return nil, err
	}
	a.hash = Hash(data)
	return a, nil
}

// Hash is the SHA-256, in hex, of the file as it was loaded, its signature
// line left out (see the package function Hash), so that an agent can report
// which config it applied. It is "" for an Agent that was
// not loaded from a file.
func (a *Agent) Hash() string { return a.hash }

// Validate checks a, with no defaults applied, and returns an *Error
// listing its problems by path.
func (a *Agent) Validate() error {
	var r report
	a.check(r.file("", nil))
	return r.err()
}

func (a *Agent) setDefaults(c *checker) {
	for i := range a.Sensors {
		s, p := &a.Sensors[i], index("sensors", i)
		if !c.has(key(p, "interval")) {
			s.Interval = Duration(DefaultInterval)
		}
		if !c.has(key(p, "timeout")) {
			s.Timeout = Duration(min(DefaultTimeout, s.Interval.D()))
		}
		if s.Serial.Port != "" && !c.has(key(p, "serial.baud")) {
			s.Serial.Baud = DefaultBaud
		}
	}
	u := &a.Uplink
	if u.ClientID == "" {
		u.ClientID = "xiuhua-agent-" + a.Device.ID
	}
	if !c.has("uplink.batch_max") {
		u.BatchMax = DefaultBatchMax
	}
	if !c.has("uplink.ack_timeout") {
		u.AckTimeout = Duration(DefaultAckTimeout)
	}
	if !c.has("uplink.max_in_flight") {
		u.MaxInFlight = DefaultMaxInFlight
	}
	if !c.has("uplink.heartbeat") {
		u.Heartbeat = Duration(DefaultHeartbeat)
	}
	if !c.has("outbox.budget_mb") {
		a.Outbox.BudgetMB = DefaultBudgetMB
	}
	if !c.has("clock.sync_wait") {
		a.Clock.SyncWait = Duration(DefaultSyncWait)
	}
	a.calibrationDefaults(c)
	a.alarmDefaults()
}

func (a *Agent) check(c *checker) {
	if c.required("device.id", a.Device.ID) {
		if err := telemetry.ValidateDeviceID(a.Device.ID); err != nil {
			c.add("device.id", "%s", strings.TrimPrefix(err.Error(), "telemetry: "))
		}
	}
	if l := a.Device.Location; l != nil {
		l.check(c)
	}
	if len(a.Sensors) == 0 {
		c.add("sensors", "at least one sensor is required")
	}
	names := map[string]int{}
	for i, s := range a.Sensors {
		p := index("sensors", i)
		if c.name(key(p, "name"), s.Name) {
			if j, dup := names[s.Name]; dup {
				c.add(key(p, "name"), "%q is already the name of sensors[%d]", s.Name, j)
			} else {
				names[s.Name] = i
			}
		}
		s.check(c, p)
	}
	c.required("outbox.path", a.Outbox.Path)

	u := a.Uplink
	c.broker("uplink.broker", u.Broker)
	c.credentials("uplink", u.Username, u.Password)
	c.intIn("uplink.batch_max", u.BatchMax, 1, telemetry.MaxBatchRecords)
	c.durationIn("uplink.ack_timeout", u.AckTimeout, time.Second, time.Hour)
	c.intIn("uplink.max_in_flight", u.MaxInFlight, 1, maxMaxInFlight)
	if c.finite("uplink.replay_rate", u.ReplayRate) && u.ReplayRate < 0 {
		c.add("uplink.replay_rate", "%v must not be negative (0 means no bound)", u.ReplayRate)
	}
	c.durationIn("uplink.heartbeat", u.Heartbeat, time.Second, time.Hour)
	u.checkTLS(c)
	c.intIn("outbox.budget_mb", a.Outbox.BudgetMB, 1, 65536)
	if e := a.Edge.Elevator; e != nil {
		e.check(c)
	}
	a.checkAlarms(c)
	if a.Clock.SyncWait < 0 || a.Clock.SyncWait.D() > 24*time.Hour {
		c.add("clock.sync_wait", "%v is out of range; use 0s to 24h", a.Clock.SyncWait)
	}
}

func (s Sensor) check(c *checker, p string) {
	c.required(key(p, "driver"), s.Driver)
	s.checkBus(c, p)
	s.checkCalibration(c, p)
	if s.Serial.Port != "" && !standardBauds[s.Serial.Baud] {
		c.add(key(p, "serial.baud"), "%d is not a standard rate such as 9600 or 115200", s.Serial.Baud)
	}
	if !c.durationIn(key(p, "interval"), s.Interval, minInterval, maxInterval) {
		return
	}
	if s.Timeout <= 0 {
		c.add(key(p, "timeout"), "%v must be positive", s.Timeout)
	} else if s.Timeout > s.Interval {
		c.add(key(p, "timeout"), "%v is longer than the interval (%v)", s.Timeout, s.Interval)
	}
}

func (l *Location) check(c *checker) {
	const p = "device.location"
	for _, f := range []struct {
		key   string
		v     *float64
		limit float64
		dir   string
	}{{"lat", l.Lat, 90, "north"}, {"lon", l.Lon, 180, "east"}} {
		switch {
		case f.v == nil:
			c.add(key(p, f.key), "required: degrees %s in WGS-84", f.dir)
		case !c.finite(key(p, f.key), *f.v):
		case *f.v < -f.limit || *f.v > f.limit:
			c.add(key(p, f.key), "%v is out of range; use −%v to %v degrees %s", *f.v, f.limit, f.limit, f.dir)
		}
	}
}

func (e *Elevator) check(c *checker) {
	const p = "edge.elevator"
	for _, f := range []struct {
		key string
		v   float64
	}{{"storey_m", e.StoreyM}, {"max_speed", e.MaxSpeed}, {"vibration_limit", e.VibrationLimit}} {
		if c.finite(key(p, f.key), f.v) && f.v < 0 {
			c.add(key(p, f.key), "%v must not be negative (0 means the default)", f.v)
		}
	}
	if e.TrappedAfter < 0 {
		c.add(key(p, "trapped_after"), "%v must not be negative (0 means the default)", e.TrappedAfter)
	}
	if len(e.FloorNumbers) > 0 && len(e.FloorNumbers) != len(e.FloorHeightsM) {
		c.add(key(p, "floor_numbers"), "has %d entries but floor_heights_m has %d", len(e.FloorNumbers), len(e.FloorHeightsM))
	}
	for i := 1; i < len(e.FloorHeightsM); i++ {
		if e.FloorHeightsM[i] <= e.FloorHeightsM[i-1] {
			c.add(key(p, "floor_heights_m"), "heights must ascend; entry %d (%v) is not above entry %d (%v)", i, e.FloorHeightsM[i], i-1, e.FloorHeightsM[i-1])
			break
		}
	}
}
