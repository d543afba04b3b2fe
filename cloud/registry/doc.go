// Package registry tracks whether each device is online, from what the
// devices say about themselves on the broker: the retained status topic
// (birth when a device connects, last will when the broker loses it,
// a timed offline when it disconnects cleanly) and the heartbeat topic.
//
// A device is online when its last status says online and, if its
// heartbeat interval is known, something arrived from it (a birth, a
// heartbeat or a batch) within TimeoutFactor intervals. Otherwise it is
// offline, with a reason:
//
//	ReasonLastWill   the last status is an offline without a time: the last
//	                 will, which the device composes when it connects and so
//	                 cannot date
//	ReasonClean      the last status is an offline with a time: the device
//	                 said goodbye before disconnecting
//	ReasonTimeout    the status says online but nothing arrived for
//	                 TimeoutFactor heartbeat intervals
//	ReasonNoStatus   no status has arrived (or it was cleared)
//
// The interval is the one the latest heartbeat announced; until a heartbeat
// arrives (or while it announces 0) it is unknown and the status alone
// decides. Only a birth turns an offline status online: a heartbeat or
// batch ends a heartbeat timeout, but after a last will or a clean
// disconnect the device is offline until it says otherwise.
//
// State is evaluated when it is read, from the latest facts and the
// injected clock, rather than by a goroutine that times devices out: there
// is nothing to start or stop, and a timeout takes effect at exactly its
// deadline (last arrival + TimeoutFactor × interval), which is what Since
// then reports. Since is otherwise the collector's clock when the state
// began: when the status that set it arrived, or when the heartbeat or
// batch that ended a timeout arrived.
//
// The registry lives in memory. After a collector restart the broker sends
// the retained statuses again on subscribe, so the states come back; the
// heartbeat intervals come back with the next heartbeats, and until then
// a device's status alone decides. Since then dates from the restart.
//
// Each device's ConfigHash is the hash of the config it runs
// (configs.Hash), from the latest birth, goodbye, last will or heartbeat
// that carried one: after a config is applied or rolled back the agent
// restarts its uplink, whose goodbye, birth and heartbeats say which
// config runs now.
//
// Payloads come from outside: a malformed status or heartbeat (bad topic,
// JSON, state or interval, or over MaxPayload bytes) is counted in Stats,
// logged, and otherwise ignored.
package registry
