// Package sigfig rounds a measured value for the person who reads it
// beside a limit: an alert's value, in its message, its record and the
// offices' notifications.
package sigfig

import (
	"math"
	"strconv"
	"strings"
)

// Figures is how many significant figures Round keeps at least.
//
// Four is the resolution of what the sensors measure at the magnitudes
// they report: PM concentrations to 0.1 µg/m³ at a few hundred (SDS011;
// the PMS5003 reports whole µg/m³), water levels to the millimetre below
// 10 m (SL 651 and the ultrasonic gauges resolve 1 mm), distances to the
// millimetre up to 4.5 m, a 4–20 mA loop to 10 µA, accelerations to
// 0.001 m/s² near 1 g, temperatures to 0.01 °C. More figures of a mean or
// a rate are arithmetic, not measurement, and only make a message harder
// to read.
const Figures = 4

// Round rounds v to Figures significant figures for reading beside
// limits, the values it is compared with (a rule's limit and clear edge,
// a range's bounds), which are never rounded themselves. Three things
// keep more digits than four figures, because each would otherwise hide
// what the reader needs:
//
//   - Integer digits are never rounded off: 101325 Pa stays 101325, not
//     101300, since 36 Pa is a storey; a count of 123456 stays a count.
//   - v keeps at least the decimals each limit shows: a limit of 12.345
//     is compared to the millimetre, whatever v's magnitude.
//   - When the rounding lands on a limit v does not equal, v keeps
//     digits until it no longer does: a rise of 0.30004 m/h reads
//     "0.30004, above 0.3", not "0.3, above 0.3". Rounding to at least a
//     limit's decimals never crosses it, so v stays on its own side.
//
// Two decimals, the old rule, read a rate of rise of 0.304 m/h against
// its 0.3 m/h limit as 0.3 and a concentration of 0.004 as 0.
//
// The result is the float nearest the rounded decimal, so that its
// shortest form (String) is that decimal, free of floating-point noise:
// 80.126 rounds to 80.13, never 80.13000000000001. Zero, NaN and the
// infinities are returned as they are (zero without a sign).
func Round(v float64, limits ...float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v + 0 // -0 + 0 is +0
	}
	// The exponent of v at Figures figures, after that rounding: 9.9996
	// is 1.000e+01.
	e := strconv.FormatFloat(v, 'e', Figures-1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	d := max(Figures-1-exp, 0)
	for _, l := range limits {
		d = max(d, decimals(l))
	}
	// At decimals(v) decimals the rounding is v itself, which differs
	// from every limit that does not equal it.
	for ; d < decimals(v); d++ {
		r := at(v, d)
		if !onLimit(r, limits) {
			return r
		}
	}
	return v
}

// String writes v in its shortest decimal form, never with an exponent:
// "80.13", "0.004", "101325", "-40"; zero is "0", never "-0". It shows a
// limit as the plan gave it and a value as Round left it.
func String(v float64) string {
	return strconv.FormatFloat(v+0, 'f', -1, 64)
}

// decimals is how many decimals v's shortest form shows: 0.3 has one,
// 75 none.
func decimals(v float64) int {
	s := String(v)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

// at rounds v to d decimals: to the nearest, judged on v's exact binary
// value (a tie, which only an exactly representable v can be, goes to
// even, as strconv does).
func at(v float64, d int) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', d, 64), 64)
	return r
}

func onLimit(r float64, limits []float64) bool {
	for _, l := range limits {
		if r == l {
			return true
		}
	}
	return false
}
