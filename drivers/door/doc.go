// Package door reads a door contact (a reed switch and magnet, as on
// elevator landing and car doors and cabinet doors) on a GPIO input,
// debounced.
//
// Datasheet: a reed contact is a dry contact, normally closed while the
// magnet is near (door closed) on the contacts sold for door monitoring
// (e.g. MC-38). Wired between the GPIO and ground with a pull-up, the
// input reads low while the door is closed and high while it is open:
// the default, open_level=high. A broken wire then reads as "open", the
// safe side for a door monitor. A normally-open contact, or one wired to
// 3.3 V with a pull-down, reads the other way: open_level=low.
//
// # Debouncing
//
// Reed contacts bounce for up to a few milliseconds when they make and
// break. The input is debounced by drivers/gpioin: a change counts once
// the line has been quiet for the debounce time (50 ms by default), and a
// pulse shorter than that is ignored. Every settled change between two
// samples is reported with the time it began, so a door that opens and
// closes within one sampling interval is not missed.
//
// # Errata and field notes
//
//   - Elevator car doors move a few centimetres while the car travels;
//     mount the magnet so that this play stays inside the contact's gap
//     (MC-38: about 15–25 mm), or the debounce will not save you.
//   - Long cables to a landing door pick up interference: prefer an
//     external 4.7 kΩ pull-up (pull=none) over the Pi's ~50 kΩ one.
//
// # Registry
//
// The package registers driver "door" with drivers/sensor, with pin
// "input" and params:
//
//	open_level  "high" (default) or "low": the input level while the door is open
//	pull        "up" (default), "down" or "none"
//	debounce    quiet time before a change counts, 1ms–10s (default 50ms)
//
// Each Sense yields DoorOpen readings (1 open, 0 closed): one per settled
// change since the previous Sense, stamped with the time it began, or the
// current state when nothing changed.
package door
