package telemetry

import "time"

// ConfigTopic is device id's retained config topic: the signed agent config
// an engineer flashed (xiuhuactl config flash), which the agent applies A/B.
// An empty retained message clears it.
func ConfigTopic(id string) string { return TopicRoot + id + config }

// ConfigStatusTopic is where device id answers each config it received
// with a ConfigStatus, retained, so that a rollout that reconnects still
// sees the outcome.
func ConfigStatusTopic(id string) string { return TopicRoot + id + configStatus }

const (
	config       = "/config"
	configStatus = "/config/status"
)

// ConfigStatusFilter is the subscription that receives every device's
// config answers.
const ConfigStatusFilter = TopicRoot + "+" + configStatus

// DeviceFromConfigStatusTopic returns the device id of a config status topic.
func DeviceFromConfigStatusTopic(topic string) (string, error) {
	return deviceFrom(topic, configStatus)
}

// Outcomes of a config apply, in ConfigStatus.Result.
const (
	ConfigApplied    = "applied"     // slot B passed its health check and is now the config
	ConfigRolledBack = "rolled_back" // slot B failed its health check; the previous config runs again
	ConfigRejected   = "rejected"    // never tried: unsigned, tampered, invalid, or for another device
	ConfigApplying   = "applying"    // received and being tried; a final answer follows
)

// ConfigStatus is a device's JSON answer to a config on its config topic.
type ConfigStatus struct {
	Hash    string    `json:"hash"`             // configs.Hash of the config received
	Result  string    `json:"result"`           // one of the Config* outcomes
	Reason  string    `json:"reason,omitempty"` // why it was rolled back or rejected
	Running string    `json:"running"`          // hash of the config the device runs after this answer
	Time    time.Time `json:"time"`
}
