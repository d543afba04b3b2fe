package configs

import (
	"slices"
	"strings"

	"github.com/xiuhua/xiuhua/telemetry"
)

// Calibration corrects one quantity of a sensor against a reference
// instrument: the agent reports value×Scale + Offset, in the quantity's
// unit, before the reading is stored. A dust sensor co-located with a
// monitoring station, say, is calibrated by the slope and intercept of a
// regression of the station's hourly means on the sensor's.
type Calibration struct {
	// Scale multiplies the driver's value: default 1; finite and not 0
	// (0 would report a constant whatever the sensor measures).
	Scale float64 `yaml:"scale"`
	// Offset is added after scaling, in the quantity's unit: default 0.
	Offset float64 `yaml:"offset"`
}

// Apply returns v corrected by the calibration.
func (c Calibration) Apply(v float64) float64 { return v*c.Scale + c.Offset }

// driverQuantities lists what each known driver reports, so that a
// calibration or an alarm naming a quantity the sensor never produces is
// rejected rather than silently never applied. The registry cannot be
// asked (this package never imports the drivers; see the package doc), so
// the lists are kept here beside driverBus and checked against the drivers'
// docs. ok is false for a driver not listed: then any measured quantity is
// accepted.
func driverQuantities(s Sensor) (qs []telemetry.Quantity, ok bool) {
	switch s.Driver {
	case "pms5003":
		return []telemetry.Quantity{telemetry.PM1, telemetry.PM2_5, telemetry.PM10}, true
	case "sds011":
		return []telemetry.Quantity{telemetry.PM2_5, telemetry.PM10}, true
	case "sps30":
		return []telemetry.Quantity{telemetry.PM1, telemetry.PM2_5, telemetry.PM4, telemetry.PM10}, true
	case "ultrasonic":
		if _, ok := s.Params["mounting_height_m"]; ok {
			return []telemetry.Quantity{telemetry.Distance, telemetry.WaterLevel}, true
		}
		return []telemetry.Quantity{telemetry.Distance}, true
	case "ld2410":
		return []telemetry.Quantity{telemetry.Presence, telemetry.Distance}, true
	case "modbuslevel":
		return []telemetry.Quantity{paramQuantity(s, telemetry.Distance)}, true
	case "ads1115level":
		return []telemetry.Quantity{paramQuantity(s, telemetry.WaterLevel), telemetry.LoopCurrent}, true
	case "adxl345":
		return []telemetry.Quantity{telemetry.AccelX, telemetry.AccelY, telemetry.AccelZ}, true
	case "mpu6050":
		return []telemetry.Quantity{telemetry.AccelX, telemetry.AccelY, telemetry.AccelZ,
			telemetry.GyroX, telemetry.GyroY, telemetry.GyroZ, telemetry.Temperature}, true
	case "bmp280":
		// Humidity only on a BME280, which the driver tells apart when it
		// probes; the config cannot.
		return []telemetry.Quantity{telemetry.Pressure, telemetry.Temperature, telemetry.Humidity}, true
	case "raingauge":
		return []telemetry.Quantity{telemetry.Rainfall}, true
	case "door":
		return []telemetry.Quantity{telemetry.DoorOpen}, true
	case "pir":
		return []telemetry.Quantity{telemetry.Presence}, true
	case "ebike":
		return []telemetry.Quantity{telemetry.EBike}, true
	}
	return nil, false
}

// paramQuantity is the quantity a driver reports as its "quantity" param
// says, def when it is not set.
func paramQuantity(s Sensor, def telemetry.Quantity) telemetry.Quantity {
	if q, ok := s.Params["quantity"]; ok {
		return telemetry.Quantity(q)
	}
	return def
}

// measured reports whether q is a known quantity a sensor measures, as
// opposed to an event or an unknown name.
func measured(q telemetry.Quantity) bool { return q.Unit() != "" && !q.IsEvent() }

// sensorQuantity checks, at path, that sensor s reports q.
func (c *checker) sensorQuantity(path string, s Sensor, q telemetry.Quantity) bool {
	if !measured(q) {
		c.add(path, "%q is not a measured quantity; use one of %s", q, measuredList())
		return false
	}
	if qs, ok := driverQuantities(s); ok && !slices.Contains(qs, q) {
		c.add(path, "%s sensor %q does not report %s (it reports %s)", s.Driver, s.Name, q, joinQuantities(qs))
		return false
	}
	return true
}

func (s Sensor) checkCalibration(c *checker, p string) {
	for _, q := range sortedKeys(s.Calibration) {
		qp := key(key(p, "calibration"), string(q))
		c.sensorQuantity(qp, s, q)
		cal := s.Calibration[q]
		if c.finite(key(qp, "scale"), cal.Scale) && cal.Scale == 0 {
			c.add(key(qp, "scale"), "0 would report %s as a constant; use a non-zero factor (1 leaves it as measured)", q)
		}
		c.finite(key(qp, "offset"), cal.Offset)
	}
}

func (a *Agent) calibrationDefaults(c *checker) {
	for i := range a.Sensors {
		s, p := &a.Sensors[i], index("sensors", i)
		for q, cal := range s.Calibration {
			if !c.has(key(key(key(p, "calibration"), string(q)), "scale")) {
				cal.Scale = 1
				s.Calibration[q] = cal
			}
		}
	}
}

func sortedKeys[V any](m map[telemetry.Quantity]V) []telemetry.Quantity {
	keys := make([]telemetry.Quantity, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func joinQuantities(qs []telemetry.Quantity) string {
	s := make([]string, len(qs))
	for i, q := range qs {
		s[i] = string(q)
	}
	return strings.Join(s, ", ")
}

func measuredList() string {
	var qs []telemetry.Quantity
	for _, q := range telemetry.Quantities() {
		if measured(q) {
			qs = append(qs, q)
		}
	}
	return joinQuantities(qs)
}
