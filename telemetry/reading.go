package telemetry

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Quantity names what a reading measures. Values are short, stable strings
// because they appear in plans, the HTTP API and stored rows.
type Quantity string

// Quantities produced by the drivers. The unit each one is reported in is
// fixed: see Unit.
const (
	// Dust.
	PM1   Quantity = "pm1"   // mass concentration of particles ≤ 1 µm, µg/m³
	PM2_5 Quantity = "pm2_5" // mass concentration of particles ≤ 2.5 µm, µg/m³
	PM4   Quantity = "pm4"   // mass concentration of particles ≤ 4 µm, µg/m³ (SPS30)
	PM10  Quantity = "pm10"  // mass concentration of particles ≤ 10 µm, µg/m³

	// Water.
	Distance    Quantity = "distance"     // sensor-to-surface distance, mm
	WaterLevel  Quantity = "water_level"  // water level in the station's datum, m
	LoopCurrent Quantity = "loop_current" // 4–20 mA transmitter loop current, mA
	Rainfall    Quantity = "rainfall"     // rain fallen since the previous reading, mm

	// Elevator and environment.
	AccelX      Quantity = "accel_x"     // acceleration along the chip's X axis, m/s²
	AccelY      Quantity = "accel_y"     // acceleration along the chip's Y axis, m/s²
	AccelZ      Quantity = "accel_z"     // acceleration along the chip's Z axis (mounted vertical), m/s²
	GyroX       Quantity = "gyro_x"      // angular rate, °/s
	GyroY       Quantity = "gyro_y"      // angular rate, °/s
	GyroZ       Quantity = "gyro_z"      // angular rate, °/s
	Temperature Quantity = "temperature" // °C
	Pressure    Quantity = "pressure"    // barometric pressure, Pa
	Humidity    Quantity = "humidity"    // relative humidity, %
	DoorOpen    Quantity = "door_open"   // 1 when the door contact is open, 0 when closed
	Presence    Quantity = "presence"    // 0 nobody, 1 moving, 2 stationary, 3 both (LD2410 target state); PIR gives 0 or 1
	EBike       Quantity = "ebike"       // 1 when the e-bike detector sees an e-bike in the car
	Speed       Quantity = "speed"       // car speed, m/s, positive up (edge detector)
	Floor       Quantity = "floor"       // estimated floor number (edge detector)
	Vibration   Quantity = "vibration"   // RMS of acceleration about its mean over a window, m/s²

	// Events derived on the device (agent/edge). Value 1 means the
	// condition began at Time, 0 that it ended. Events travel in the
	// outbox's urgent lane.
	EventTrapped        Quantity = "event_trapped"          // passenger trapped: car stopped, door closed, someone inside, too long
	EventDoorOpenMoving Quantity = "event_door_open_moving" // door open while the car moves
	EventOverspeed      Quantity = "event_overspeed"        // car speed above the configured limit
	EventVibration      Quantity = "event_vibration"        // abnormal vibration (RMS over a window above the limit)
	EventEBike          Quantity = "event_ebike"            // e-bike in the car
	EventLocalAlarm     Quantity = "event_local_alarm"      // a local threshold alarm raised on the device while offline
)

// IsEvent reports whether q is an event rather than a measurement.
func (q Quantity) IsEvent() bool { return strings.HasPrefix(string(q), "event_") }

// Unit returns the unit a quantity is reported in, or "" when the quantity
// is not one of the known constants. States (door, presence, e-bike) and
// counts (floor) are unitless: "1".
func (q Quantity) Unit() string {
	switch q {
	case PM1, PM2_5, PM4, PM10:
		return "ug/m3"
	case Distance, Rainfall:
		return "mm"
	case WaterLevel:
		return "m"
	case LoopCurrent:
		return "mA"
	case AccelX, AccelY, AccelZ, Vibration:
		return "m/s2"
	case GyroX, GyroY, GyroZ:
		return "deg/s"
	case Temperature:
		return "degC"
	case Pressure:
		return "Pa"
	case Humidity:
		return "%"
	case Speed:
		return "m/s"
	case DoorOpen, Presence, EBike, Floor, EventTrapped, EventDoorOpenMoving, EventOverspeed,
		EventVibration, EventEBike, EventLocalAlarm:
		return "1"
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
	Flags    Flags     `json:"flags,omitempty"`
}

// Flags qualify a reading's timestamp. The zero value means a clock that
// was synchronised when the reading was taken.
type Flags uint8

const (
	// ClockUnsynced: the device's clock had never been synchronised when
	// the reading was taken and could not be corrected since (for example
	// the board rebooted before it synchronised). The time may be far off.
	ClockUnsynced Flags = 1 << iota
	// ClockCorrected: the reading was taken before the clock synchronised
	// and its time was reconstructed from the boot-relative clock once it
	// did.
	ClockCorrected
	// FutureTime is set by the collector when a reading's time was too far
	// ahead of the moment it arrived.
	FutureTime
)

var flagNames = []string{"clock_unsynced", "clock_corrected", "future_time"}

// Names lists the set flags by name.
func (f Flags) Names() []string {
	var out []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// MarshalJSON writes the flags as a list of names.
func (f Flags) MarshalJSON() ([]byte, error) {
	names := f.Names()
	if names == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(names)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (f *Flags) UnmarshalJSON(b []byte) error {
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return err
	}
	*f = 0
	for _, n := range names {
		i := slices.Index(flagNames, n)
		if i < 0 {
			return fmt.Errorf("telemetry: unknown flag %q", n)
		}
		*f |= 1 << i
	}
	return nil
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
	// Condensed holds ranges of readings that the device condensed into
	// per-minute aggregates when its disk budget ran short. Their sequence
	// numbers count as delivered.
	Condensed []Condensed
	// Replay is true when the records are backlog from an outage rather
	// than live readings.
	Replay bool
	// Incarnation identifies the outbox that numbered the records: a
	// random non-zero number drawn when the outbox file was created. A new
	// file (a swapped board, a reflashed card) numbers from 1 again, and
	// the incarnation is what tells the collector that seq 1 is new. 0
	// means unknown (an agent from before incarnations).
	Incarnation uint64
}

// Condensed stands for the readings with sequence numbers in Range, which
// the device replaced by per-stream, per-minute aggregates.
type Condensed struct {
	Range      Range       `json:"range"`
	Aggregates []Aggregate `json:"aggregates"`
}

// Aggregate summarises one stream's readings in one minute.
type Aggregate struct {
	Sensor   string    `json:"sensor"`
	Quantity Quantity  `json:"quantity"`
	Minute   time.Time `json:"minute"` // start of the minute
	Count    uint32    `json:"count"`
	Min      float64   `json:"min"`
	Max      float64   `json:"max"`
	Mean     float64   `json:"mean"`
}

// Seqs is the set of sequence numbers a batch carries, raw and condensed.
func (b Batch) Seqs() Ranges {
	var rs Ranges
	for _, r := range b.Records {
		rs = rs.Add(Range{r.Seq, r.Seq})
	}
	for _, c := range b.Condensed {
		rs = rs.Add(c.Range)
	}
	return rs
}

// Ack is what the collector publishes on a device's ack topic once it has
// durably stored the given ranges. Acknowledging a range twice is harmless.
type Ack struct {
	Device string
	Ranges Ranges
	// Incarnation echoes the acknowledged batch's: only the outbox of
	// that incarnation may delete the ranges. 0 means the batch had none.
	Incarnation uint64
}

// Quantities lists every known quantity, in the order declared.
func Quantities() []Quantity {
	return []Quantity{PM1, PM2_5, PM4, PM10, Distance, WaterLevel, LoopCurrent, Rainfall,
		AccelX, AccelY, AccelZ, GyroX, GyroY, GyroZ, Temperature, Pressure, Humidity,
		DoorOpen, Presence, EBike, Speed, Floor, Vibration,
		EventTrapped, EventDoorOpenMoving, EventOverspeed, EventVibration, EventEBike, EventLocalAlarm}
}
