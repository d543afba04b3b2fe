// Package agent assembles the field agent from its parts: one sampler per
// configured sensor feeding the bbolt outbox, and the uplink draining the
// outbox to the collector. Run owns every goroutine it starts and returns
// only after all of them have stopped and the outbox is closed.
//
// The sensors are reached through a sensor.Env: the agent's main package
// gives real serial ports; the simulator gives pseudo-terminals backed by
// emulated chips. Either way the same drivers parse the same bytes.
package agent
