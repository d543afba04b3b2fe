// Package bench measures Xiuhua against its goals and prints one table,
// each figure beside its limit or a peer measured in the same run (the
// machines are shared and noisy, so absolute numbers alone mean little).
// `xiuhua-sim bench` runs it; `make bench` calls that.
//
// The output format is stable: one row per measure with the columns
// measure, value, unit, peer or limit, ratio, goal, verdict.
package bench
