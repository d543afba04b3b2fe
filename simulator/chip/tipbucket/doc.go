// Package tipbucket emulates a tipping-bucket rain gauge for the
// simulator: the reed contact that the bucket's magnet closes at each tip,
// on an emulated GPIO pin (simulator/chip/gpiopin) that the real
// drivers/raingauge driver watches through simulator/board.
//
// The gauge is wired as drivers/raingauge expects by default: the reed
// between the input and ground, the driver's pull-up holding the line
// high between tips. A Source gives the rain that has fallen since the
// start, in mm; each time another Opts.BucketMM has fallen the bucket
// tips: the reed closes, bouncing (Opts.Bounces toggles), stays closed for
// Opts.Closure (50–150 ms on real gauges) and opens again, bouncing, after
// which the gauge releases the line to the pull-up.
//
// A real bucket needs time to tip and settle, so tips are at least
// Opts.MinGap apart, and the reed stays open for at least MinGap −
// Closure between two (so the driver never sees an opening and the next
// closure as one burst, even when the gauge's goroutine runs late); rain that falls faster (a compressed scenario's
// rainstorm) is owed and tipped out at that pace, never lost or merged
// into one pulse. While Opts.Jammed says so, the rain that falls is lost,
// as it is from a bucket jammed by leaves or a gauge whose cable is cut:
// tips resume with the next rain, without catching up.
//
// The gauge checks the rain every Opts.Tick on its own goroutine (Run);
// the pin's levels change in real time, because the driver's debouncing
// runs on real time.
package tipbucket
