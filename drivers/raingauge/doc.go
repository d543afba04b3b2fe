// Package raingauge counts the tips of a tipping-bucket rain gauge on a
// GPIO input.
//
// Datasheet: tipping-bucket gauges (e.g. the JDZ05 series used at flood
// stations, Davis AeroCone, RainWise) share one interface: a reed switch
// that a magnet on the bucket closes briefly, typically for 50–150 ms,
// each time the bucket tips. One tip is a fixed depth of rain, 0.2 mm on
// most hydrological gauges (0.1 mm and 0.5 mm also exist). The switch is
// wired between the GPIO and ground with a pull-up, so a tip is a falling
// edge followed, after the closure, by a rising edge.
//
// # Wire format
//
// There is none: the gauge is a contact. What matters is how the contact
// moves:
//
//   - Both the closing and the opening bounce for a few milliseconds.
//   - A fast tip can close the reed for less than the debounce time.
//   - Even at an extreme 360 mm/h a 0.2 mm bucket tips only every 2 s;
//     two tips are never milliseconds apart.
//
// # Counting
//
// The Dev owns a goroutine (drivers/gpioin.Watcher) that groups edges
// into bursts: a burst ends when no edge has come for Opts.Debounce
// (50 ms by default). A tip is a burst that begins from the idle level
// (high for a falling-edge gauge). The bounce at closing, and the
// opening with its own bounce, are part of that burst when the closure
// is shorter than the debounce time, or a second burst that begins from
// the active level, which is not a tip. So tips are never counted twice,
// a short closure is still a tip, and two tips are at least Opts.Debounce
// apart, the minimum time between tips.
//
// The counter runs from New until Halt, so tips between two samples are
// never lost: each Sense reports the rain since the previous Sense. Tips
// while the sensor is closed (for example while the agent reopens it
// after errors) are not counted.
//
// # Errata and field notes
//
//   - periph's gpioutil.Debounce is not used: in periph.io/x/conn v3.7.2
//     its debounce argument is stored but never applied, its edge
//     argument is ignored (it always asks for both edges), its Halt does
//     not halt the pin, and it decides an edge by reading the level once
//     after the denoise delay, which misses a closure shorter than that
//     delay.
//   - Heaters and long cables: a gauge with a heater, or a long
//     unshielded cable, can pick up mains hum that never lets the line
//     settle. Use an external 4.7–10 kΩ pull-up and a 100 nF capacitor
//     at the input, and pull=none.
//   - Calibrate bucket_mm per gauge: the tipping volume drifts with
//     dirt and levelling, and hydrological practice corrects the nominal
//     0.2 mm by a factory or field calibration.
//
// # Registry
//
// The package registers driver "raingauge" with drivers/sensor, with
// pin "input" and params:
//
//	bucket_mm  rain per tip in mm, > 0 and ≤ 10 (default 0.2)
//	edge       "falling" (default: the reed pulls the input low) or "rising"
//	pull       "up" (default for falling), "down" (default for rising) or "none"
//	debounce   quiet time that ends a burst, 1ms–10s (default 50ms)
//
// Each Sense yields one Rainfall reading: the tips since the previous
// Sense (or since the sensor was opened) times bucket_mm, in mm.
package raingauge
