// Package fleet runs many virtual devices in one process, each the real
// agent pipeline (agent.New, Run) with its own bbolt outbox file and its
// own MQTT client, reading an emulated chip through the real driver, to
// load a broker and a collector as a city's devices would.
//
// What a device costs, and how the fleet keeps it small:
//
//   - File descriptors: one MQTT socket and one outbox file per device
//     (two more per device with pseudo-terminals). Serial lines are
//     in-memory UARTs (board.UART) by default, so 10,000 devices need
//     about 20,000 descriptors: New raises RLIMIT_NOFILE to the hard limit
//     and refuses a fleet that cannot fit (FilesNeeded). A broker in the
//     same process needs as many again: run it, or part of the fleet, in
//     another process.
//   - Goroutines: the agent's (sampler, uplink, outbox committer), paho's
//     (about six per connected client) and the chip's (three, in
//     chip.ServeUART), parked while idle.
//   - Disk: every reading is one outbox commit (two fdatasyncs in bbolt);
//     an acknowledgement's deletion rides on the device's next commit
//     (agent/outbox). A device's group commit only groups its own
//     appends, so the fleet's fsync rate grows with the number of devices
//     over the interval.
//   - Connects: devices start Opts.Ramp a second, so the broker does not
//     meet every CONNECT at once.
//
// A fleet prints a status line every few seconds: devices up and
// connected, readings committed, acknowledged and waiting (the backlog),
// and the process's CPU, memory, descriptors and goroutines. Fleet.PowerCut
// and PowerOn cut and restore a device's power; Drain stops the sensors
// and waits until every outbox is empty, so that tests can compare what
// the devices committed with what the collector stored.
package fleet
