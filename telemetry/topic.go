package telemetry

import (
	"errors"
	"fmt"
	"strings"
)

// TopicRoot is the first part of every Xiuhua topic. The version changes
// only when the topic layout itself changes; payload versions are carried
// in the payload.
const TopicRoot = "xiuhua/v1/dev/"

// Topic suffixes under a device's root.
const (
	up     = "/up"
	ack    = "/ack"
	status = "/status"
)

// UpFilter is the subscription that receives every device's batches.
const UpFilter = TopicRoot + "+" + up

// StatusFilter is the subscription that receives every device's status.
const StatusFilter = TopicRoot + "+" + status

// UpTopic is where device id publishes its batches.
func UpTopic(id string) string { return TopicRoot + id + up }

// AckTopic is where the collector acknowledges device id's batches.
func AckTopic(id string) string { return TopicRoot + id + ack }

// StatusTopic is device id's retained status (birth and last will).
func StatusTopic(id string) string { return TopicRoot + id + status }

// DeviceFromUpTopic returns the device id of an up topic.
func DeviceFromUpTopic(topic string) (string, error) {
	return deviceFrom(topic, up)
}

// DeviceFromStatusTopic returns the device id of a status topic.
func DeviceFromStatusTopic(topic string) (string, error) {
	return deviceFrom(topic, status)
}

func deviceFrom(topic, suffix string) (string, error) {
	id, ok := strings.CutPrefix(topic, TopicRoot)
	if ok {
		id, ok = strings.CutSuffix(id, suffix)
	}
	if !ok {
		return "", fmt.Errorf("telemetry: topic %q is not of the form %s<device>%s", topic, TopicRoot, suffix)
	}
	if err := ValidateDeviceID(id); err != nil {
		return "", err
	}
	return id, nil
}

// MaxDeviceIDLen bounds a device id so that it fits comfortably in topics,
// file names and database keys.
const MaxDeviceIDLen = 64

var errEmptyID = errors.New("telemetry: device id is empty")

// ValidateDeviceID checks that id can be used as a topic level, a file
// name and a database key: 1 to 64 characters from [A-Za-z0-9._-], not
// starting with '.' or '-'.
func ValidateDeviceID(id string) error {
	if id == "" {
		return errEmptyID
	}
	if len(id) > MaxDeviceIDLen {
		return fmt.Errorf("telemetry: device id %.20q… is %d characters long, more than %d", id, len(id), MaxDeviceIDLen)
	}
	if id[0] == '.' || id[0] == '-' {
		return fmt.Errorf("telemetry: device id %q must not start with %q", id, id[0])
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			continue
		}
		return fmt.Errorf("telemetry: device id %q has %q at %d; only letters, digits, '.', '_' and '-' are allowed", id, c, i)
	}
	return nil
}
