// Package fault injects the failures a fleet meets in the field, so that
// the simulator can prove what the agent and the collector promise under
// them: every reading a device committed arrives, once.
//
//   - Proxy is a TCP proxy between devices and the broker that can
//     partition them (Reset: every connection is reset and new ones are
//     refused; Blackhole: connections stay up but nothing passes, as when
//     a cellular link silently drops packets), heal, and add latency.
//   - Embedded and Mosquitto are brokers that can be stopped and started
//     again on the same address: a broker restart, or a crash (Kill).
//   - Clock is a board clock that boots hours wrong (a Raspberry Pi has no
//     real-time clock) and synchronises later, as NTP would; the agent
//     takes it in agent.Opts.Clock.
//
// Power cuts of in-process devices are the fleet's (simulator/fleet:
// Fleet.PowerCut): the device's network connection is reset first, so no
// goodbye leaves the board, and its agent is restarted from its outbox
// file. The end-to-end tests (simulator/e2e) cut real processes with
// SIGKILL.
package fault
