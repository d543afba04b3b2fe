// Package load offers a city's telemetry to a broker, as a fleet of
// devices would, and counts what comes back: the load behind the
// collector's throughput and alert-latency bench rows.
//
// A Generator speaks for Opts.Devices simulated devices over a few MQTT
// connections (a fleet of real agents, one connection each, is
// simulator/fleet's job). Every device publishes real batches: encoded by
// the telemetry codec, on the device's own up topic, with the device id in
// the payload, its own gap-free sequence numbers from 1 and its own
// outbox incarnation, so the collector's identity check (topic == payload)
// and its idempotent store see what they would see from the field. The
// generator paces itself to an offered rate (Devices × PerBatch readings
// every Interval; each connection cycles through its devices in a fixed
// random order, as devices at random phases would), consumes the collector's acks on one more connection
// and counts them: acknowledged readings, the unacknowledged backlog and
// the ack latency.
//
// Credentials. The collector checks that a batch's topic and payload
// name the same device; that the connection is entitled to the topic is
// the broker's ACL (Mosquitto: pattern write xiuhua/v1/dev/%u/up). A
// generator connection publishes for many devices, as a trusted gateway
// would, under the username Opts.Username; the embedded broker allows
// every client, and a deployment with ACLs gives that user write access
// to xiuhua/v1/dev/+/up and read access to xiuhua/v1/dev/+/ack.
//
// The connections are lean (mochi-mqtt's packet codec over a buffered
// socket) rather than paho's, so that the generator costs less than what
// it measures. The NullSubscriber, the collector's peer in the bench,
// uses paho as the collector does, so that the two differ only by what
// the collector does with a batch.
//
// Monitor follows the broker's own counters ($SYS topics): messages held
// in flight and dropped.
package load
