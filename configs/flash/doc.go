// Package flash delivers signed agent configs to devices over MQTT, one
// device at a time (Flash) or to a group in stages (Rollout). It is the
// engineer's side of the protocol; the agent's side is agent/configapply.
//
// # Protocol
//
// The engineer's tool publishes the signed config, retained with QoS 1, on
// the device's telemetry.ConfigTopic, so that a device that is offline
// receives it when it connects. The device verifies the signature against
// its trust file, applies the config A/B (the new config runs beside the
// old one until it passes its health check) and answers on its
// telemetry.ConfigStatusTopic, retained, with a telemetry.ConfigStatus
// carrying configs.Hash of the config it received and a result: applying
// (on its way; a final answer follows), then applied, rolled_back or
// rejected. Flash subscribes to the status topic before it publishes, and
// waits for a final answer with the hash of what it published; answers
// about other configs (an older retained one) are ignored.
//
// A retained answer with the same hash counts: flashing a config a device
// already answered returns that answer at once. To try a rolled-back
// config again, change it (a comment is enough) so that it has a new hash.
//
// # Staged rollout
//
// Rollout flashes a group of devices in stages, cumulative counts or
// percentages of the group ("1,10%,100%") in a stable order (sorted by
// device id). Each stage's devices are flashed in parallel and the stage
// waits for all of their answers, up to its deadline. Any answer other
// than applied, or none by the deadline, stops the rollout: the devices of
// later stages are never published to. Nothing is published at all when
// any config fails to verify or names another device than its key.
//
// The package is for engineers' tools and tests. The agent binary must not
// import it (deps_test.go): it stays free of code it never runs.
package flash
