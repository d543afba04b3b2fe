package telemetry

import "time"

// HeartbeatTopic is where device id publishes its heartbeats.
func HeartbeatTopic(id string) string { return TopicRoot + id + heartbeat }

const heartbeat = "/heartbeat"

// HeartbeatFilter is the subscription that receives every device's
// heartbeats.
const HeartbeatFilter = TopicRoot + "+" + heartbeat

// DeviceFromHeartbeatTopic returns the device id of a heartbeat topic.
func DeviceFromHeartbeatTopic(topic string) (string, error) {
	return deviceFrom(topic, heartbeat)
}

// Device states on the retained status topic.
const (
	Online  = "online"
	Offline = "offline"
)

// Status is the retained JSON payload on a device's status topic: its
// birth message when it connects and its last will when it vanishes.
type Status struct {
	State      string    `json:"state"` // Online or Offline
	Time       time.Time `json:"time,omitzero"`
	ConfigHash string    `json:"config_hash,omitempty"`
}

// Heartbeat is the JSON payload a device publishes on its heartbeat topic
// at its heartbeat interval.
type Heartbeat struct {
	Time       time.Time              `json:"time"`
	Interval   Duration               `json:"interval"` // until the next heartbeat
	ConfigHash string                 `json:"config_hash"`
	Clock      string                 `json:"clock"` // "synced" or "unsynced"
	Outbox     OutboxState            `json:"outbox"`
	Sensors    map[string]SensorState `json:"sensors"`
}

// OutboxState is the part of a heartbeat about undelivered readings.
type OutboxState struct {
	Depth          uint64  `json:"depth"`            // readings waiting for acknowledgement
	OldestAgeS     float64 `json:"oldest_age_s"`     // age of the oldest unsent reading, seconds
	NextSeq        uint64  `json:"next_seq"`         // the sequence number the next reading gets
	BudgetBytes    int64   `json:"budget_bytes"`     // the outbox's disk budget
	UsedBytes      int64   `json:"used_bytes"`       // bytes in use within it
	Condensed      uint64  `json:"condensed"`        // readings condensed into aggregates so far
	AutonomyHours  float64 `json:"autonomy_hours"`   // hours of offline operation left at the current rate before condensing starts
	ReadingsPerMin float64 `json:"readings_per_min"` // the current rate
}

// SensorState is the part of a heartbeat about one sensor.
type SensorState struct {
	Open    bool   `json:"open"`
	Samples uint64 `json:"samples"`
	Errors  uint64 `json:"errors"`
	LastErr string `json:"last_error,omitempty"`
}

// Duration is a time.Duration that JSON-encodes as a string like "1m0s".
type Duration time.Duration

// MarshalText writes d as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses what MarshalText wrote.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}
