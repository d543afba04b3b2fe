package telemetry

import (
	"fmt"
	"time"
)

// Quantity names what a reading measures. Values are short, stable strings
// because they appear in plans, the HTTP API and stored rows.
type Quantity string

// Quantities produced by the drivers. The unit each one is reported in is
// fixed: see Unit.
const (
	PM1        Quantity = "pm1"         // mass concentration of particles ≤ 1 µm, µg/m³
	PM2_5      Quantity = "pm2_5"       // mass concentration of particles ≤ 2.5 µm, µg/m³
	PM10       Quantity = "pm10"        // mass concentration of particles ≤ 10 µm, µg/m³
	Distance   Quantity = "distance"    // sensor-to-surface distance, mm
	WaterLevel Quantity = "water_level" // water level in the station's datum, m
)

// Unit returns the unit a quantity is reported in, or "" when the quantity
// is not one of the known constants.
func (q Quantity) Unit() string {
	switch q {
	case PM1, PM2_5, PM10:
		return "ug/m3"
	case Distance:
		return "mm"
	case WaterLevel:
		return "m"
	}
	return ""
}

// Quality says how far a reading can be trusted. The zero value is Good.
type Quality uint8

const (
	Good    Quality = iota // a checked frame from a healthy sensor
	Warming                // the sensor is still warming up; the value may be off
	Suspect                // the value failed a plausibility check
	Bad                    // the sensor reported a fault; the value is not usable
)

var qualityNames = [...]string{Good: "good", Warming: "warming", Suspect: "suspect", Bad: "bad"}

func (q Quality) String() string {
	if int(q) < len(qualityNames) {
		return qualityNames[q]
	}
	return fmt.Sprintf("quality(%d)", uint8(q))
}

// MarshalText lets JSON encoders write the quality's name.
func (q Quality) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalText parses a name written by MarshalText.
func (q *Quality) UnmarshalText(b []byte) error {
	for i, n := range qualityNames {
		if n == string(b) {
			*q = Quality(i)
			return nil
		}
	}
	return fmt.Errorf("telemetry: unknown quality %q", b)
}

// Reading is one value of one quantity from one sensor at one instant.
type Reading struct {
	Sensor   string    `json:"sensor"`   // the sensor's name in the device config, e.g. "dust"
	Quantity Quantity  `json:"quantity"` // what was measured
	Value    float64   `json:"value"`    // in Quantity.Unit()
	Time     time.Time `json:"time"`     // when the sensor produced it (event time); millisecond precision on the wire
	Quality  Quality   `json:"quality"`
}

// Stream names the series a reading belongs to within its device.
func (r Reading) Stream() string { return r.Sensor + "/" + string(r.Quantity) }

// Record is a reading with the sequence number its device gave it when the
// reading was committed to the device's outbox.
type Record struct {
	Seq uint64 `json:"seq"`
	Reading
}

// Batch is what a device publishes on its up topic: records in ascending
// sequence order.
type Batch struct {
	Device  string
	Records []Record
	// Replay is true when the records are backlog from an outage rather
	// than live readings.
	Replay bool
}

// Ack is what the collector publishes on a device's ack topic once it has
// durably stored the given ranges. Acknowledging a range twice is harmless.
type Ack struct {
	Device string
	Ranges Ranges
}
