// Package gpioin watches a debounced digital input on a periph GPIO pin,
// for the drivers of switch-like sensors: the tipping-bucket rain gauge
// (drivers/raingauge), the door contact (drivers/door), the PIR motion
// sensor (drivers/pir) and the e-bike detector (drivers/ebike).
//
// # Debouncing by bursts
//
// A mechanical contact (reed switch, relay) does not change level once:
// it bounces for a few milliseconds at closing and again at opening. The
// Watcher groups edges into bursts: a burst begins with the first edge
// after the line has been quiet, and ends once no edge has come for
// Opts.Debounce. Only then does it read the level, which is steady by
// now, and report the burst with the settled level before and after it.
//
// This needs edges in both directions (the pin is set to
// gpio.BothEdges) but never the direction of one particular edge, which
// periph's WaitForEdge does not give and which a Read right after a bounce
// can get wrong. A pulse shorter than the debounce time is still seen, as
// one burst whose level before and after is the same: that is how a
// tipping bucket's short reed closure is counted.
//
// A line that never stays quiet for Opts.Debounce (chatter, mains
// pickup on a long cable) never settles, so no change is reported until
// it does.
//
// # Timing notes
//
// Times are taken when WaitForEdge returns, not when the kernel saw the
// edge: periph's WaitForEdge drops the kernel's event time stamp. Under
// heavy load, edges queued in the kernel are read late and in a rush, so
// two bursts closer together than the goroutine's scheduling delay can be
// merged into one. At 50 ms debounce and a rain gauge's seconds between
// tips this does not happen in practice.
//
// periph pins differ in how WaitForEdge can be interrupted: a
// gpioioctl-backed pin (Raspberry Pi, periph host v3.8) returns when
// Halt is called, gpiotest.Pin does not. The Watcher therefore waits in
// slices of at most 200 ms and checks whether it was halted in between,
// and Halt also halts the pin.
//
// # Level inputs
//
// Input keeps, for a level sensor, the settled level and a bounded log of
// settled changes, so that a change that comes and goes between two
// samples (a PIR pulse, a door opened and closed within the sampling
// interval) is still reported, with the time it began; see
// Input.Readings.
//
// # Registry
//
// Params reads the params the GPIO drivers share (pull, levels,
// debounce), and Open does the part of a registry factory they share:
// params, the "input" pin, the device, with errors naming the sensor.
package gpioin
