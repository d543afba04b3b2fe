// Package gpiopin emulates a GPIO pin for the simulator's virtual board
// (simulator/board AddPin): a periph gpio.PinIO whose input a scenario
// drives — a rain gauge's reed, a door contact, a PIR, an e-bike
// detector's relay — and whose output (a door-hold relay) it can watch.
//
// periph's gpiotest.Pin is not enough for that: its level changes only
// when a driver consumes an edge from EdgesChan (so a scenario cannot set
// the line without feeding edges in step with the driver), it delivers
// every edge whatever edge detection In asked for, its WaitForEdge(-1)
// cannot be interrupted, and Halt does nothing.
//
// This Pin behaves like a Linux gpio-cdev line (periph host's gpioioctl):
//
//   - The line is driven by the scenario (Set) or, when released
//     (Release), follows the pull resistor In chose; a floating line
//     keeps its last level.
//   - A level change makes an edge event when the pin is an input with
//     edge detection for that direction. Events queue (up to QueueSize,
//     like the kernel's event buffer; more are counted as Dropped) and
//     each WaitForEdge takes one.
//   - WaitForEdge(timeout) waits for an event: timeout < 0 waits
//     forever, 0 only looks. Halt and In end a pending wait, which
//     returns false.
//   - In flushes queued events, as periph's contract asks; Halt also
//     turns edge detection off.
//   - Out makes it an output: Read returns the level driven, and Output
//     lets a scenario see it.
//
// Bounce makes a contact bounce: a burst of toggles ending at a level,
// with real time between them, as a reed switch does for a few
// milliseconds.
package gpiopin
