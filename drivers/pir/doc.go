// Package pir reads a passive-infrared motion sensor (HC-SR501, AM312 and
// the like) on a GPIO input, for presence in an elevator car or a room.
//
// Datasheet: HC-SR501 "Pyroelectric infrared sensor module" (BISS0001
// based). 5–20 V supply, 3.3 V push-pull output: high while motion is
// seen and for the hold time after (0.3 s to ~5 min, set by a
// potentiometer; in the retriggerable "H" jumper position the hold time
// restarts with each movement). After the output falls it ignores motion
// for ~2.5 s. After power-up it needs about a minute to settle and may
// pulse meanwhile. AM312: 2.7–12 V, fixed ~2 s hold, settles faster.
//
// # Behaviour
//
// The output is driven, so the input needs no pull-up; the default
// pull-down makes an unplugged sensor read "nobody" rather than float.
// The input is debounced by drivers/gpioin (default 50 ms: the output
// does not bounce, but a long cable picks up spikes), and every settled
// change between two samples is reported with the time it began, so a
// pulse shorter than the sampling interval is not missed.
//
// For Opts.Warmup after New (60 s by default, after the HC-SR501
// datasheet's initialisation time) readings carry Quality Warming: the
// driver cannot know when the sensor was powered, so it assumes it was
// powered with the board.
//
// # Errata and field notes
//
//   - A PIR sees movement, not presence: a passenger standing still is
//     "nobody" once the hold time runs out. Set the hold time longer than
//     the sampling interval, or use an LD2410 radar for presence.
//   - The HC-SR501's "L" (single trigger) jumper position makes the
//     output fall at the end of the hold time even while motion goes on;
//     use "H".
//   - Warm air from a car's fan or sunlight on the lens triggers PIRs.
//
// # Registry
//
// The package registers driver "pir" with drivers/sensor, with pin
// "input" and params:
//
//	active_level  "high" (default) or "low": the input level while motion is seen
//	pull          "down" (default), "up" or "none"
//	debounce      quiet time before a change counts, 1ms–10s (default 50ms)
//	warmup        time after opening when readings are Warming, 0s–10m (default 60s)
//
// Each Sense yields Presence readings (1 motion, 0 none): one per settled
// change since the previous Sense, stamped with the time it began, or the
// current state when nothing changed.
package pir
