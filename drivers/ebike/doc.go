// Package ebike reads an elevator e-bike detector on a GPIO input and can
// drive a relay that holds the car's doors open (梯阻, "elevator
// blocking") while an e-bike is inside.
//
// Datasheet: e-bike detectors for elevators are camera modules with an
// on-board classifier (sold by many Chinese vendors under names such as
// 电瓶车识别摄像头 / 电动车阻梯系统). Their common interface is a relay
// output: a dry contact, usually normally open, that closes while an
// e-bike is seen, meant to be wired into the elevator controller's
// door-hold or car-call-cancel input. Read here, the contact goes between
// the GPIO and ground with a pull-up, so the input is low while an e-bike
// is seen: the default, active_level=low. Modules with a logic-level
// output (high while detected) need active_level=high and pull=down.
//
// # Relay output
//
// With a "relay" pin the Dev drives a relay module of its own:
// HoldDoors(true) energises it, HoldDoors(false) and Halt release it, and
// New releases it first, so an agent restarting after a crash does not
// leave the doors held. Many opto-isolated relay boards energise on a low
// input: relay_level=low. The driver does not decide when to hold the
// doors: that is a local policy for agent/edge, which reaches the method
// by asserting the sensor to interface{ HoldDoors(bool) error }.
//
// # Errata and field notes
//
//   - A GPIO keeps its level when the process dies: if the agent is
//     killed while holding the doors, they stay held until the agent
//     starts again (New releases the relay) or the board resets (its GPIOs
//     come up as inputs). Let the elevator controller's own door-hold
//     time limit have the last word.
//   - The detector's contact bounces like any relay's; the input is
//     debounced by drivers/gpioin (50 ms by default).
//   - "E-bike in car" is one of the events elevator IoT platforms report
//     (REFERENCE.md cites GB/T 24476-2023; its code table is unconfirmed);
//     the reading here is the level, the event is derived by agent/edge.
//
// # Registry
//
// The package registers driver "ebike" with drivers/sensor, with pins
// "input" and, optionally, "relay", and params:
//
//	active_level  "low" (default) or "high": the input level while an e-bike is seen
//	pull          "up" (default), "down" or "none"
//	debounce      quiet time before a change counts, 1ms–10s (default 50ms)
//	relay_level   "high" (default) or "low": the output level that energises the relay
//
// Each Sense yields EBike readings (1 e-bike seen, 0 none): one per
// settled change since the previous Sense, stamped with the time it
// began, or the current state when nothing changed.
package ebike
